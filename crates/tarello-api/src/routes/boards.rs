//! `/workspaces/{ws}/boards*`: boards, board members, lists on a board.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use tarello_service::{
    BoardInput, BoardPatchInput, BoardView, ListInput, ListView, Page, PageQuery,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::WorkspaceCaller;
use crate::documents::BoardDetail;
use crate::error::ApiError;
use crate::openapi::{
    ConflictProblem, JsonBodyProblems, QueryProblems, WorkspaceProblems, Ws, WsId, WsIdUser,
};
use crate::router::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
        .routes(routes!(add_member, remove_member))
        .routes(routes!(create_list))
        .routes(routes!(export))
}

/// A JSON document the database already serialised.
pub(crate) fn raw_json(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], body)
}

/// The boards the caller can see, oldest first.
#[utoipa::path(get, path = "/workspaces/{ws}/boards", tag = "boards",
    params(Ws, PageQuery),
    responses(
        (status = 200, description = "A page of boards.", body = Page<BoardView>),
        WorkspaceProblems, QueryProblems,
    ),
    security(("workspace" = [])))]
async fn list(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.list_boards(&c, &q).await?))
}

/// Creates a board (the caller becomes a board member).
#[utoipa::path(post, path = "/workspaces/{ws}/boards", tag = "boards",
    params(Ws),
    request_body = BoardInput,
    responses(
        (status = 201, description = "The new board.", body = BoardView),
        WorkspaceProblems, JsonBodyProblems,
    ),
    security(("workspace" = [])))]
async fn create(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiJson(b): ApiJson<BoardInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_board(&c, &b).await?),
    ))
}

/// The board with its lists and their unarchived cards, in order.
#[utoipa::path(get, path = "/workspaces/{ws}/boards/{id}", tag = "boards",
    params(WsId),
    responses(
        (status = 200, description = "The board.", body = BoardDetail),
        WorkspaceProblems,
    ),
    security(("workspace" = [])))]
async fn show(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(raw_json(s.services.board_view(&c, id).await?))
}

/// Renames, describes or changes the visibility of a board. With
/// `version`, only if the board is still at that version.
#[utoipa::path(patch, path = "/workspaces/{ws}/boards/{id}", tag = "boards",
    params(WsId),
    request_body = BoardPatchInput,
    responses(
        (status = 200, description = "The board as changed.", body = BoardView),
        WorkspaceProblems, JsonBodyProblems, ConflictProblem,
    ),
    security(("workspace" = [])))]
async fn update(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(b): ApiJson<BoardPatchInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.update_board(&c, id, &b).await?))
}

/// Deletes a board with everything on it.
#[utoipa::path(delete, path = "/workspaces/{ws}/boards/{id}", tag = "boards",
    params(WsId),
    responses((status = 204, description = "Deleted."), WorkspaceProblems),
    security(("workspace" = [])))]
async fn remove(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.delete_board(&c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes a workspace member a member of the board (idempotent).
#[utoipa::path(put, path = "/workspaces/{ws}/boards/{id}/members/{user_id}", tag = "boards",
    params(WsIdUser),
    responses((status = 204, description = "The user is a board member."), WorkspaceProblems),
    security(("workspace" = [])))]
async fn add_member(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id, user_id)): ApiPath<(String, Uuid, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.add_board_member(&c, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a board member (idempotent).
#[utoipa::path(delete, path = "/workspaces/{ws}/boards/{id}/members/{user_id}", tag = "boards",
    params(WsIdUser),
    responses((status = 204, description = "The user is not a board member."), WorkspaceProblems),
    security(("workspace" = [])))]
async fn remove_member(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id, user_id)): ApiPath<(String, Uuid, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.remove_board_member(&c, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a list to the board, at `position` or at the end.
#[utoipa::path(post, path = "/workspaces/{ws}/boards/{id}/lists", tag = "lists",
    params(WsId),
    request_body = ListInput,
    responses(
        (status = 201, description = "The new list.", body = ListView),
        WorkspaceProblems, JsonBodyProblems,
    ),
    security(("workspace" = [])))]
async fn create_list(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(b): ApiJson<ListInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_list(&c, id, &b).await?),
    ))
}

/// Everything on the board — lists, every card (archived too), comments,
/// tags, viewers, time entries and attachment metadata — as one JSON
/// document (`format` = `tarello.board/1`).
#[utoipa::path(get, path = "/workspaces/{ws}/boards/{id}/export", tag = "boards",
    params(WsId),
    responses(
        (status = 200, description = "The board's export document.", body = serde_json::Value),
        WorkspaceProblems,
    ),
    security(("workspace" = [])))]
async fn export(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    let mut res = raw_json(s.services.export_board(&c, id).await?).into_response();
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        axum::http::HeaderValue::from_static("attachment; filename=\"board.json\""),
    );
    Ok(res)
}
