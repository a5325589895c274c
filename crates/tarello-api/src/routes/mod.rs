//! One router per resource. Each module's `router()` returns an
//! [`OpenApiRouter`] built with `.routes(routes!(handler, ...))`, every
//! handler annotated with `#[utoipa::path]` (see `crate::openapi`), and is
//! merged in [`v1`] (or, outside `/api/v1`, in `crate::openapi::api`).

pub mod attachments;
pub mod auth;
pub mod boards;
pub mod card_links;
pub mod cards;
pub mod comments;
pub mod files;
pub mod history;
pub mod history_export;
pub mod invitations;
pub mod lists;
pub mod me;
pub mod public;
pub mod security_log;
pub mod tags;
pub mod time_entries;
pub mod workspaces;

use utoipa_axum::router::OpenApiRouter;

use crate::router::AppState;

/// Everything under `/api/v1`.
pub fn v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(me::router())
        .merge(workspaces::router())
        .merge(invitations::router())
        .merge(boards::router())
        .merge(lists::router())
        .merge(cards::router())
        .merge(comments::router())
        .merge(tags::router())
        .merge(card_links::router())
        .merge(time_entries::router())
        .merge(attachments::router())
        .merge(history::router())
        .merge(security_log::router())
        .merge(history_export::router())
}
