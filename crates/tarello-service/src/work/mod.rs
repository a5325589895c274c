//! The work model's use cases: boards, lists, cards and what hangs off them.
//!
//! Every use case has the same shape: open a tenant transaction for the
//! caller's workspace, ask the policy for a [`Grant`], hand the grant to the
//! store (which filters by its scope in SQL), commit, shape the answer.
//! Ids the caller cannot see answer NotFound — before any role check, so a
//! refusal never tells that a hidden row exists.

mod attachments;
mod boards;
mod cards;
mod comments;
mod downloads;
mod filters;
mod history;
mod history_export;
mod lists;
mod page;
mod tags;
mod text;
mod time_entries;
mod viewers;

pub(crate) use attachments::Files;
pub use attachments::{AttachmentConfig, AttachmentView, UploadError, UploadQuery};
pub use boards::{BoardInput, BoardPatchInput, BoardView, Visibility};
pub use cards::{CardInput, CardPatchInput, CardQuery, CardView};
pub use comments::{CommentInput, CommentView};
pub use downloads::{Download, served_type};
pub(crate) use filters::{short, time_range};
pub use history::{ActivityEvent, HistoryEvent, HistoryQuery};
pub use history_export::{Export, ExportFormat, HistoryExportQuery};
pub use lists::{ListInput, ListPatchInput, ListView};
pub use page::{Cursor, Page, PageQuery};
pub use tags::{TagInput, TagView};
pub use text::TextRule;
pub use time_entries::{TimeEntryInput, TimeEntryPatchInput, TimeEntryView};

use tarello_domain::policy::{Action, Grant};
use tarello_store::TenantTx;
use tarello_store::repo::target::{self, Target};

use crate::{Caller, ServiceError, Services};

impl Services {
    /// A tenant transaction for the caller's workspace.
    pub(crate) async fn tenant(&self, caller: &Caller) -> Result<TenantTx, ServiceError> {
        Ok(TenantTx::begin(&self.db, caller.workspace.id, &caller.actor()).await?)
    }
}

/// The grant for `action` on `target`. When the policy refuses, the caller
/// learns it (403) only if it can see the target; otherwise NotFound, the
/// same answer as for an id that does not exist.
pub(crate) async fn permit(
    tx: &mut TenantTx,
    caller: &Caller,
    action: Action,
    target: Target,
) -> Result<Grant, ServiceError> {
    match caller.authorize(action) {
        Ok(grant) => Ok(grant),
        Err(refusal) => {
            let read = caller.may(Action::BoardRead)?;
            if target::exists(tx, &read, target).await? {
                Err(refusal)
            } else {
                Err(ServiceError::NotFound)
            }
        }
    }
}

/// NotFound unless the caller can see `target`.
pub(crate) async fn must_see(
    tx: &mut TenantTx,
    caller: &Caller,
    target: Target,
) -> Result<(), ServiceError> {
    let read = caller.may(Action::BoardRead)?;
    if target::exists(tx, &read, target).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Turns "not there or not visible" into NotFound.
pub(crate) fn found<T>(v: Option<T>) -> Result<T, ServiceError> {
    v.ok_or(ServiceError::NotFound)
}
