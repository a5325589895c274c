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
