//! `/api/v1/workspaces*`: create, list mine, token exchange, JWKS, and the
//! workspace itself (read with a workspace token).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tarello_domain::Slug;

use crate::ApiJson;
use crate::auth::{AccountSession, WorkspaceCaller};
use crate::error::ApiError;
use crate::router::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workspaces", post(create).get(list))
        .route("/workspaces/{ws}", get(show))
        .route("/workspaces/{ws}/token", post(token))
        .route("/workspaces/{ws}/jwks.json", get(jwks))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    slug: Slug,
    name: String,
}

async fn create(
    State(s): State<AppState>,
    AccountSession(session): AccountSession,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = s
        .services
        .create_workspace(&session, &b.slug, &b.name)
        .await?;
    Ok((StatusCode::CREATED, Json(ws)))
}

async fn list(
    State(s): State<AppState>,
    AccountSession(session): AccountSession,
) -> Result<impl IntoResponse, ApiError> {
    let items = s.services.my_workspaces(&session).await?;
    Ok(Json(json!({ "items": items, "next_cursor": null })))
}

async fn token(
    State(s): State<AppState>,
    AccountSession(session): AccountSession,
    Path(ws): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.workspace_token(&session, &ws).await?))
}

async fn jwks(
    State(s): State<AppState>,
    Path(ws): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.jwks(&ws).await?))
}

async fn show(WorkspaceCaller(c): WorkspaceCaller) -> impl IntoResponse {
    Json(json!({
        "id": c.workspace.id,
        "slug": c.workspace.slug,
        "name": c.workspace.name,
        "role": c.role,
    }))
}
