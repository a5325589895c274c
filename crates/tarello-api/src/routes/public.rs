//! `/public/boards/{public_id}`: a public board, no login, read-only.

use axum::extract::State;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::boards::raw_json;
use crate::ApiPath;
use crate::documents::PublicBoard;
use crate::error::ApiError;
use crate::openapi::NotFoundProblem;
use crate::router::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show))
}

/// A public board: names, lists and cards, no login.
#[utoipa::path(get, path = "/public/boards/{public_id}", tag = "public",
    params(("public_id" = String, Path, description = "The public page's id (not the board's).")),
    responses(
        (status = 200, description = "The board.", body = PublicBoard),
        NotFoundProblem,
    ))]
async fn show(
    State(s): State<AppState>,
    ApiPath(public_id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(raw_json(s.services.public_board(&public_id).await?))
}
