//! `/healthz` (the process is up) and `/readyz` (the database answers and
//! its schema is exactly what this build expects).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tarello_store::migrate;

use crate::problem::Problem;
use crate::router::AppState;

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match migrate::ensure_current(&state.db, &state.migrations).await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
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
