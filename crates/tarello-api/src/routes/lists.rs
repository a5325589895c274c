//! `/workspaces/{ws}/lists/{id}`: rename/move, delete, and new cards.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use tarello_service::{CardInput, CardView, ListPatchInput, ListView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::WorkspaceCaller;
use crate::error::ApiError;
use crate::openapi::{ConflictProblem, JsonBodyProblems, WorkspaceProblems, WsId};
use crate::router::AppState;
use crate::{ApiJson, ApiPath};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update, remove))
        .routes(routes!(create_card))
}

/// Renames or moves a list. With `version`, only if the list is still at
/// that version.
#[utoipa::path(patch, path = "/workspaces/{ws}/lists/{id}", tag = "lists",
    params(WsId),
    request_body = ListPatchInput,
    responses(
        (status = 200, description = "The list as changed.", body = ListView),
        WorkspaceProblems, JsonBodyProblems, ConflictProblem,
    ),
    security(("workspace" = [])))]
async fn update(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(b): ApiJson<ListPatchInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.update_list(&c, id, &b).await?))
}

/// Deletes a list with its cards.
#[utoipa::path(delete, path = "/workspaces/{ws}/lists/{id}", tag = "lists",
    params(WsId),
    responses((status = 204, description = "Deleted."), WorkspaceProblems),
    security(("workspace" = [])))]
async fn remove(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.delete_list(&c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a card to the list, at `position` or at the end.
#[utoipa::path(post, path = "/workspaces/{ws}/lists/{id}/cards", tag = "cards",
    params(WsId),
    request_body = CardInput,
    responses(
        (status = 201, description = "The new card.", body = CardView),
        WorkspaceProblems, JsonBodyProblems,
    ),
    security(("workspace" = [])))]
async fn create_card(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(b): ApiJson<CardInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_card(&c, id, &b).await?),
    ))
}
