//! `/workspaces/{ws}/history`: who changed what, when (admins); and a
//! card's own activity, for whoever sees the card.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use tarello_service::{ActivityEvent, HistoryEvent, HistoryQuery, Page, PageQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use uuid::Uuid;

use crate::auth::WorkspaceCaller;
use crate::error::ApiError;
use crate::openapi::{QueryProblems, WorkspaceProblems, Ws, WsId};
use crate::router::AppState;
use crate::{ApiPath, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(activity))
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

/// A card's activity, newest first: its own changes, tags and viewers
/// added and removed, and the comments, time entries and attachments on
/// it — who (actor), what (action, entity), when, and the changed fields.
/// The request id, client address and user agent are in the full history
/// only (admins). A card the caller cannot see is 404, as for reading it.
#[utoipa::path(get, path = "/workspaces/{ws}/cards/{id}/activity", tag = "cards",
    params(WsId, PageQuery),
    responses(
        (status = 200, description = "A page of the card's events.", body = Page<ActivityEvent>),
        WorkspaceProblems, QueryProblems,
    ),
    security(("workspace" = [])))]
async fn activity(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.card_activity(&c, id, &q).await?))
}
