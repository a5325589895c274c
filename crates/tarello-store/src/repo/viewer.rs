//! Card viewers: people following a card. The card is reached through its
//! board, which the grant must see; that the user is an active member of
//! the workspace is the service's check (it lives in the control plane).

use tarello_domain::policy::{Action, Grant};
use time::OffsetDateTime;
use uuid::Uuid;

use super::scope::{link_add, link_remove, require, visible};
use crate::{StoreError, TenantTx};

/// Adds a viewer. `None` when the card is not on a board the grant can
/// see; `Some(false)` when the user already was one, `Some(true)` when
/// added.
pub async fn add(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<Option<bool>, StoreError> {
    require(grant, Action::ViewerAdd)?;
    let q = concat!(
        "WITH target AS (SELECT c.card_id FROM card c JOIN board b ON b.board_id = c.board_id \
         WHERE c.card_id = $3 AND ",
        visible!(),
        "), added AS (INSERT INTO card_viewer (card_id, user_id, added_at) \
         SELECT card_id, $4, $5 FROM target ON CONFLICT DO NOTHING RETURNING 1) \
         SELECT EXISTS (SELECT 1 FROM target), EXISTS (SELECT 1 FROM added)"
    );
    link_add(tx, grant, q, card_id, user_id, now).await
}

/// Whether `user_id` can see the card's board: it is not private, they
/// are a board member, or they see every board (`sees_all`: admins).
/// `None` when the card is not on a board the grant sees (so a hidden
/// card's existence does not show through this answer).
pub async fn card_visible_to(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    user_id: Uuid,
    sees_all: bool,
) -> Result<Option<bool>, StoreError> {
    require(grant, Action::ViewerAdd)?;
    let q = concat!(
        "SELECT ($5::bool OR b.visibility <> 'private' OR EXISTS (SELECT 1 FROM board_member bm \
         WHERE bm.board_id = b.board_id AND bm.user_id = $4)) \
         FROM card c JOIN board b ON b.board_id = c.board_id WHERE c.card_id = $3 AND ",
        visible!()
    );
    Ok(sqlx::query_scalar(q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(card_id)
        .bind(user_id)
        .bind(sees_all)
        .fetch_optional(tx.conn())
        .await?)
}

/// Removes a viewer; false when the card is not visible or the user was
/// not a viewer.
pub async fn remove(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    user_id: Uuid,
) -> Result<bool, StoreError> {
    require(grant, Action::ViewerRemove)?;
    let q = concat!(
        "DELETE FROM card_viewer cv USING card c JOIN board b ON b.board_id = c.board_id \
         WHERE cv.card_id = $3 AND cv.user_id = $4 AND c.card_id = cv.card_id AND ",
        visible!()
    );
    link_remove(tx, grant, q, card_id, user_id).await
}
