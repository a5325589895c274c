//! `/api/v1/me*`: the account behind the session.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tarello_crypto::SecretString;

use crate::ApiJson;
use uuid::Uuid;

use crate::auth::{AccountSession, ClientInfo};
use crate::error::ApiError;
use crate::router::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/me/sessions", get(sessions).delete(revoke_all))
        .route("/me/sessions/{id}", delete(revoke_one))
        .route("/me/totp", post(totp_enrol).delete(totp_disable))
        .route("/me/totp/confirm", post(totp_confirm))
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

async fn totp_enrol(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    AccountSession(session): AccountSession,
) -> Result<impl IntoResponse, ApiError> {
    let e = s.services.enrol_totp(&session, &client).await?;
    // Shown once, to the account's owner, so an authenticator can be set up.
    Ok(Json(
        json!({ "secret": e.secret.expose(), "otpauth_uri": e.otpauth_uri.expose() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    code: String,
}

async fn totp_confirm(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    AccountSession(session): AccountSession,
    ApiJson(b): ApiJson<CodeBody>,
) -> Result<impl IntoResponse, ApiError> {
    let codes = s.services.confirm_totp(&session, &b.code, &client).await?;
    let codes: Vec<&str> = codes.iter().map(|c| c.expose().as_str()).collect();
    Ok(Json(json!({ "recovery_codes": codes })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisableBody {
    password: SecretString,
    code: String,
}

async fn totp_disable(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    AccountSession(session): AccountSession,
    ApiJson(b): ApiJson<DisableBody>,
) -> Result<impl IntoResponse, ApiError> {
    s.services
        .disable_totp(&session, b.password, &b.code, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
