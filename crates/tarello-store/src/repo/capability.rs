//! The capability log (AUD-3): appended in batches by the service's
//! writer, read by admins with filters in SQL and paged by sequence number.
//! The workspace role may only SELECT and INSERT here; a trigger refuses
//! UPDATE, DELETE and TRUNCATE.

use serde_json::Value;
use tarello_domain::policy::{Action, Grant};
use time::OffsetDateTime;
use uuid::Uuid;

use super::scope::require;
use crate::{StoreError, TenantTx};

/// One row, as written and as read (`seq` is the database's; 0 when new).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Entry {
    pub seq: i64,
    pub at: OffsetDateTime,
    /// `call` or `account`.
    pub kind: String,
    /// `user`, `token` or `anonymous`.
    pub principal_kind: String,
    pub principal_id: Option<Uuid>,
    pub lane: Option<String>,
    pub role: Option<String>,
    pub action: Option<String>,
    pub scope: Option<String>,
    /// `allowed` or `denied`.
    pub decision: String,
    pub status: Option<i16>,
    pub method: Option<String>,
    pub route: Option<String>,
    pub payload: Option<Value>,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Appends `rows` with one statement (arrays unnested: one round trip
/// whatever the batch size). Tarello's own writer calls it, not a caller's
/// request, so it takes no grant.
pub async fn append(tx: &mut TenantTx, rows: &[Entry]) -> Result<u64, StoreError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let col = |f: fn(&Entry) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
    let at: Vec<OffsetDateTime> = rows.iter().map(|r| r.at).collect();
    let kind: Vec<String> = rows.iter().map(|r| r.kind.clone()).collect();
    let principal_kind: Vec<String> = rows.iter().map(|r| r.principal_kind.clone()).collect();
    let principal_id: Vec<Option<Uuid>> = rows.iter().map(|r| r.principal_id).collect();
    let decision: Vec<String> = rows.iter().map(|r| r.decision.clone()).collect();
    let status: Vec<Option<i16>> = rows.iter().map(|r| r.status).collect();
    let payload: Vec<Option<Value>> = rows.iter().map(|r| r.payload.clone()).collect();
    let done = sqlx::query(
        "INSERT INTO capability_log (at, kind, principal_kind, principal_id, lane, role, action, scope, \
         decision, status, method, route, payload, request_id, client_ip, user_agent) \
         SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::uuid[], $5::text[], \
         $6::text[], $7::text[], $8::text[], $9::text[], $10::int2[], $11::text[], $12::text[], \
         $13::jsonb[], $14::text[], $15::text[], $16::text[])",
    )
    .bind(at)
    .bind(kind)
    .bind(principal_kind)
    .bind(principal_id)
    .bind(col(|r| r.lane.clone()))
    .bind(col(|r| r.role.clone()))
    .bind(col(|r| r.action.clone()))
    .bind(col(|r| r.scope.clone()))
    .bind(decision)
    .bind(status)
    .bind(col(|r| r.method.clone()))
    .bind(col(|r| r.route.clone()))
    .bind(payload)
    .bind(col(|r| r.request_id.clone()))
    .bind(col(|r| r.client_ip.clone()))
    .bind(col(|r| r.user_agent.clone()))
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    pub principal_id: Option<Uuid>,
    pub decision: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub action: Option<&'a str>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

/// Rows matching `f`, oldest first, after sequence number `after`.
pub async fn list(
    tx: &mut TenantTx,
    grant: &Grant,
    f: &Filter<'_>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>, StoreError> {
    require(grant, Action::SecurityLogRead)?;
    Ok(sqlx::query_as(
        "SELECT seq, at, kind, principal_kind, principal_id, lane, role, action, scope, decision, \
         status, method, route, payload, request_id, client_ip, user_agent FROM capability_log \
         WHERE ($1::uuid IS NULL OR principal_id = $1) AND ($2::text IS NULL OR decision = $2) \
         AND ($3::text IS NULL OR kind = $3) AND ($4::text IS NULL OR action = $4) \
         AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6) \
         AND ($7::bigint IS NULL OR seq > $7) ORDER BY seq LIMIT $8",
    )
    .bind(f.principal_id)
    .bind(f.decision)
    .bind(f.kind)
    .bind(f.action)
    .bind(f.since)
    .bind(f.until)
    .bind(after)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}
