//! Comments on cards. A comment is reached through its card's board: the
//! board must be visible to the caller's read grant. Editing is for the
//! author (the write grant's `Own` scope), deleting for the author or, with
//! a workspace-wide grant, an admin. Each call is one statement.

use tarello_domain::policy::{Action, Grant};
use time::OffsetDateTime;
use uuid::Uuid;

use super::scope::{delete_authored, delete_authored_sql, gone_is_none, require, visible};
use crate::{StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Comment {
    pub comment_id: Uuid,
    pub card_id: Uuid,
    pub author_id: Uuid,
    pub body: String,
    pub created_at: OffsetDateTime,
    pub updated_at: Option<OffsetDateTime>,
}

/// A page row: the card was found; the comment columns are null when the
/// page is empty (the card is there, it has no comments past the cursor).
#[derive(sqlx::FromRow)]
struct Slot {
    comment_id: Option<Uuid>,
    card_id: Option<Uuid>,
    author_id: Option<Uuid>,
    body: Option<String>,
    created_at: Option<OffsetDateTime>,
    updated_at: Option<OffsetDateTime>,
}

impl Slot {
    fn comment(self) -> Option<Comment> {
        Some(Comment {
            comment_id: self.comment_id?,
            card_id: self.card_id?,
            author_id: self.author_id?,
            body: self.body?,
            created_at: self.created_at?,
            updated_at: self.updated_at,
        })
    }
}

const RETURNING: &str =
    " RETURNING x.comment_id, x.card_id, x.author_id, x.body, x.created_at, x.updated_at";

/// A card's comments in id (creation) order after `after`; `None` when the
/// card is not on a board the grant can see. One statement: the card's
/// visibility and the page come together.
pub async fn list(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Option<Vec<Comment>>, StoreError> {
    require(grant, Action::CommentRead)?;
    let q = concat!(
        "SELECT x.comment_id, x.card_id, x.author_id, x.body, x.created_at, x.updated_at \
         FROM card c JOIN board b ON b.board_id = c.board_id \
         LEFT JOIN LATERAL (SELECT m.comment_id, m.card_id, m.author_id, m.body, m.created_at, \
         m.updated_at FROM comment m WHERE m.card_id = c.card_id \
         AND ($4::uuid IS NULL OR m.comment_id > $4) ORDER BY m.comment_id LIMIT $5) x ON true \
         WHERE c.card_id = $3 AND ",
        visible!(),
        " ORDER BY x.comment_id"
    );
    let rows: Vec<Slot> = sqlx::query_as(q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(card_id)
        .bind(after)
        .bind(limit)
        .fetch_all(tx.conn())
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(rows.into_iter().filter_map(Slot::comment).collect()))
}

#[derive(Debug, Clone)]
pub struct NewComment<'a> {
    pub comment_id: Uuid,
    pub body: &'a str,
}

/// Adds a comment by the grant's principal; `None` when the card is not on
/// a board the grant can see (or was deleted meanwhile).
pub async fn create(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    new: &NewComment<'_>,
    now: OffsetDateTime,
) -> Result<Option<Comment>, StoreError> {
    require(grant, Action::CommentCreate)?;
    let q = [
        concat!(
            "INSERT INTO comment AS x (comment_id, card_id, author_id, body, created_at) \
             SELECT $4::uuid, c.card_id, $2::uuid, $5::text, $6::timestamptz \
             FROM card c JOIN board b ON b.board_id = c.board_id WHERE c.card_id = $3 AND ",
            visible!()
        ),
        RETURNING,
    ]
    .concat();
    let r = sqlx::query_as(&q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(card_id)
        .bind(new.comment_id)
        .bind(new.body)
        .bind(now)
        .fetch_optional(tx.conn())
        .await;
    gone_is_none(r)
}

/// Replaces the body. `grant` is the `CommentUpdate` grant (its `Own`
/// scope limits the row to the principal's); `read` is the caller's
/// `CommentRead` grant, which says which boards it reaches. `None` when no
/// such comment is both visible and the caller's to edit.
pub async fn update(
    tx: &mut TenantTx,
    grant: &Grant,
    read: &Grant,
    comment_id: Uuid,
    body: &str,
    now: OffsetDateTime,
) -> Result<Option<Comment>, StoreError> {
    require(grant, Action::CommentUpdate)?;
    require(read, Action::CommentRead)?;
    let q = [
        concat!(
            "UPDATE comment x SET body = $5, updated_at = $6 \
             FROM card c JOIN board b ON b.board_id = c.board_id \
             WHERE x.comment_id = $3 AND c.card_id = x.card_id \
             AND (NOT $4::bool OR x.author_id = $2) AND ",
            visible!()
        ),
        RETURNING,
    ]
    .concat();
    Ok(sqlx::query_as(&q)
        .bind(read.sees_all_boards())
        .bind(grant.principal_id())
        .bind(comment_id)
        .bind(grant.own_only())
        .bind(body)
        .bind(now)
        .fetch_optional(tx.conn())
        .await?)
}

/// Deletes a comment the grant reaches (see [`update`] for the two
/// grants); false when there is none.
pub async fn delete(
    tx: &mut TenantTx,
    grant: &Grant,
    read: &Grant,
    comment_id: Uuid,
) -> Result<bool, StoreError> {
    require(grant, Action::CommentDelete)?;
    require(read, Action::CommentRead)?;
    delete_authored(
        tx,
        grant,
        read,
        delete_authored_sql!("comment", "comment_id"),
        comment_id,
    )
    .await
}
