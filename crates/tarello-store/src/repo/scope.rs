//! How a [`Grant`] reaches SQL. Write methods check that they were handed
//! the grant for their own action; board-scoped queries bind the grant's
//! "sees every board" flag as `$1` and the principal as `$2` and filter with
//! [`visible!`], so a row on a board the caller cannot see never leaves the
//! database.

use tarello_domain::policy::{Action, Grant, Scope};

use crate::StoreError;

/// The board-visibility predicate over a board aliased `b`; expects `$1`
/// (bool: sees every board) and `$2` (uuid: the principal).
#[macro_export]
#[doc(hidden)]
macro_rules! visible {
    () => {
        "($1::bool OR b.visibility <> 'private' OR EXISTS (SELECT 1 FROM board_member bm \
         WHERE bm.board_id = b.board_id AND bm.user_id = $2::uuid))"
    };
}
pub(crate) use visible;

/// `DELETE` of one row with an `author_id`, on a card of a board the read
/// grant sees, limited to the principal's own rows when the write grant is
/// own-scoped. Binds `$1`/`$2` as [`visible!`], `$3` the id, `$4` own-only.
macro_rules! delete_authored_sql {
    ($table:literal, $id:literal) => {
        concat!(
            "DELETE FROM ",
            $table,
            " x USING card c JOIN board b ON b.board_id = c.board_id WHERE x.",
            $id,
            " = $3 AND c.card_id = x.card_id AND (NOT $4::bool OR x.author_id = $2) AND ",
            visible!()
        )
    };
}
pub(crate) use delete_authored_sql;

/// Runs a [`delete_authored_sql!`] statement; false when no row matched.
pub(crate) async fn delete_authored(
    tx: &mut crate::TenantTx,
    grant: &Grant,
    read: &Grant,
    sql: &'static str,
    id: uuid::Uuid,
) -> Result<bool, StoreError> {
    let n = sqlx::query(sql)
        .bind(read.sees_all_boards())
        .bind(grant.principal_id())
        .bind(id)
        .bind(grant.own_only())
        .execute(tx.conn())
        .await?
        .rows_affected();
    Ok(n > 0)
}

/// A card deleted between our read and the foreign-key check is "not
/// there", not an internal error.
pub(crate) fn gone_is_none<T>(r: Result<Option<T>, sqlx::Error>) -> Result<Option<T>, StoreError> {
    match r.map_err(StoreError::from) {
        Err(e) if e.sqlstate().as_deref() == Some("23503") => Ok(None),
        other => other,
    }
}

/// Adds a (card, other) link row with `sql` — a statement that binds `$1`,
/// `$2` as [`visible!`], `$3` the card, `$4` the other id, `$5` the time,
/// and returns (card visible and other found, row added). `None` when the
/// card (or the other row) is not there for this grant.
pub(crate) async fn link_add(
    tx: &mut crate::TenantTx,
    grant: &Grant,
    sql: &'static str,
    card_id: uuid::Uuid,
    other_id: uuid::Uuid,
    now: time::OffsetDateTime,
) -> Result<Option<bool>, StoreError> {
    let r: Result<Option<(bool, bool)>, _> = sqlx::query_as(sql)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(card_id)
        .bind(other_id)
        .bind(now)
        .fetch_optional(tx.conn())
        .await;
    Ok(match gone_is_none(r)? {
        Some((true, added)) => Some(added),
        _ => None,
    })
}

/// Removes a (card, other) link row with `sql` (binds as [`link_add`]
/// without the time); false when nothing matched.
pub(crate) async fn link_remove(
    tx: &mut crate::TenantTx,
    grant: &Grant,
    sql: &'static str,
    card_id: uuid::Uuid,
    other_id: uuid::Uuid,
) -> Result<bool, StoreError> {
    let n = sqlx::query(sql)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(card_id)
        .bind(other_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
    Ok(n > 0)
}

/// Refuses a grant made for another action (a bug, not a user error).
pub(crate) fn require(grant: &Grant, action: Action) -> Result<(), StoreError> {
    if grant.action() == action && grant.scope() != Scope::Public {
        Ok(())
    } else {
        Err(StoreError::WrongGrant {
            expected: action.as_str(),
            got: grant.action().as_str(),
        })
    }
}

/// `require` for actions a public visitor may also hold.
pub(crate) fn require_any(grant: &Grant, action: Action) -> Result<(), StoreError> {
    if grant.action() == action {
        Ok(())
    } else {
        Err(StoreError::WrongGrant {
            expected: action.as_str(),
            got: grant.action().as_str(),
        })
    }
}

/// Page size bounds, shared by every list query.
pub const MAX_PAGE: i64 = 200;
