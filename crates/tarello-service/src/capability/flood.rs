//! Calls without a valid token cost an attacker nothing but would each
//! add a row to a workspace's log. Per workspace, at most [`LIMIT`] of them
//! a [`WINDOW`] are written one by one; the rest are counted and written as
//! one summary row (`payload.folded`) when the window ends, so a flood is
//! still visible without filling the database.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use tarello_domain::WorkspaceId;
use tarello_store::repo::capability::Entry;
use tokio::time::Instant;

pub(crate) const LIMIT: u32 = 60;
pub(crate) const WINDOW: Duration = Duration::from_secs(60);

struct Window {
    start: Instant,
    written: u32,
    folded: u32,
    last: Option<Entry>,
}

#[derive(Default)]
pub(crate) struct Flood {
    windows: HashMap<WorkspaceId, Window>,
}

impl Flood {
    /// Whether `entry` is written as it is (true for every call with a
    /// principal); false when it was folded into the window's count.
    pub(crate) fn admit(&mut self, ws: WorkspaceId, entry: &Entry, now: Instant) -> bool {
        if entry.principal_kind != "anonymous" {
            return true;
        }
        let w = self.windows.entry(ws).or_insert(Window {
            start: now,
            written: 0,
            folded: 0,
            last: None,
        });
        if w.written < LIMIT {
            w.written += 1;
            return true;
        }
        w.folded += 1;
        w.last = Some(entry.clone());
        false
    }

    /// The summary rows of windows that ended by `now` (all of them when
    /// `now` is `None`: the server is stopping).
    pub(crate) fn due(&mut self, now: Option<Instant>) -> Vec<(WorkspaceId, Entry)> {
        let mut out = Vec::new();
        self.windows.retain(|ws, w| {
            let ended = now.is_none_or(|n| n.duration_since(w.start) >= WINDOW);
            if !ended {
                return true;
            }
            if let Some(mut e) = w.last.take() {
                e.at = time::OffsetDateTime::now_utc();
                e.payload = Some(json!({
                    "folded": w.folded,
                    "window_seconds": WINDOW.as_secs(),
                    "note": "calls without a valid token beyond the per-minute limit, counted instead of written one by one",
                }));
                out.push((*ws, e));
            }
            false
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: &str) -> Entry {
        Entry {
            seq: 0,
            at: time::OffsetDateTime::now_utc(),
            kind: "call".into(),
            principal_kind: kind.into(),
            principal_id: None,
            lane: None,
            role: None,
            action: None,
            scope: None,
            decision: "denied".into(),
            status: Some(401),
            method: Some("GET".into()),
            route: Some("/api/v1/workspaces/{ws}".into()),
            payload: None,
            request_id: None,
            client_ip: Some("192.0.2.1".into()),
            user_agent: None,
        }
    }

    // proves: AUD-3
    #[test]
    fn a_flood_without_token_is_folded_into_one_row_a_minute_per_workspace() {
        let mut f = Flood::default();
        let (a, b) = (WorkspaceId::new_v7(), WorkspaceId::new_v7());
        let t0 = Instant::now();
        let written = (0..1000)
            .filter(|_| f.admit(a, &entry("anonymous"), t0))
            .count();
        assert_eq!(written, LIMIT as usize);
        // Other workspaces and calls with a principal are not affected.
        assert!(f.admit(b, &entry("anonymous"), t0));
        assert!(f.admit(a, &entry("user"), t0));
        assert!(f.due(Some(t0 + WINDOW / 2)).is_empty());
        let due = f.due(Some(t0 + WINDOW));
        assert_eq!(due.len(), 1, "only the flooded workspace has a summary");
        assert_eq!(due[0].0, a);
        assert_eq!(due[0].1.payload.as_ref().unwrap()["folded"], 1000 - LIMIT);
        assert_eq!(due[0].1.client_ip.as_deref(), Some("192.0.2.1"));
        // A new window starts fresh.
        assert!(f.admit(a, &entry("anonymous"), t0 + WINDOW));
        // Stopping writes what is left.
        for _ in 0..LIMIT {
            f.admit(a, &entry("anonymous"), t0 + WINDOW);
        }
        assert_eq!(f.due(None).len(), 1);
    }
}
