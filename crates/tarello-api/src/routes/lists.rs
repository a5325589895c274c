//! `/workspaces/{ws}/lists/{id}`: rename/move, delete, and new cards.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{patch, post};
use axum::{Json, Router};
use tarello_service::{CardInput, ListPatchInput};
use uuid::Uuid;

use crate::auth::WorkspaceCaller;
use crate::error::ApiError;
use crate::router::AppState;
use crate::{ApiJson, ApiPath};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workspaces/{ws}/lists/{id}", patch(update).delete(remove))
        .route("/workspaces/{ws}/lists/{id}/cards", post(create_card))
}

async fn update(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(b): ApiJson<ListPatchInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.update_list(&c, id, &b).await?))
}

async fn remove(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.delete_list(&c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

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
