//! `/public/boards/{public_id}`: a public board, no login, read-only.

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;

use super::boards::raw_json;
use crate::ApiPath;
use crate::error::ApiError;
use crate::router::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/public/boards/{public_id}", get(show))
}

async fn show(
    State(s): State<AppState>,
    ApiPath(public_id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(raw_json(s.services.public_board(&public_id).await?))
}
