//! Service errors at the edge: one problem type each. Internal causes are
//! logged with the request's span, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tarello_service::ServiceError;

use crate::problem::{FieldError, Problem};

#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            ServiceError::Invalid { field, message } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                "Some fields are not valid.",
            )
            .with_errors(vec![FieldError {
                field: field.to_owned(),
                message,
            }])
            .into_response(),
            ServiceError::BadRequest { field, message } => Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                "A request parameter is not valid.",
            )
            .with_errors(vec![FieldError {
                field: field.to_owned(),
                message,
            }])
            .into_response(),
            ServiceError::Stale(detail) => {
                Problem::new(StatusCode::CONFLICT, "stale-version", detail).into_response()
            }
            ServiceError::TooLarge(detail) => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", detail).into_response()
            }
            ServiceError::BadCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "bad-credentials",
                "Wrong email or password.",
            )
            .into_response(),
            ServiceError::Throttled { retry_after_secs } => {
                let mut res = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-attempts",
                    "Too many attempts. Wait before trying again.",
                )
                .into_response();
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
                res
            }
            ServiceError::TwoFactorRequired => Problem::new(
                StatusCode::FORBIDDEN,
                "two-factor-required",
                "This workspace requires two-factor authentication. Turn it on with POST /api/v1/me/totp and \
                 POST /api/v1/me/totp/confirm, then ask for a workspace token again.",
            )
            .into_response(),
            ServiceError::SecondFactorRequired => Problem::new(
                StatusCode::UNAUTHORIZED,
                "second-factor-required",
                "This account uses two-factor authentication: send totp_code (or a recovery_code) with the password.",
            )
            .into_response(),
            ServiceError::BadCode => Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-code",
                "The code is wrong or has expired.",
            )
            .into_response(),
            ServiceError::Unauthenticated => {
                let mut res = Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "Send a valid access token: Authorization: Bearer <token>.",
                )
                .into_response();
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                res
            }
            ServiceError::Forbidden(reason) => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("Not allowed: {reason}."),
            )
            .into_response(),
            ServiceError::LastAdmin => Problem::new(
                StatusCode::CONFLICT,
                "last-admin",
                "This would leave the workspace without an active admin. Make another member admin first.",
            )
            .into_response(),
            ServiceError::PlanRequired { needed, current } => Problem::new(
                StatusCode::FORBIDDEN,
                "plan-required",
                format!(
                    "This needs the {needed} plan; this workspace is on the {current} plan. \
                     An admin can change it with PATCH /api/v1/workspaces/{{ws}}."
                ),
            )
            .into_response(),
            ServiceError::NotFound => Problem::for_status(StatusCode::NOT_FOUND).into_response(),
            ServiceError::Conflict(detail) => {
                Problem::new(StatusCode::CONFLICT, "conflict", detail).into_response()
            }
            ServiceError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR).into_response()
            }
        }
    }
}
