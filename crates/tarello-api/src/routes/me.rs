//! `/api/v1/me*`: the account behind the session.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tarello_crypto::SecretString;
use tarello_service::{Enrolment, Page, SessionView};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::auth::UserView;
use crate::auth::{AccountSession, ClientInfo};
use crate::error::ApiError;
use crate::openapi::{
    AccountProblems, BadCodeProblem, ConflictProblem, JsonBodyProblems, NotFoundProblem,
    ThrottledProblem,
};
use crate::router::AppState;
use crate::{ApiJson, ApiPath};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me, delete_me))
        .routes(routes!(sessions, revoke_all))
        .routes(routes!(revoke_one))
        .routes(routes!(totp_enrol, totp_disable))
        .routes(routes!(totp_confirm))
}

/// The account behind the session.
#[utoipa::path(get, path = "/me", tag = "me",
    responses((status = 200, description = "The account.", body = UserView), AccountProblems),
    security(("account" = [])))]
async fn me(
    State(s): State<AppState>,
    AccountSession(session): AccountSession,
) -> Result<impl IntoResponse, ApiError> {
    let (id, email, name) = s.services.me(&session).await?;
    Ok(Json(UserView { id, email, name }))
}

/// The account's live sessions (one page: `next_cursor` is always null).
#[utoipa::path(get, path = "/me/sessions", tag = "me",
    responses((status = 200, description = "The sessions.", body = Page<SessionView>), AccountProblems),
    security(("account" = [])))]
async fn sessions(
    State(s): State<AppState>,
    AccountSession(session): AccountSession,
) -> Result<impl IntoResponse, ApiError> {
    let items = s.services.list_sessions(&session).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Revokes one of the account's sessions.
#[utoipa::path(delete, path = "/me/sessions/{id}", tag = "me",
    params(("id" = Uuid, Path, description = "The session's id.")),
    responses((status = 204, description = "Revoked."), AccountProblems, NotFoundProblem),
    security(("account" = [])))]
async fn revoke_one(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    AccountSession(session): AccountSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.revoke_session(&session, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every session of the account, this one included.
#[utoipa::path(delete, path = "/me/sessions", tag = "me",
    responses((status = 204, description = "All revoked."), AccountProblems),
    security(("account" = [])))]
async fn revoke_all(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    AccountSession(session): AccountSession,
) -> Result<impl IntoResponse, ApiError> {
    s.services.revoke_all_sessions(&session, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts two-factor enrolment: a secret for an authenticator (shown once).
#[utoipa::path(post, path = "/me/totp", tag = "me",
    responses(
        (status = 200, description = "The secret, unconfirmed until `POST /me/totp/confirm`.", body = Enrolment),
        AccountProblems, ConflictProblem,
    ),
    security(("account" = [])))]
async fn totp_enrol(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    AccountSession(session): AccountSession,
) -> Result<impl IntoResponse, ApiError> {
    let e = s.services.enrol_totp(&session, &client).await?;
    // Shown once, to the account's owner, so an authenticator can be set up.
    Ok(Json(ShownEnrolment {
        secret: e.secret.expose().to_owned(),
        otpauth_uri: e.otpauth_uri.expose().to_owned(),
    }))
}

/// [`Enrolment`] with its secrets exposed, for the one response that shows
/// them (documented as [`Enrolment`]).
#[derive(Debug, Serialize)]
struct ShownEnrolment {
    secret: String,
    otpauth_uri: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    /// The authenticator's current code.
    code: String,
}

/// One-time recovery codes (shown once).
#[derive(Debug, Serialize, ToSchema)]
struct RecoveryCodes {
    recovery_codes: Vec<String>,
}

/// Confirms two-factor enrolment with a code; returns the recovery codes.
#[utoipa::path(post, path = "/me/totp/confirm", tag = "me",
    request_body = CodeBody,
    responses(
        (status = 200, description = "2FA is on; the recovery codes, shown once.", body = RecoveryCodes),
        AccountProblems, BadCodeProblem, ConflictProblem, JsonBodyProblems,
    ),
    security(("account" = [])))]

async fn totp_confirm(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    AccountSession(session): AccountSession,
    ApiJson(b): ApiJson<CodeBody>,
) -> Result<impl IntoResponse, ApiError> {
    let codes = s.services.confirm_totp(&session, &b.code, &client).await?;
    let codes: Vec<String> = codes.iter().map(|c| c.expose().clone()).collect();
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DisableBody {
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    /// The authenticator's current code (or a recovery code).
    code: String,
}

/// Turns two-factor authentication off (password and a code required).
#[utoipa::path(delete, path = "/me/totp", tag = "me",
    request_body = DisableBody,
    responses(
        (status = 204, description = "2FA is off."),
        (status = 401, description = "`unauthenticated`, or `bad-credentials`: wrong password.",
            body = crate::Problem, content_type = "application/problem+json"),
        ConflictProblem, JsonBodyProblems, ThrottledProblem,
    ),
    security(("account" = [])))]

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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DeleteAccountBody {
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    /// A current authenticator (or recovery) code, when two-factor is on.
    #[serde(default)]
    code: Option<String>,
}

/// Deletes the account: memberships, sessions and second factor are
/// removed and the personal fields overwritten; content it wrote stays,
/// attributed to a deleted user. Refused (409 `last-admin`) while the
/// account is the last active admin of a workspace.
#[utoipa::path(delete, path = "/me", tag = "me",
    request_body = DeleteAccountBody,
    responses(
        (status = 204, description = "The account is deleted."),
        (status = 401, description = "`unauthenticated`, or `bad-credentials`: wrong password or code.",
            body = crate::Problem, content_type = "application/problem+json"),
        ConflictProblem, JsonBodyProblems, ThrottledProblem,
    ),
    security(("account" = [])))]
async fn delete_me(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    AccountSession(session): AccountSession,
    ApiJson(b): ApiJson<DeleteAccountBody>,
) -> Result<impl IntoResponse, ApiError> {
    s.services
        .delete_account(&session, b.password, b.code.as_deref(), &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
