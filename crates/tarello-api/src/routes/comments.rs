//! `/workspaces/{ws}/cards/{id}/comments` and `/workspaces/{ws}/comments/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use tarello_service::{CommentInput, CommentView, Page, PageQuery};
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

/// A card's comments, oldest first.
#[utoipa::path(get, path = "/workspaces/{ws}/cards/{id}/comments", tag = "comments",
    params(WsId, PageQuery),
    responses(
        (status = 200, description = "A page of comments.", body = Page<CommentView>),
        WorkspaceProblems, QueryProblems,
    ),
    security(("workspace" = [])))]
async fn list(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.list_comments(&c, id, &q).await?))
}

/// Comments on a card, as the caller.
#[utoipa::path(post, path = "/workspaces/{ws}/cards/{id}/comments", tag = "comments",
    params(WsId),
    request_body = CommentInput,
    responses(
        (status = 201, description = "The new comment.", body = CommentView),
        WorkspaceProblems, JsonBodyProblems,
    ),
    security(("workspace" = [])))]
async fn create(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(b): ApiJson<CommentInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_comment(&c, id, &b).await?),
    ))
}

/// Rewrites a comment; only its author may (403 for another's).
#[utoipa::path(patch, path = "/workspaces/{ws}/comments/{id}", tag = "comments",
    params(WsId),
    request_body = CommentInput,
    responses(
        (status = 200, description = "The comment as changed.", body = CommentView),
        WorkspaceProblems, JsonBodyProblems,
    ),
    security(("workspace" = [])))]
async fn update(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(b): ApiJson<CommentInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.update_comment(&c, id, &b).await?))
}

/// Deletes a comment: its author, or an admin.
#[utoipa::path(delete, path = "/workspaces/{ws}/comments/{id}", tag = "comments",
    params(WsId),
    responses((status = 204, description = "Deleted."), WorkspaceProblems),
    security(("workspace" = [])))]
async fn remove(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.delete_comment(&c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
