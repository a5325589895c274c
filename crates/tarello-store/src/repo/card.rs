//! Cards. A card's list is on the card's board (a composite foreign key
//! says so too); moving locks the card, then the target list, and writes
//! one row: the new rank key lies between the neighbours at the target slot.

use tarello_domain::policy::{Action, Grant};
use tarello_domain::rank;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::scope::{require, visible};
use crate::{StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Card {
    pub card_id: Uuid,
    pub board_id: Uuid,
    pub list_id: Uuid,
    pub title: String,
    pub description: String,
    pub due_date: Option<Date>,
    pub position: String,
    pub archived: bool,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str = "c.card_id, c.board_id, c.list_id, c.title, c.description, c.due_date, \
     c.position, c.archived, c.version, c.created_by, c.created_at, c.updated_at";

/// The rank key for slot `index` among the list's unarchived cards
/// (`excluding` the one being moved). Archived cards keep their keys and
/// stay between their neighbours, so keys remain unique in the list. Call
/// with the list row locked.
async fn rank_at(
    tx: &mut TenantTx,
    list_id: Uuid,
    excluding: Option<Uuid>,
    index: i64,
) -> Result<String, StoreError> {
    let (lo, hi): (Option<String>, Option<String>) = sqlx::query_as(
        "WITH hi AS (SELECT position FROM card WHERE list_id = $1 \
           AND card_id IS DISTINCT FROM $2 AND NOT archived ORDER BY position OFFSET $3 LIMIT 1) \
         SELECT (SELECT max(position) FROM card WHERE list_id = $1 \
           AND card_id IS DISTINCT FROM $2 \
           AND (NOT EXISTS (SELECT 1 FROM hi) OR position < (SELECT position FROM hi))), \
           (SELECT position FROM hi)",
    )
    .bind(list_id)
    .bind(excluding)
    .bind(index)
    .fetch_one(tx.conn())
    .await?;
    rank::between(lo.as_deref(), hi.as_deref()).ok_or(StoreError::BadRank)
}

/// Locks a list the grant can see; returns its board.
async fn lock_list(
    tx: &mut TenantTx,
    grant: &Grant,
    list_id: Uuid,
) -> Result<Option<Uuid>, StoreError> {
    let q = concat!(
        "SELECT l.board_id FROM list l JOIN board b ON b.board_id = l.board_id \
         WHERE l.list_id = $3 AND ",
        visible!(),
        " FOR UPDATE OF l"
    );
    Ok(sqlx::query_scalar(q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(list_id)
        .fetch_optional(tx.conn())
        .await?)
}

#[derive(Debug, Clone)]
pub struct NewCard<'a> {
    pub card_id: Uuid,
    pub title: &'a str,
    pub description: &'a str,
    pub due_date: Option<Date>,
}

/// Adds a card to a list at `index` (the end when past it or absent).
/// `None` when the list is not on a board the grant can see.
pub async fn create(
    tx: &mut TenantTx,
    grant: &Grant,
    list_id: Uuid,
    card: &NewCard<'_>,
    index: Option<i64>,
    now: OffsetDateTime,
) -> Result<Option<Card>, StoreError> {
    require(grant, Action::CardCreate)?;
    let Some(board_id) = lock_list(tx, grant, list_id).await? else {
        return Ok(None);
    };
    let key = rank_at(tx, list_id, None, index.unwrap_or(i64::MAX)).await?;
    let q = format!(
        "INSERT INTO card AS c (card_id, board_id, list_id, title, description, due_date, position, \
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         RETURNING {COLUMNS}"
    );
    Ok(Some(
        sqlx::query_as(&q)
            .bind(card.card_id)
            .bind(board_id)
            .bind(list_id)
            .bind(card.title)
            .bind(card.description)
            .bind(card.due_date)
            .bind(key)
            .bind(grant.principal_id())
            .bind(now)
            .fetch_one(tx.conn())
            .await?,
    ))
}

/// A card on a board the grant can see (any grant: the scope is what
/// counts), locked for update when `lock`.
pub async fn find(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    lock: bool,
) -> Result<Option<Card>, StoreError> {
    let q = format!(
        "SELECT {COLUMNS} FROM card c JOIN board b ON b.board_id = c.board_id \
         WHERE c.card_id = $3 AND {}{}",
        visible!(),
        if lock { " FOR UPDATE OF c" } else { "" }
    );
    Ok(sqlx::query_as(&q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(card_id)
        .fetch_optional(tx.conn())
        .await?)
}

/// The card with its tags, viewers and first comments, as JSON built by
/// the database; also its version (for the ETag).
pub async fn view(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    comments: i64,
) -> Result<Option<(String, i32)>, StoreError> {
    require(grant, Action::CardRead)?;
    let q = concat!(
        "SELECT json_build_object('id', c.card_id, 'board_id', c.board_id, 'list_id', c.list_id, \
         'title', c.title, 'description', c.description, 'due_date', c.due_date, \
         'rank', c.position, 'archived', c.archived, 'version', c.version, \
         'created_by', c.created_by, 'created_at', c.created_at, 'updated_at', c.updated_at, \
         'tag_ids', COALESCE((SELECT json_agg(ct.tag_id ORDER BY ct.tag_id) FROM card_tag ct WHERE ct.card_id = c.card_id), '[]'::json), \
         'viewer_ids', COALESCE((SELECT json_agg(cv.user_id ORDER BY cv.user_id) FROM card_viewer cv WHERE cv.card_id = c.card_id), '[]'::json), \
         'comment_count', (SELECT count(*) FROM comment m WHERE m.card_id = c.card_id), \
         'comments', COALESCE((SELECT json_agg(json_build_object('id', m.comment_id, 'card_id', m.card_id, \
            'author_id', m.author_id, 'body', m.body, 'created_at', m.created_at, 'updated_at', m.updated_at) \
            ORDER BY m.comment_id) FROM (SELECT * FROM comment WHERE card_id = c.card_id ORDER BY comment_id LIMIT $4) m), '[]'::json) \
         )::text, c.version FROM card c JOIN board b ON b.board_id = c.board_id WHERE c.card_id = $3 AND ",
        visible!()
    );
    Ok(sqlx::query_as(q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(card_id)
        .bind(comments)
        .fetch_optional(tx.conn())
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct CardPatch<'a> {
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    /// `Some(None)` clears the due date.
    pub due_date: Option<Option<Date>>,
    pub archived: Option<bool>,
    /// Move to this list (on the same board)...
    pub list_id: Option<Uuid>,
    /// ...at this slot among its unarchived cards.
    pub index: Option<i64>,
}

#[derive(Debug)]
pub enum CardUpdated {
    Done(Card),
    /// The card changed since `version`.
    Stale,
    /// Not there, or not visible.
    Missing,
    /// The target list is not on the card's board.
    NoSuchList,
}

pub async fn update(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    version: i32,
    patch: &CardPatch<'_>,
    now: OffsetDateTime,
) -> Result<CardUpdated, StoreError> {
    require(grant, Action::CardUpdate)?;
    let Some(before) = find(tx, grant, card_id, true).await? else {
        return Ok(CardUpdated::Missing);
    };
    if before.version != version {
        return Ok(CardUpdated::Stale);
    }
    let moving = patch.list_id.is_some() || patch.index.is_some();
    let target = patch.list_id.unwrap_or(before.list_id);
    let key = if moving {
        match lock_list(tx, grant, target).await? {
            Some(board) if board == before.board_id => {}
            _ => return Ok(CardUpdated::NoSuchList),
        }
        let index = patch.index.unwrap_or(i64::MAX);
        Some(rank_at(tx, target, Some(card_id), index).await?)
    } else {
        None
    };
    let q = format!(
        "UPDATE card c SET title = COALESCE($2, c.title), description = COALESCE($3, c.description), \
         due_date = CASE WHEN $4 THEN $5 ELSE c.due_date END, archived = COALESCE($6, c.archived), \
         list_id = $7, position = COALESCE($8, c.position), version = c.version + 1, updated_at = $9 \
         WHERE c.card_id = $1 RETURNING {COLUMNS}"
    );
    let card = sqlx::query_as(&q)
        .bind(card_id)
        .bind(patch.title)
        .bind(patch.description)
        .bind(patch.due_date.is_some())
        .bind(patch.due_date.flatten())
        .bind(patch.archived)
        .bind(target)
        .bind(key)
        .bind(now)
        .fetch_one(tx.conn())
        .await?;
    Ok(CardUpdated::Done(card))
}

/// Deletes a card; false when not visible.
pub async fn delete(tx: &mut TenantTx, grant: &Grant, card_id: Uuid) -> Result<bool, StoreError> {
    require(grant, Action::CardDelete)?;
    let q = concat!(
        "DELETE FROM card c USING board b WHERE b.board_id = c.board_id AND c.card_id = $3 AND ",
        visible!()
    );
    let n = sqlx::query(q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(card_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
    Ok(n > 0)
}

#[derive(Debug, Clone, Default)]
pub struct CardFilter {
    pub board_id: Option<Uuid>,
    pub list_id: Option<Uuid>,
    pub tag_id: Option<Uuid>,
    pub due_from: Option<Date>,
    pub due_to: Option<Date>,
    pub archived: Option<bool>,
}

/// Cards the grant can see, filtered, in id order after `after`.
pub async fn search(
    tx: &mut TenantTx,
    grant: &Grant,
    f: &CardFilter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Card>, StoreError> {
    require(grant, Action::CardRead)?;
    let q = format!(
        "SELECT {COLUMNS} FROM card c JOIN board b ON b.board_id = c.board_id WHERE {} \
         AND ($3::uuid IS NULL OR c.board_id = $3) AND ($4::uuid IS NULL OR c.list_id = $4) \
         AND ($5::uuid IS NULL OR EXISTS (SELECT 1 FROM card_tag t WHERE t.card_id = c.card_id AND t.tag_id = $5)) \
         AND ($6::date IS NULL OR c.due_date >= $6) AND ($7::date IS NULL OR c.due_date <= $7) \
         AND ($8::bool IS NULL OR c.archived = $8) AND ($9::uuid IS NULL OR c.card_id > $9) \
         ORDER BY c.card_id LIMIT $10",
        visible!()
    );
    Ok(sqlx::query_as(&q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(f.board_id)
        .bind(f.list_id)
        .bind(f.tag_id)
        .bind(f.due_from)
        .bind(f.due_to)
        .bind(f.archived)
        .bind(after)
        .bind(limit)
        .fetch_all(tx.conn())
        .await?)
}
