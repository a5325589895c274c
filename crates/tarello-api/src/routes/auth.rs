//! `/api/v1/auth/*`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tarello_crypto::SecretString;
use tarello_service::{LoginInput, SignupInput};

use crate::ApiJson;
use crate::auth::{AccountSession, ClientInfo};
use crate::error::ApiError;
use crate::router::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/signup", post(signup))
        .route("/auth/signup/verify", post(verify))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/password-reset", post(reset))
        .route("/auth/password-reset/confirm", post(confirm))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignupBody {
    email: String,
    password: SecretString,
    name: String,
}

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
        Json(json!({ "status": "check your email for a code" })),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    email: String,
    code: String,
}

async fn verify(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(b): ApiJson<VerifyBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, email, name) = s.services.verify_signup(&b.email, &b.code, &client).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user": { "id": id, "email": email, "name": name } })),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: String,
    password: SecretString,
    #[serde(default)]
    totp_code: Option<String>,
    #[serde(default)]
    recovery_code: Option<String>,
}

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

fn tokens_json(t: &tarello_service::Tokens) -> Json<serde_json::Value> {
    // The one place tokens are shown: in this response, once.
    Json(json!({
        "access_token": t.access_token.expose(),
        "refresh_token": t.refresh_token.expose(),
        "token_type": t.token_type,
        "expires_in": t.expires_in,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: SecretString,
}

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

async fn logout(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    AccountSession(session): AccountSession,
) -> Result<impl IntoResponse, ApiError> {
    s.services.logout(&session, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    email: String,
}

async fn reset(
    State(s): State<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(b): ApiJson<ResetBody>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.request_reset(&b.email, &client).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "status": "if the address has an account, a code is on its way" })),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    email: String,
    code: String,
    new_password: SecretString,
}

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
