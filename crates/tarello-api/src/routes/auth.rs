//! `/api/v1/auth/*`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tarello_crypto::SecretString;
use tarello_service::{LoginInput, SignupInput, Tokens};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::ApiJson;
use crate::auth::{AccountSession, ClientInfo};
use crate::error::ApiError;
use crate::openapi::{AccountProblems, BadCodeProblem, JsonBodyProblems, ThrottledProblem};
use crate::router::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(verify))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(reset))
        .routes(routes!(confirm))
}

/// A request was taken; what follows happens by email.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    status: &'static str,
}

/// An account, as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewUser {
    user: UserView,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SignupBody {
    email: String,
    /// At least 10 characters, not a guessable one.
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    name: String,
}

/// Starts a sign-up: a 6-digit code is emailed. The answer is the same
/// whether or not the address has an account.
#[utoipa::path(post, path = "/auth/signup", tag = "auth",
    request_body = SignupBody,
    responses(
        (status = 202, description = "A code is on its way (or the address already has an account).", body = Accepted),
        JsonBodyProblems, ThrottledProblem,
    ))]

async fn signup(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(b): ApiJson<SignupBody>,
) -> Result<impl IntoResponse, ApiError> {
    s.services
        .signup(
            SignupInput {
                email: b.email,
                password: b.password,
                name: b.name,
            },
            &client,
        )
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "check your email for a code",
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    email: String,
    /// The 6-digit code from the email.
    code: String,
}

/// Completes a sign-up with the emailed code: the account exists.
#[utoipa::path(post, path = "/auth/signup/verify", tag = "auth",
    request_body = VerifyBody,
    responses(
        (status = 201, description = "The new account.", body = NewUser),
        JsonBodyProblems, BadCodeProblem, ThrottledProblem,
    ))]

async fn verify(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(b): ApiJson<VerifyBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, email, name) = s.services.verify_signup(&b.email, &b.code, &client).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewUser {
            user: UserView { id, email, name },
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    /// The authenticator's current code, when the account uses 2FA.
    #[serde(default)]
    totp_code: Option<String>,
    /// A one-time recovery code instead of `totp_code`.
    #[serde(default)]
    recovery_code: Option<String>,
}

/// Logs in: an access token and a refresh token (shown once).
#[utoipa::path(post, path = "/auth/login", tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Tokens for a new session.", body = Tokens),
        (status = 401, description = "`bad-credentials`: wrong email or password; `second-factor-required`: send `totp_code`.",
            body = crate::Problem, content_type = "application/problem+json"),
        JsonBodyProblems, ThrottledProblem,
    ))]

async fn login(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(b): ApiJson<LoginBody>,
) -> Result<impl IntoResponse, ApiError> {
    let tokens = s
        .services
        .login(
            LoginInput {
                email: b.email,
                password: b.password,
                totp_code: b.totp_code,
                recovery_code: b.recovery_code,
            },
            &client,
        )
        .await?;
    Ok(tokens_json(&tokens))
}

fn tokens_json(t: &Tokens) -> Json<TokenPair> {
    // The one place tokens are shown: in this response, once.
    Json(TokenPair {
        access_token: t.access_token.expose().to_owned(),
        refresh_token: t.refresh_token.expose().to_owned(),
        token_type: t.token_type,
        expires_in: t.expires_in,
    })
}

/// [`Tokens`] with the secrets exposed, for the one response that shows
/// them (documented as [`Tokens`]).
#[derive(Debug, Serialize)]
struct TokenPair {
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    #[schema(value_type = String)]
    refresh_token: SecretString,
}

/// Trades a refresh token (spent by this call) for new tokens.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth",
    request_body = RefreshBody,
    responses(
        (status = 200, description = "Tokens; the old refresh token is spent.", body = Tokens),
        AccountProblems, JsonBodyProblems,
    ))]

async fn refresh(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(b): ApiJson<RefreshBody>,
) -> Result<impl IntoResponse, ApiError> {
    let tokens = s
        .services
        .refresh(b.refresh_token.expose(), &client)
        .await?;
    Ok(tokens_json(&tokens))
}

/// Ends the current session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204, description = "The session is revoked."), AccountProblems),
    security(("account" = [])))]
async fn logout(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    AccountSession(session): AccountSession,
) -> Result<impl IntoResponse, ApiError> {
    s.services.logout(&session, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    email: String,
}

/// Asks for a password-reset code by email; the answer is always the same.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth",
    request_body = ResetBody,
    responses(
        (status = 202, description = "If the address has an account, a code is on its way.", body = Accepted),
        JsonBodyProblems, ThrottledProblem,
    ))]

async fn reset(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(b): ApiJson<ResetBody>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.request_reset(&b.email, &client).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "if the address has an account, a code is on its way",
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    email: String,
    code: String,
    #[schema(value_type = String, format = Password)]
    new_password: SecretString,
}

/// Sets a new password with the emailed code; every session ends.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "auth",
    request_body = ConfirmBody,
    responses(
        (status = 204, description = "The password is changed."),
        BadCodeProblem, JsonBodyProblems, ThrottledProblem,
    ))]

async fn confirm(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(b): ApiJson<ConfirmBody>,
) -> Result<impl IntoResponse, ApiError> {
    s.services
        .confirm_reset(&b.email, &b.code, b.new_password, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
