//! RFC 9457 problem details. `type` is a stable relative URI
//! (`/problems/<code>`); `code` repeats its last segment for clients that
//! switch on a string; `detail` is for humans and never holds internals.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// One refused field: `field` is its path in the body or the query
/// parameter's name (empty when the body as a whole is refused).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem: every error response, as `application/problem+json`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A stable relative URI, `/problems/<code>`.
    #[serde(rename = "type")]
    #[schema(example = "/problems/not-found")]
    pub type_uri: String,
    pub title: String,
    /// The HTTP status, repeated.
    pub status: u16,
    /// The last segment of `type`, for clients that switch on a string.
    #[schema(example = "not-found")]
    pub code: String,
    /// For humans; never holds internals.
    pub detail: String,
    /// The fields that were refused (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Problem {
        Problem {
            type_uri: format!("/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Problem {
        self.errors = errors;
        self
    }

    /// The stable code for a bare status that reached the edge without a
    /// problem body (router fallbacks, layers, caught panics).
    pub fn for_status(status: StatusCode) -> Problem {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => ("not-found", "There is nothing at this address."),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method-not-allowed",
                "This address does not accept that method.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "body-too-large",
                "The request body is larger than this server accepts.",
            ),
            StatusCode::REQUEST_TIMEOUT => ("timeout", "The request took too long."),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported-media-type",
                "Send the body as application/json.",
            ),
            StatusCode::SERVICE_UNAVAILABLE => (
                "unavailable",
                "The service is not ready; try again shortly.",
            ),
            s if s.is_server_error() => (
                "internal",
                "Something went wrong on our side. It has been logged; quote the request id when you report it.",
            ),
            _ => ("bad-request", "The request could not be handled."),
        };
        Problem::new(status, code, detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec());
        let mut res = (status, body).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        res
    }
}
