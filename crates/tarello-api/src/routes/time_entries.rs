//! `/workspaces/{ws}/cards/{id}/time-entries` and
//! `/workspaces/{ws}/time-entries/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use tarello_service::{Page, PageQuery, TimeEntryInput, TimeEntryPatchInput, TimeEntryView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::WorkspaceCaller;
use crate::error::ApiError;
use crate::openapi::{JsonBodyProblems, QueryProblems, WorkspaceProblems, WsId};
use crate::router::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, remove))
}

/// The time logged on a card, oldest entry first.
#[utoipa::path(get, path = "/workspaces/{ws}/cards/{id}/time-entries", tag = "time entries",
    params(WsId, PageQuery),
    responses(
        (status = 200, description = "A page of time entries.", body = Page<TimeEntryView>),
        WorkspaceProblems, QueryProblems,
    ),
    security(("workspace" = [])))]
async fn list(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.list_time_entries(&c, id, &q).await?))
}

/// Logs time on a card, as the caller.
#[utoipa::path(post, path = "/workspaces/{ws}/cards/{id}/time-entries", tag = "time entries",
    params(WsId),
    request_body = TimeEntryInput,
    responses(
        (status = 201, description = "The new time entry.", body = TimeEntryView),
        WorkspaceProblems, JsonBodyProblems,
    ),
    security(("workspace" = [])))]
async fn create(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(b): ApiJson<TimeEntryInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_time_entry(&c, id, &b).await?),
    ))
}

/// Changes a time entry; only its author may (403 for another's).
#[utoipa::path(patch, path = "/workspaces/{ws}/time-entries/{id}", tag = "time entries",
    params(WsId),
    request_body = TimeEntryPatchInput,
    responses(
        (status = 200, description = "The time entry as changed.", body = TimeEntryView),
        WorkspaceProblems, JsonBodyProblems,
    ),
    security(("workspace" = [])))]
async fn update(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(b): ApiJson<TimeEntryPatchInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.update_time_entry(&c, id, &b).await?))
}

/// Deletes a time entry: its author, or an admin.
#[utoipa::path(delete, path = "/workspaces/{ws}/time-entries/{id}", tag = "time entries",
    params(WsId),
    responses((status = 204, description = "Deleted."), WorkspaceProblems),
    security(("workspace" = [])))]
async fn remove(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.delete_time_entry(&c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
