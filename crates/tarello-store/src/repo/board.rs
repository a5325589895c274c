//! Boards and board members. Reads filter by visibility in SQL; the board
//! view (lists with card summaries) is one statement that builds the JSON
//! in the database, so a 5,000-card board is one round trip.

use tarello_domain::policy::{Action, Grant};
use time::OffsetDateTime;
use uuid::Uuid;

use super::scope::{require, require_any, visible};
use crate::{StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Board {
    pub board_id: Uuid,
    pub name: String,
    pub description: String,
    pub visibility: String,
    pub public_id: Option<String>,
    pub version: i32,
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str =
    "b.board_id, b.name, b.description, b.visibility, b.public_id, b.version, b.created_at";

#[derive(Debug, Clone)]
pub struct NewBoard<'a> {
    pub board_id: Uuid,
    pub name: &'a str,
    pub description: &'a str,
    pub visibility: &'a str,
    pub public_id: Option<&'a str>,
}

pub async fn create(
    tx: &mut TenantTx,
    grant: &Grant,
    b: &NewBoard<'_>,
    now: OffsetDateTime,
) -> Result<Board, StoreError> {
    require(grant, Action::BoardCreate)?;
    let q = format!(
        "INSERT INTO board AS b (board_id, name, description, visibility, public_id, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(&q)
        .bind(b.board_id)
        .bind(b.name)
        .bind(b.description)
        .bind(b.visibility)
        .bind(b.public_id)
        .bind(grant.principal_id())
        .bind(now)
        .fetch_one(tx.conn())
        .await?)
}

/// Boards the grant can see, in id (creation) order, after `after`.
pub async fn list(
    tx: &mut TenantTx,
    grant: &Grant,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Board>, StoreError> {
    require(grant, Action::BoardRead)?;
    let q = format!(
        "SELECT {COLUMNS} FROM board b WHERE {} AND ($3::uuid IS NULL OR b.board_id > $3) \
         ORDER BY b.board_id LIMIT $4",
        visible!()
    );
    Ok(sqlx::query_as(&q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(after)
        .bind(limit)
        .fetch_all(tx.conn())
        .await?)
}

/// One board the grant can see, locked for update when `lock`.
pub async fn find(
    tx: &mut TenantTx,
    grant: &Grant,
    board_id: Uuid,
    lock: bool,
) -> Result<Option<Board>, StoreError> {
    let q = format!(
        "SELECT {COLUMNS} FROM board b WHERE b.board_id = $3 AND {}{}",
        visible!(),
        if lock { " FOR UPDATE OF b" } else { "" }
    );
    Ok(sqlx::query_as(&q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(board_id)
        .fetch_optional(tx.conn())
        .await?)
}

/// The fields of a card summary, shared by the member and public views.
macro_rules! card_summary {
    () => {
        "json_build_object('id', c.card_id, 'title', c.title, 'rank', c.position, \
         'due_date', c.due_date, 'version', c.version, 'tag_ids', \
         COALESCE((SELECT json_agg(ct.tag_id ORDER BY ct.tag_id) FROM card_tag ct WHERE ct.card_id = c.card_id), '[]'::json))"
    };
}

macro_rules! lists_with_cards {
    () => {
        concat!(
            "COALESCE((SELECT json_agg(json_build_object('id', l.list_id, 'name', l.name, \
             'rank', l.position, 'version', l.version, 'cards', \
             COALESCE((SELECT json_agg(",
            card_summary!(),
            " ORDER BY c.position) FROM card c WHERE c.list_id = l.list_id AND NOT c.archived), '[]'::json)) \
             ORDER BY l.position) FROM list l WHERE l.board_id = b.board_id), '[]'::json)"
        )
    };
}

/// The board with its lists in order and each list's unarchived cards in
/// order, as a JSON document built by the database.
pub async fn view(
    tx: &mut TenantTx,
    grant: &Grant,
    board_id: Uuid,
) -> Result<Option<String>, StoreError> {
    require(grant, Action::BoardRead)?;
    let q = concat!(
        "SELECT json_build_object('id', b.board_id, 'name', b.name, 'description', b.description, \
         'visibility', b.visibility, 'public_id', b.public_id, 'version', b.version, \
         'created_at', b.created_at, 'lists', ",
        lists_with_cards!(),
        ")::text FROM board b WHERE b.board_id = $3 AND ",
        visible!()
    );
    Ok(sqlx::query_scalar(q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(board_id)
        .fetch_optional(tx.conn())
        .await?)
}

/// A public board for visitors with no login: names, lists and cards only
/// (no people, no settings, nothing else of the workspace).
pub async fn public_view(
    tx: &mut TenantTx,
    grant: &Grant,
    public_id: &str,
) -> Result<Option<String>, StoreError> {
    require_any(grant, Action::BoardRead)?;
    let q = concat!(
        "SELECT json_build_object('name', b.name, 'description', b.description, 'lists', ",
        lists_with_cards!(),
        ")::text FROM board b WHERE b.public_id = $1 AND b.visibility = 'public'"
    );
    Ok(sqlx::query_scalar(q)
        .bind(public_id)
        .fetch_optional(tx.conn())
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct BoardPatch<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub visibility: Option<&'a str>,
    /// Used when the board becomes public and has no public id yet.
    pub new_public_id: Option<&'a str>,
}

#[derive(Debug)]
pub enum Updated<T> {
    Done(T),
    Stale,
    Missing,
}

/// Applies `patch` when the board is at `version` (if given).
pub async fn update(
    tx: &mut TenantTx,
    grant: &Grant,
    board_id: Uuid,
    version: Option<i32>,
    patch: &BoardPatch<'_>,
    now: OffsetDateTime,
) -> Result<Updated<(Board, Option<String>)>, StoreError> {
    require(grant, Action::BoardUpdate)?;
    let Some(before) = find(tx, grant, board_id, true).await? else {
        return Ok(Updated::Missing);
    };
    if version.is_some_and(|v| v != before.version) {
        return Ok(Updated::Stale);
    }
    let visibility = patch.visibility.unwrap_or(&before.visibility);
    let public_id = if visibility == "public" {
        before.public_id.as_deref().or(patch.new_public_id)
    } else {
        None
    };
    let q = format!(
        "UPDATE board b SET name = COALESCE($2, b.name), description = COALESCE($3, b.description), \
         visibility = $4, public_id = $5, version = b.version + 1, updated_at = $6 \
         WHERE b.board_id = $1 RETURNING {COLUMNS}"
    );
    let after: Board = sqlx::query_as(&q)
        .bind(board_id)
        .bind(patch.name)
        .bind(patch.description)
        .bind(visibility)
        .bind(public_id)
        .bind(now)
        .fetch_one(tx.conn())
        .await?;
    Ok(Updated::Done((after, before.public_id)))
}

/// Deletes the board and everything on it; returns its public id, if any.
pub async fn delete(
    tx: &mut TenantTx,
    grant: &Grant,
    board_id: Uuid,
) -> Result<Option<Option<String>>, StoreError> {
    require(grant, Action::BoardDelete)?;
    let q = concat!(
        "DELETE FROM board b WHERE b.board_id = $3 AND ",
        visible!(),
        " RETURNING b.public_id"
    );
    Ok(sqlx::query_scalar(q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(board_id)
        .fetch_optional(tx.conn())
        .await?)
}

/// Adds a board member (idempotent). `None` when the board is not visible.
pub async fn add_member(
    tx: &mut TenantTx,
    grant: &Grant,
    board_id: Uuid,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<Option<()>, StoreError> {
    require(grant, Action::BoardMemberManage)?;
    if find(tx, grant, board_id, false).await?.is_none() {
        return Ok(None);
    }
    sqlx::query(
        "INSERT INTO board_member (board_id, user_id, added_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(board_id)
    .bind(user_id)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(Some(()))
}

/// Removes a board member. `None` when the board is not visible.
pub async fn remove_member(
    tx: &mut TenantTx,
    grant: &Grant,
    board_id: Uuid,
    user_id: Uuid,
) -> Result<Option<bool>, StoreError> {
    require(grant, Action::BoardMemberManage)?;
    if find(tx, grant, board_id, false).await?.is_none() {
        return Ok(None);
    }
    let n = sqlx::query("DELETE FROM board_member WHERE board_id = $1 AND user_id = $2")
        .bind(board_id)
        .bind(user_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
    Ok(Some(n > 0))
}

/// The user ids of the members of a board the grant can see.
pub async fn members(
    tx: &mut TenantTx,
    grant: &Grant,
    board_id: Uuid,
) -> Result<Vec<Uuid>, StoreError> {
    require(grant, Action::BoardRead)?;
    let q = concat!(
        "SELECT m.user_id FROM board_member m JOIN board b ON b.board_id = m.board_id \
         WHERE m.board_id = $3 AND ",
        visible!(),
        " ORDER BY m.user_id"
    );
    Ok(sqlx::query_scalar(q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(board_id)
        .fetch_all(tx.conn())
        .await?)
}
