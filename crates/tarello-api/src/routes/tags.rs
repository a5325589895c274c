//! `/workspaces/{ws}/tags`: the workspace's tags.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use tarello_service::{Page, PageQuery, TagInput, TagView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::WorkspaceCaller;
use crate::error::ApiError;
use crate::openapi::{ConflictProblem, JsonBodyProblems, QueryProblems, WorkspaceProblems, Ws};
use crate::router::AppState;
use crate::{ApiJson, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create))
}

/// The workspace's tags, oldest first.
#[utoipa::path(get, path = "/workspaces/{ws}/tags", tag = "tags",
    params(Ws, PageQuery),
    responses(
        (status = 200, description = "A page of tags.", body = Page<TagView>),
        WorkspaceProblems, QueryProblems,
    ),
    security(("workspace" = [])))]
async fn list(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.list_tags(&c, &q).await?))
}

/// Creates a tag; a name already taken (ignoring case) is 409.
#[utoipa::path(post, path = "/workspaces/{ws}/tags", tag = "tags",
    params(Ws),
    request_body = TagInput,
    responses(
        (status = 201, description = "The new tag.", body = TagView),
        WorkspaceProblems, JsonBodyProblems, ConflictProblem,
    ),
    security(("workspace" = [])))]
async fn create(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiJson(b): ApiJson<TagInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_tag(&c, &b).await?),
    ))
}
