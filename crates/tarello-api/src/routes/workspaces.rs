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
use crate::auth::{AccountSession, ClientInfo, WorkspaceCaller};
use crate::error::ApiError;
use crate::router::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workspaces", post(create).get(list))
        .route("/workspaces/{ws}", get(show).patch(update))
        .route("/workspaces/{ws}/token", post(token))
        .route("/workspaces/{ws}/jwks.json", get(jwks))
        .route("/workspaces/{ws}/members", get(list_members))
        .route(
            "/workspaces/{ws}/members/{user_id}",
            axum::routing::patch(change_member).delete(remove_member),
        )
        .route(
            "/workspaces/{ws}/api-tokens",
            get(list_tokens).post(create_token),
        )
        .route(
            "/workspaces/{ws}/api-tokens/{id}",
            axum::routing::delete(revoke_token),
        )
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
        "role": c.role.as_str(),
        "lane": match c.lane { tarello_domain::policy::Lane::Human => "human", tarello_domain::policy::Lane::Machine => "machine" },
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTokenBody {
    name: String,
    #[serde(default = "default_scope")]
    scope: String,
    #[serde(default = "default_days")]
    expires_in_days: i64,
}

fn default_scope() -> String {
    "read".to_owned()
}

fn default_days() -> i64 {
    90
}

async fn create_token(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiJson(b): ApiJson<NewTokenBody>,
) -> Result<impl IntoResponse, ApiError> {
    let t = s
        .services
        .create_api_token(&c, &b.name, &b.scope, b.expires_in_days, &client)
        .await?;
    // The one time the token is shown.
    let mut body = serde_json::to_value(&t.view).unwrap_or_default();
    body["token"] = json!(t.token.expose());
    Ok((StatusCode::CREATED, Json(body)))
}

async fn list_tokens(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
) -> Result<impl IntoResponse, ApiError> {
    let items = s.services.list_api_tokens(&c).await?;
    Ok(Json(json!({ "items": items, "next_cursor": null })))
}

async fn revoke_token(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    WorkspaceCaller(c): WorkspaceCaller,
    Path((_, id)): Path<(String, uuid::Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.revoke_api_token(&c, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    #[serde(default)]
    require_2fa: Option<bool>,
}

async fn update(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiJson(b): ApiJson<SettingsBody>,
) -> Result<impl IntoResponse, ApiError> {
    s.services
        .update_workspace_settings(&c, b.require_2fa)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_members(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
) -> Result<impl IntoResponse, ApiError> {
    let items = s.services.list_members(&c).await?;
    Ok(Json(json!({ "items": items, "next_cursor": null })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberBody {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    active: Option<bool>,
}

async fn change_member(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    WorkspaceCaller(c): WorkspaceCaller,
    Path((_, user_id)): Path<(String, uuid::Uuid)>,
    ApiJson(b): ApiJson<MemberBody>,
) -> Result<impl IntoResponse, ApiError> {
    s.services
        .change_member(&c, user_id, b.role.as_deref(), b.active, false, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_member(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    WorkspaceCaller(c): WorkspaceCaller,
    Path((_, user_id)): Path<(String, uuid::Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services
        .change_member(&c, user_id, None, None, true, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
