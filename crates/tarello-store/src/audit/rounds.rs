//! The server's sealing rounds. Visiting every workspace every few seconds
//! would cost one transaction each (10,000 workspaces: tens of seconds a
//! round). Instead one query reads PostgreSQL's insert counter of every
//! workspace's history table, and only workspaces whose counter moved are
//! sealed. Counters lag (statistics are flushed about once a second, or
//! later for an idle connection) and can be reset, so every
//! [`FULL_SWEEP`]-th round visits them all.

use std::collections::HashMap;

use tarello_crypto::KekSet;
use time::OffsetDateTime;

use super::{SEAL_BATCH, seal};
use crate::{Db, StoreError};

/// Every this many rounds, every workspace is visited.
pub const FULL_SWEEP: u32 = 60;

/// What one round did.
#[derive(Debug, Default)]
pub struct Round {
    /// Workspaces sealed (visited).
    pub visited: usize,
    pub events: u64,
    /// Workspaces that failed (slug, error); the others were still sealed.
    pub failed: Vec<(String, StoreError)>,
}

/// Remembers the counters seen, between rounds.
#[derive(Debug, Default)]
pub struct Sealer {
    seen: HashMap<String, i64>,
    round: u32,
}

impl Sealer {
    pub fn new() -> Sealer {
        Sealer::default()
    }

    pub async fn round(
        &mut self,
        db: &Db,
        keks: &KekSet,
        now: OffsetDateTime,
    ) -> Result<Round, StoreError> {
        let full = self.round.is_multiple_of(FULL_SWEEP);
        self.round = self.round.wrapping_add(1);
        let counters: HashMap<String, i64> = sqlx::query_as(
            "SELECT schemaname::text, n_tup_ins FROM pg_stat_user_tables WHERE relname = 'history'",
        )
        .fetch_all(db.admin())
        .await?
        .into_iter()
        .collect();
        let mut out = Round::default();
        for ws in crate::list_workspaces(db).await? {
            let now_count = counters.get(&ws.schema_name).copied();
            if !full && now_count.is_some() && now_count == self.seen.get(&ws.schema_name).copied()
            {
                continue;
            }
            out.visited += 1;
            match seal::seal_all(db, keks, ws.id, SEAL_BATCH, now).await {
                Ok(s) => {
                    out.events += s.events;
                    if let Some(c) = now_count {
                        self.seen.insert(ws.schema_name, c);
                    }
                }
                Err(e) => out.failed.push((ws.slug, e)),
            }
        }
        Ok(out)
    }
}
