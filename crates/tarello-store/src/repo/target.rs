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
        Target::List(id) => (
            concat!(
                "SELECT EXISTS (SELECT 1 FROM list l JOIN board b ON b.board_id = l.board_id \
                 WHERE l.list_id = $3 AND ",
                visible!(),
                ")"
            ),
            id,
        ),
        Target::Card(id) => (
            concat!(
                "SELECT EXISTS (SELECT 1 FROM card c JOIN board b ON b.board_id = c.board_id \
                 WHERE c.card_id = $3 AND ",
                visible!(),
                ")"
            ),
            id,
        ),
        Target::Comment(id) => (
            concat!(
                "SELECT EXISTS (SELECT 1 FROM comment x JOIN card c ON c.card_id = x.card_id \
                 JOIN board b ON b.board_id = c.board_id WHERE x.comment_id = $3 AND ",
                visible!(),
                ")"
            ),
            id,
        ),
        Target::TimeEntry(id) => (
            concat!(
                "SELECT EXISTS (SELECT 1 FROM time_entry x JOIN card c ON c.card_id = x.card_id \
                 JOIN board b ON b.board_id = c.board_id WHERE x.time_entry_id = $3 AND ",
                visible!(),
                ")"
            ),
            id,
        ),
        Target::Attachment(id) => (
            concat!(
                "SELECT EXISTS (SELECT 1 FROM attachment x JOIN card c ON c.card_id = x.card_id \
                 JOIN board b ON b.board_id = c.board_id WHERE x.attachment_id = $3 AND ",
                visible!(),
                ")"
            ),
            id,
        ),
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
