//! `/api/v1/me*`: the account behind the session.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::json;
use uuid::Uuid;

use crate::auth::{AccountSession, ClientInfo};
use crate::error::ApiError;
use crate::router::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/me/sessions", get(sessions).delete(revoke_all))
        .route("/me/sessions/{id}", delete(revoke_one))
}

async fn me(
    State(s): State<AppState>,
    AccountSession(session): AccountSession,
) -> Result<impl IntoResponse, ApiError> {
    let (id, email, name) = s.services.me(&session).await?;
    Ok(Json(json!({ "id": id, "email": email, "name": name })))
}

async fn sessions(
    State(s): State<AppState>,
    AccountSession(session): AccountSession,
) -> Result<impl IntoResponse, ApiError> {
    let items = s.services.list_sessions(&session).await?;
    Ok(Json(json!({ "items": items, "next_cursor": null })))
}

async fn revoke_one(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    AccountSession(session): AccountSession,
    Path(id): Path<Uuid>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.revoke_session(&session, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke_all(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    AccountSession(session): AccountSession,
) -> Result<impl IntoResponse, ApiError> {
    s.services.revoke_all_sessions(&session, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
