//! Lists on a board, ordered by rank key. Placing a list locks its board
//! row, so two concurrent placements on one board cannot pick the same key.

use tarello_domain::policy::{Action, Grant};
use tarello_domain::rank;
use time::OffsetDateTime;
use uuid::Uuid;

use super::board::{self, Updated};
use super::scope::{require, visible};
use crate::{StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct List {
    pub list_id: Uuid,
    pub board_id: Uuid,
    pub name: String,
    pub position: String,
    pub version: i32,
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str = "l.list_id, l.board_id, l.name, l.position, l.version, l.created_at";

/// The rank key for slot `index` among a board's lists (`excluding` one
/// being moved). Call with the board row locked.
async fn rank_at(
    tx: &mut TenantTx,
    board_id: Uuid,
    excluding: Option<Uuid>,
    index: i64,
) -> Result<String, StoreError> {
    let (lo, hi): (Option<String>, Option<String>) = sqlx::query_as(
        "WITH hi AS (SELECT position FROM list WHERE board_id = $1 \
           AND list_id IS DISTINCT FROM $2 ORDER BY position OFFSET $3 LIMIT 1) \
         SELECT (SELECT max(position) FROM list WHERE board_id = $1 \
           AND list_id IS DISTINCT FROM $2 \
           AND (NOT EXISTS (SELECT 1 FROM hi) OR position < (SELECT position FROM hi))), \
           (SELECT position FROM hi)",
    )
    .bind(board_id)
    .bind(excluding)
    .bind(index)
    .fetch_one(tx.conn())
    .await?;
    rank::between(lo.as_deref(), hi.as_deref()).ok_or(StoreError::BadRank)
}

/// Adds a list at `index` (the end when past it). `None` when the board is
/// not visible to the grant.
pub async fn create(
    tx: &mut TenantTx,
    grant: &Grant,
    board_id: Uuid,
    list_id: Uuid,
    name: &str,
    index: Option<i64>,
    now: OffsetDateTime,
) -> Result<Option<List>, StoreError> {
    require(grant, Action::ListCreate)?;
    if board::find(tx, grant, board_id, true).await?.is_none() {
        return Ok(None);
    }
    let key = rank_at(tx, board_id, None, index.unwrap_or(i64::MAX)).await?;
    let q = format!(
        "INSERT INTO list AS l (list_id, board_id, name, position, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
    );
    Ok(Some(
        sqlx::query_as(&q)
            .bind(list_id)
            .bind(board_id)
            .bind(name)
            .bind(key)
            .bind(now)
            .fetch_one(tx.conn())
            .await?,
    ))
}

/// A list on a board the grant can see.
pub async fn find(
    tx: &mut TenantTx,
    grant: &Grant,
    list_id: Uuid,
) -> Result<Option<List>, StoreError> {
    let q = format!(
        "SELECT {COLUMNS} FROM list l JOIN board b ON b.board_id = l.board_id \
         WHERE l.list_id = $3 AND {}",
        visible!()
    );
    Ok(sqlx::query_as(&q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(list_id)
        .fetch_optional(tx.conn())
        .await?)
}

/// Renames and/or moves a list to `index`, when at `version` (if given).
pub async fn update(
    tx: &mut TenantTx,
    grant: &Grant,
    list_id: Uuid,
    version: Option<i32>,
    name: Option<&str>,
    index: Option<i64>,
    now: OffsetDateTime,
) -> Result<Updated<List>, StoreError> {
    require(grant, Action::ListUpdate)?;
    let Some(before) = find(tx, grant, list_id).await? else {
        return Ok(Updated::Missing);
    };
    // Board first, then the list: the same order as `create`.
    board::find(tx, grant, before.board_id, true).await?;
    let current: Option<i32> =
        sqlx::query_scalar("SELECT version FROM list WHERE list_id = $1 FOR UPDATE")
            .bind(list_id)
            .fetch_optional(tx.conn())
            .await?;
    match (current, version) {
        (None, _) => return Ok(Updated::Missing),
        (Some(c), Some(v)) if c != v => return Ok(Updated::Stale),
        _ => {}
    }
    let key = match index {
        Some(i) => Some(rank_at(tx, before.board_id, Some(list_id), i).await?),
        None => None,
    };
    let q = format!(
        "UPDATE list l SET name = COALESCE($2, l.name), position = COALESCE($3, l.position), \
         version = l.version + 1, updated_at = $4 WHERE l.list_id = $1 RETURNING {COLUMNS}"
    );
    Ok(Updated::Done(
        sqlx::query_as(&q)
            .bind(list_id)
            .bind(name)
            .bind(key)
            .bind(now)
            .fetch_one(tx.conn())
            .await?,
    ))
}

/// Deletes a list and its cards. False when not visible.
pub async fn delete(tx: &mut TenantTx, grant: &Grant, list_id: Uuid) -> Result<bool, StoreError> {
    require(grant, Action::ListDelete)?;
    let q = concat!(
        "DELETE FROM list l USING board b WHERE b.board_id = l.board_id AND l.list_id = $3 AND ",
        visible!()
    );
    let n = sqlx::query(q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(list_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
    Ok(n > 0)
}
