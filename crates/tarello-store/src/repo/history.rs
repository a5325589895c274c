//! Reading the change history: admins read every event of the workspace
//! (a page, or the whole filtered history as a stream for an export),
//! filtered in SQL and ordered by sequence number; whoever sees a card reads
//! its activity, without the request columns.

use futures::stream::{BoxStream, StreamExt};
use serde_json::Value;
use tarello_domain::policy::{Action, Grant};
use time::OffsetDateTime;
use uuid::Uuid;

use super::scope::{require, visible};
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

/// The events matching a [`Filter`], bound as `$1`..`$6`.
macro_rules! filtered {
    () => {
        "SELECT seq, at, actor_kind, actor_id, action, entity_type, entity_id, \
     card_id, board_id, before, after, request_id, client_ip, user_agent FROM history \
     WHERE ($1::text IS NULL OR entity_type = $1) AND ($2::uuid IS NULL OR entity_id = $2) \
     AND ($3::uuid IS NULL OR actor_id = $3) AND ($4::text IS NULL OR action = $4) \
     AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)"
    };
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
    const SQL: &str = concat!(
        filtered!(),
        " AND ($7::bigint IS NULL OR seq > $7) ORDER BY seq LIMIT $8"
    );
    Ok(sqlx::query_as(SQL)
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

/// Every event matching `f`, oldest first, as rows arrive from the server:
/// memory stays constant however long the history (for an export).
pub fn stream<'a>(
    tx: &'a mut TenantTx,
    grant: &Grant,
    f: &'a Filter<'a>,
) -> Result<BoxStream<'a, Result<Event, StoreError>>, StoreError> {
    require(grant, Action::HistoryExport)?;
    const SQL: &str = concat!(filtered!(), " ORDER BY seq");
    Ok(sqlx::query_as::<_, Event>(SQL)
        .bind(f.entity_type)
        .bind(f.entity_id)
        .bind(f.actor_id)
        .bind(f.action)
        .bind(f.since)
        .bind(f.until)
        .fetch(tx.conn())
        .map(|r| r.map_err(StoreError::from))
        .boxed())
}

/// The activity of one card on a board the grant sees, newest first,
/// before sequence number `before`. The request columns (id, client
/// address, user agent) are for admins: they stay in the database.
pub async fn card_activity(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    require(grant, Action::CardActivityRead)?;
    const SQL: &str = concat!(
        "SELECT h.seq, h.at, h.actor_kind, h.actor_id, h.action, h.entity_type, h.entity_id, \
         h.card_id, h.board_id, h.before, h.after, NULL::text AS request_id, \
         NULL::text AS client_ip, NULL::text AS user_agent FROM history h \
         WHERE h.card_id = $3 AND ($4::bigint IS NULL OR h.seq < $4) AND EXISTS (SELECT 1 \
         FROM card c JOIN board b ON b.board_id = c.board_id WHERE c.card_id = $3 AND ",
        visible!(),
        ") ORDER BY h.seq DESC LIMIT $5"
    );
    Ok(sqlx::query_as(SQL)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(card_id)
        .bind(before)
        .bind(limit)
        .fetch_all(tx.conn())
        .await?)
}
