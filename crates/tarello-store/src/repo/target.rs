//! "Can this grant see that row?" for every kind of row, in one place: the
//! service asks it after a refusal, to answer 404 for what the caller
//! cannot see and 403 only for what it can.

use tarello_domain::policy::Grant;
use uuid::Uuid;

use super::scope::visible;
use crate::{StoreError, TenantTx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Board(Uuid),
    List(Uuid),
    Card(Uuid),
    Comment(Uuid),
    TimeEntry(Uuid),
    Attachment(Uuid),
    Tag(Uuid),
}

/// `EXISTS` of a row of `$table` (key `$id`) that hangs off a board by its
/// `board_id` column.
macro_rules! on_board {
    ($table:literal, $id:literal) => {
        concat!(
            "SELECT EXISTS (SELECT 1 FROM ",
            $table,
            " x JOIN board b ON b.board_id = x.board_id \
             WHERE x.",
            $id,
            " = $3 AND ",
            visible!(),
            ")"
        )
    };
}

/// `EXISTS` of a row of `$table` (key `$id`) that hangs off a card.
macro_rules! on_card {
    ($table:literal, $id:literal) => {
        concat!(
            "SELECT EXISTS (SELECT 1 FROM ",
            $table,
            " x JOIN card c ON c.card_id = x.card_id \
             JOIN board b ON b.board_id = c.board_id WHERE x.",
            $id,
            " = $3 AND ",
            visible!(),
            ")"
        )
    };
}

/// Is the row there, on a board the grant can see?
pub async fn exists(tx: &mut TenantTx, grant: &Grant, target: Target) -> Result<bool, StoreError> {
    let (q, id) = match target {
        Target::Board(id) => (
            concat!(
                "SELECT EXISTS (SELECT 1 FROM board b WHERE b.board_id = $3 AND ",
                visible!(),
                ")"
            ),
            id,
        ),
        Target::List(id) => (on_board!("list", "list_id"), id),
        Target::Card(id) => (on_board!("card", "card_id"), id),
        Target::Comment(id) => (on_card!("comment", "comment_id"), id),
        Target::TimeEntry(id) => (on_card!("time_entry", "time_entry_id"), id),
        Target::Attachment(id) => (on_card!("attachment", "attachment_id"), id),
        // Tags belong to the whole workspace.
        Target::Tag(id) => (
            "SELECT EXISTS (SELECT 1 FROM tag WHERE tag_id = $3 AND ($1::bool OR $2::uuid IS NOT NULL))",
            id,
        ),
    };
    Ok(sqlx::query_scalar(q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(id)
        .fetch_one(tx.conn())
        .await?)
}
