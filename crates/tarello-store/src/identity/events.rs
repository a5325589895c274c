//! Security events (logins, lockouts, resets, tokens, sessions). Details
//! never hold secrets: callers pass ids and outcomes only.

use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Db, StoreError};

#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    pub kind: &'a str,
    pub user_id: Option<Uuid>,
    pub workspace_id: Option<Uuid>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub detail: Option<Value>,
}

pub async fn record(db: &Db, e: Event<'_>, now: OffsetDateTime) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO control.security_event (event_id, kind, user_id, workspace_id, ip, user_agent, detail, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Uuid::now_v7())
    .bind(e.kind)
    .bind(e.user_id)
    .bind(e.workspace_id)
    .bind(e.ip)
    .bind(e.user_agent)
    .bind(e.detail.unwrap_or_else(|| Value::Object(Default::default())))
    .bind(now)
    .execute(db.app())
    .await?;
    Ok(())
}

/// A user's recent events, newest first (kind, created_at).
pub async fn for_user(
    db: &Db,
    user_id: Uuid,
    limit: i64,
) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT kind, created_at FROM control.security_event WHERE user_id = $1 ORDER BY created_at DESC, event_id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(db.app())
    .await?)
}

/// The workspaces each of `users` is a member of (active or not), with the
/// role: where an account's security events are copied to (AUD-3). One
/// query for a whole batch of events.
pub async fn memberships_of(
    db: &Db,
    users: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, String)>, StoreError> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(
        "SELECT user_id, workspace_id, role FROM control.membership WHERE user_id = ANY($1)",
    )
    .bind(users)
    .fetch_all(db.app())
    .await?)
}
