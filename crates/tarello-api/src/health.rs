//! `/healthz` (the process is up) and `/readyz` (the database answers and
//! its schema is exactly what this build expects).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tarello_store::migrate;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::problem::Problem;
use crate::router::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` (healthz) or `ready` (readyz).
    #[schema(example = "ok")]
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process is up.", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database is reachable and its schema is current.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Ready to serve.", body = Health),
        (status = 503, description = "`not-ready`: the database is unreachable or its schema is not this build's.",
            body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match migrate::ensure_current(&state.db, &state.migrations).await {
        Ok(()) => Json(Health { status: "ready" }).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            let detail = match e {
                tarello_store::StoreError::OutOfDate { .. } => {
                    "The database schema is behind this build; an operator must run `tarello migrate`."
                }
                tarello_store::StoreError::TooNew { .. } => {
                    "The database schema is newer than this build."
                }
                _ => "The database is not reachable.",
            };
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not-ready", detail).into_response()
        }
    }
}
