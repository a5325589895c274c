//! Reading the change history (admins: every event of the workspace),
//! filtered in SQL and paged by sequence number.

use serde_json::Value;
use tarello_domain::policy::{Action, Grant};
use time::OffsetDateTime;
use uuid::Uuid;

use super::scope::require;
use crate::{StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Event {
    pub seq: i64,
    pub at: OffsetDateTime,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub card_id: Option<Uuid>,
    pub board_id: Option<Uuid>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    pub entity_type: Option<&'a str>,
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: Option<&'a str>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

/// Events matching `f`, oldest first, after sequence number `after`.
pub async fn list(
    tx: &mut TenantTx,
    grant: &Grant,
    f: &Filter<'_>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    require(grant, Action::HistoryRead)?;
    Ok(sqlx::query_as(
        "SELECT seq, at, actor_kind, actor_id, action, entity_type, entity_id, card_id, board_id, \
         before, after, request_id, client_ip, user_agent FROM history \
         WHERE ($1::text IS NULL OR entity_type = $1) AND ($2::uuid IS NULL OR entity_id = $2) \
         AND ($3::uuid IS NULL OR actor_id = $3) AND ($4::text IS NULL OR action = $4) \
         AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6) \
         AND ($7::bigint IS NULL OR seq > $7) ORDER BY seq LIMIT $8",
    )
    .bind(f.entity_type)
    .bind(f.entity_id)
    .bind(f.actor_id)
    .bind(f.action)
    .bind(f.since)
    .bind(f.until)
    .bind(after)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}
