//! Tags (workspace-wide, unique by lower-cased name) and their links to
//! cards. Linking reaches the card through its board, which the grant must
//! see; a tag id of another workspace does not resolve in this schema.

use tarello_domain::policy::{Action, Grant};
use time::OffsetDateTime;
use uuid::Uuid;

use super::scope::{link_add, link_remove, require, visible};
use crate::{StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Tag {
    pub tag_id: Uuid,
    pub name: String,
    pub color: String,
    pub created_at: OffsetDateTime,
}

/// The workspace's tags in id (creation) order after `after`.
pub async fn list(
    tx: &mut TenantTx,
    grant: &Grant,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Tag>, StoreError> {
    require(grant, Action::TagRead)?;
    Ok(sqlx::query_as(
        "SELECT t.tag_id, t.name, t.color, t.created_at FROM tag t \
         WHERE ($1::uuid IS NULL OR t.tag_id > $1) ORDER BY t.tag_id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

#[derive(Debug, Clone)]
pub struct NewTag<'a> {
    pub tag_id: Uuid,
    pub name: &'a str,
    /// `#rrggbb`, lower-case.
    pub color: &'a str,
}

/// Creates a tag; `None` when one with the same name (ignoring case)
/// exists. `ON CONFLICT` keeps the transaction usable and the answer exact
/// under concurrent creates.
pub async fn create(
    tx: &mut TenantTx,
    grant: &Grant,
    tag: &NewTag<'_>,
    now: OffsetDateTime,
) -> Result<Option<Tag>, StoreError> {
    require(grant, Action::TagCreate)?;
    Ok(sqlx::query_as(
        "INSERT INTO tag AS t (tag_id, name, color, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING RETURNING t.tag_id, t.name, t.color, t.created_at",
    )
    .bind(tag.tag_id)
    .bind(tag.name)
    .bind(tag.color)
    .bind(now)
    .fetch_optional(tx.conn())
    .await?)
}

/// Puts a tag on a card. `None` when the card is not on a board the grant
/// can see or the tag does not exist; `Some(false)` when it was already
/// there (idempotent), `Some(true)` when added.
pub async fn add_to_card(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    tag_id: Uuid,
    now: OffsetDateTime,
) -> Result<Option<bool>, StoreError> {
    require(grant, Action::CardTagAdd)?;
    let q = concat!(
        "WITH target AS (SELECT c.card_id, t.tag_id FROM card c \
         JOIN board b ON b.board_id = c.board_id JOIN tag t ON t.tag_id = $4 \
         WHERE c.card_id = $3 AND ",
        visible!(),
        "), added AS (INSERT INTO card_tag (card_id, tag_id, added_at) \
         SELECT card_id, tag_id, $5 FROM target ON CONFLICT DO NOTHING RETURNING 1) \
         SELECT EXISTS (SELECT 1 FROM target), EXISTS (SELECT 1 FROM added)"
    );
    link_add(tx, grant, q, card_id, tag_id, now).await
}

/// Takes a tag off a card; false when the card is not visible or the tag
/// was not on it.
pub async fn remove_from_card(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    tag_id: Uuid,
) -> Result<bool, StoreError> {
    require(grant, Action::CardTagRemove)?;
    let q = concat!(
        "DELETE FROM card_tag ct USING card c JOIN board b ON b.board_id = c.board_id \
         WHERE ct.card_id = $3 AND ct.tag_id = $4 AND c.card_id = ct.card_id AND ",
        visible!()
    );
    link_remove(tx, grant, q, card_id, tag_id).await
}
