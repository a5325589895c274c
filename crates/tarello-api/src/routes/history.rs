//! `/workspaces/{ws}/history`: who changed what, when (admins).

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use tarello_service::{HistoryEvent, HistoryQuery, Page};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiQuery;
use crate::auth::WorkspaceCaller;
use crate::error::ApiError;
use crate::openapi::{QueryProblems, WorkspaceProblems, Ws};
use crate::router::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// The change history, oldest first: every insert, update and delete of
/// boards, lists, cards, comments, tags, card tags, viewers, time entries,
/// attachments and board members, with actor, request and changed fields.
#[utoipa::path(get, path = "/workspaces/{ws}/history", tag = "history",
    params(Ws, HistoryQuery),
    responses(
        (status = 200, description = "A page of events.", body = Page<HistoryEvent>),
        WorkspaceProblems, QueryProblems,
    ),
    security(("workspace" = [])))]
async fn list(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.history(&c, &q).await?))
}
