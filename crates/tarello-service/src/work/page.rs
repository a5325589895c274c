//! Cursor pagination. A cursor names the last id of the previous page and
//! the workspace it belongs to; a cursor from another workspace is refused
//! (400), not silently applied.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use tarello_domain::WorkspaceId;
use uuid::Uuid;

use crate::ServiceError;

pub const DEFAULT_LIMIT: i64 = 50;

/// `?cursor=&limit=` as received.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// A page position: after the key `K` (a row id, or a history sequence
/// number), `limit` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor<K = Uuid> {
    pub after: Option<K>,
    pub limit: i64,
}

/// A key a cursor can carry.
pub trait CursorKey: Sized + Copy {
    fn encode(self) -> String;
    fn decode(s: &str) -> Option<Self>;
}

impl CursorKey for Uuid {
    fn encode(self) -> String {
        self.simple().to_string()
    }
    fn decode(s: &str) -> Option<Uuid> {
        Uuid::parse_str(s).ok()
    }
}

impl CursorKey for i64 {
    fn encode(self) -> String {
        self.to_string()
    }
    fn decode(s: &str) -> Option<i64> {
        s.parse().ok().filter(|n| *n >= 0)
    }
}

impl<K: CursorKey> Cursor<K> {
    pub fn parse(q: &PageQuery, ws: WorkspaceId) -> Result<Cursor<K>, ServiceError> {
        let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=tarello_store::repo::MAX_PAGE).contains(&limit) {
            return Err(ServiceError::Invalid {
                field: "limit",
                message: format!("limit is 1 to {}", tarello_store::repo::MAX_PAGE),
            });
        }
        let after = match q.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(decode(c, ws)?),
        };
        Ok(Cursor { after, limit })
    }

    /// The cursor for the page after `items`, when the page was full.
    pub fn next<T>(&self, ws: WorkspaceId, items: &[T], id: impl Fn(&T) -> K) -> Option<String> {
        if i64::try_from(items.len()).ok()? < self.limit {
            return None;
        }
        items.last().map(|last| encode(ws, id(last)))
    }
}

fn encode<K: CursorKey>(ws: WorkspaceId, last: K) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{}", ws.0.simple(), last.encode()))
}

fn decode<K: CursorKey>(c: &str, ws: WorkspaceId) -> Result<K, ServiceError> {
    let bad = |message: &str| ServiceError::BadRequest {
        field: "cursor",
        message: message.to_owned(),
    };
    let raw = URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| bad("this cursor is malformed"))?;
    let (w, last) = raw
        .split_once('.')
        .ok_or_else(|| bad("this cursor is malformed"))?;
    let w = Uuid::parse_str(w).map_err(|_| bad("this cursor is malformed"))?;
    if w != ws.0 {
        return Err(bad("this cursor belongs to another workspace"));
    }
    K::decode(last).ok_or_else(|| bad("this cursor is malformed"))
}

/// `{items, next_cursor}`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_stay_in_their_workspace() {
        let a = WorkspaceId(Uuid::now_v7());
        let b = WorkspaceId(Uuid::now_v7());
        let id = Uuid::now_v7();
        let c = encode(a, id);
        let q = PageQuery {
            cursor: Some(c),
            limit: None,
        };
        assert_eq!(Cursor::<Uuid>::parse(&q, a).unwrap().after, Some(id));
        assert!(matches!(
            Cursor::<Uuid>::parse(&q, b),
            Err(ServiceError::BadRequest { .. })
        ));
        for bad in ["", "x", "!!", "YWJj"] {
            let q = PageQuery {
                cursor: Some(bad.into()),
                limit: None,
            };
            let r = Cursor::<Uuid>::parse(&q, a);
            assert!(bad.is_empty() || r.is_err(), "{bad}");
        }
        for limit in [0, -1, 201] {
            let q = PageQuery {
                cursor: None,
                limit: Some(limit),
            };
            assert!(Cursor::<Uuid>::parse(&q, a).is_err());
        }
    }
}
