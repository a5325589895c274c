//! `/api/v1/workspaces*`: create, list mine, token exchange, JWKS, and the
//! workspace itself (read with a workspace token).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use tarello_domain::Slug;
use tarello_service::{
    ApiTokenView, MemberView, NewApiToken, Page, SettingsInput, WorkspaceToken, WorkspaceView,
};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{AccountSession, ClientInfo, WorkspaceCaller};
use crate::documents::{Jwks, WorkspaceDetail};
use crate::error::ApiError;
use crate::openapi::{
    AccountProblems, ConflictProblem, ForbiddenProblem, JsonBodyProblems, NotFoundProblem,
    WorkspaceProblems, Ws, WsId, WsUser,
};
use crate::router::AppState;
use crate::{ApiJson, ApiPath};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, update))
        .routes(routes!(token))
        .routes(routes!(jwks))
        .routes(routes!(list_members))
        .routes(routes!(change_member, remove_member))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    /// 2 to 40 characters: a-z, digits, single hyphens; starts with a letter.
    #[schema(value_type = String, min_length = 2, max_length = 40, pattern = "^[a-z](?:-?[a-z0-9])+$")]
    slug: Slug,
    name: String,
}

/// Creates a workspace; the caller becomes its admin.
#[utoipa::path(post, path = "/workspaces", tag = "workspaces",
    request_body = CreateBody,
    responses(
        (status = 201, description = "The new workspace.", body = WorkspaceView),
        AccountProblems, JsonBodyProblems, ConflictProblem,
    ),
    security(("account" = [])))]

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

/// The caller's workspaces (one page: `next_cursor` is always null).
#[utoipa::path(get, path = "/workspaces", tag = "workspaces",
    responses(
        (status = 200, description = "The workspaces.", body = Page<WorkspaceView>),
        AccountProblems,
    ),
    security(("account" = [])))]
async fn list(
    State(s): State<AppState>,
    AccountSession(session): AccountSession,
) -> Result<impl IntoResponse, ApiError> {
    let items = s.services.my_workspaces(&session).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Exchanges an account token for a token of this workspace.
#[utoipa::path(post, path = "/workspaces/{ws}/token", tag = "workspaces",
    params(Ws),
    responses(
        (status = 200, description = "A workspace token.", body = WorkspaceToken),
        AccountProblems, ForbiddenProblem, NotFoundProblem,
    ),
    security(("account" = [])))]
async fn token(
    State(s): State<AppState>,
    AccountSession(session): AccountSession,
    ApiPath(ws): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.workspace_token(&session, &ws).await?))
}

/// The public keys that sign this workspace's tokens (no login).
#[utoipa::path(get, path = "/workspaces/{ws}/jwks.json", tag = "workspaces",
    params(Ws),
    responses(
        (status = 200, description = "A JWK set.", body = Jwks),
        NotFoundProblem,
    ))]
async fn jwks(
    State(s): State<AppState>,
    ApiPath(ws): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.jwks(&ws).await?))
}

/// The workspace, its settings, and the caller's role.
#[utoipa::path(get, path = "/workspaces/{ws}", tag = "workspaces",
    params(Ws),
    responses(
        (status = 200, description = "The workspace.", body = WorkspaceDetail),
        WorkspaceProblems,
    ),
    security(("workspace" = [])))]
async fn show(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.workspace_detail(&c).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTokenBody {
    name: String,
    /// `read` or `write` (default `read`).
    #[serde(default = "default_scope")]
    #[schema(default = "read")]
    scope: String,
    /// Default 90.
    #[serde(default = "default_days")]
    #[schema(default = 90)]
    expires_in_days: i64,
}

fn default_scope() -> String {
    "read".to_owned()
}

fn default_days() -> i64 {
    90
}

/// Creates a machine token (admins); the token is shown in this answer only.
#[utoipa::path(post, path = "/workspaces/{ws}/api-tokens", tag = "workspaces",
    params(Ws),
    request_body = NewTokenBody,
    responses(
        (status = 201, description = "The token, shown once.", body = NewApiToken),
        WorkspaceProblems, JsonBodyProblems,
    ),
    security(("workspace" = [])))]
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

/// The workspace's machine tokens (one page: `next_cursor` is always null).
#[utoipa::path(get, path = "/workspaces/{ws}/api-tokens", tag = "workspaces",
    params(Ws),
    responses(
        (status = 200, description = "The tokens (never their secrets).", body = Page<ApiTokenView>),
        WorkspaceProblems,
    ),
    security(("workspace" = [])))]
async fn list_tokens(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
) -> Result<impl IntoResponse, ApiError> {
    let items = s.services.list_api_tokens(&c).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Revokes a machine token.
#[utoipa::path(delete, path = "/workspaces/{ws}/api-tokens/{id}", tag = "workspaces",
    params(WsId),
    responses((status = 204, description = "Revoked."), WorkspaceProblems),
    security(("workspace" = [])))]
async fn revoke_token(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, uuid::Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.revoke_api_token(&c, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes settings (admins): any subset of name, plan, require_2fa,
/// timezone, currency.
#[utoipa::path(patch, path = "/workspaces/{ws}", tag = "workspaces",
    params(Ws),
    request_body = SettingsInput,
    responses(
        (status = 200, description = "The workspace as changed.", body = WorkspaceDetail),
        WorkspaceProblems, JsonBodyProblems, ConflictProblem,
    ),
    security(("workspace" = [])))]
async fn update(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiJson(b): ApiJson<SettingsInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.update_workspace_settings(&c, &b).await?))
}

/// The workspace's members (one page: `next_cursor` is always null).
#[utoipa::path(get, path = "/workspaces/{ws}/members", tag = "members",
    params(Ws),
    responses(
        (status = 200, description = "The members.", body = Page<MemberView>),
        WorkspaceProblems,
    ),
    security(("workspace" = [])))]
async fn list_members(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
) -> Result<impl IntoResponse, ApiError> {
    let items = s.services.list_members(&c).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MemberBody {
    /// `admin`, `member` or `observer`.
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    active: Option<bool>,
}

/// Changes a member's role or active flag (admins); 409 when no active
/// admin would be left.
#[utoipa::path(patch, path = "/workspaces/{ws}/members/{user_id}", tag = "members",
    params(WsUser),
    request_body = MemberBody,
    responses(
        (status = 204, description = "Changed."),
        WorkspaceProblems, JsonBodyProblems, ConflictProblem,
    ),
    security(("workspace" = [])))]
async fn change_member(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, user_id)): ApiPath<(String, uuid::Uuid)>,
    ApiJson(b): ApiJson<MemberBody>,
) -> Result<impl IntoResponse, ApiError> {
    s.services
        .change_member(&c, user_id, b.role.as_deref(), b.active, false, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member (admins; or oneself, to leave); 409 when no active
/// admin would be left.
#[utoipa::path(delete, path = "/workspaces/{ws}/members/{user_id}", tag = "members",
    params(WsUser),
    responses(
        (status = 204, description = "Removed."),
        WorkspaceProblems, ConflictProblem,
    ),
    security(("workspace" = [])))]
async fn remove_member(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, user_id)): ApiPath<(String, uuid::Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services
        .change_member(&c, user_id, None, None, true, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
