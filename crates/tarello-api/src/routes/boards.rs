//! `/workspaces/{ws}/boards*`: boards, board members, lists on a board.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, put};
use axum::{Json, Router};
use tarello_service::{BoardInput, BoardPatchInput, ListInput, PageQuery};
use uuid::Uuid;

use crate::auth::WorkspaceCaller;
use crate::error::ApiError;
use crate::router::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workspaces/{ws}/boards", get(list).post(create))
        .route(
            "/workspaces/{ws}/boards/{id}",
            get(show).patch(update).delete(remove),
        )
        .route(
            "/workspaces/{ws}/boards/{id}/members/{user_id}",
            put(add_member).delete(remove_member),
        )
        .route(
            "/workspaces/{ws}/boards/{id}/lists",
            axum::routing::post(create_list),
        )
}

/// A JSON document the database already serialised.
pub(crate) fn raw_json(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], body)
}

async fn list(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.list_boards(&c, &q).await?))
}

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

async fn show(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(raw_json(s.services.board_view(&c, id).await?))
}

async fn update(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(b): ApiJson<BoardPatchInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.update_board(&c, id, &b).await?))
}

async fn remove(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.delete_board(&c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn add_member(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id, user_id)): ApiPath<(String, Uuid, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.add_board_member(&c, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_member(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id, user_id)): ApiPath<(String, Uuid, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.remove_board_member(&c, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

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
