//! Edge middleware: turn bare error responses into problems, security
//! headers, and the request span (no headers, no query strings, no bodies in
//! logs: they carry tokens and user content).

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Span;

use crate::problem::{CONTENT_TYPE, Problem};

/// Any 4xx/5xx that is not already a problem becomes one (axum's 404/405,
/// the body limit's 413, the timeout's 408, a caught panic's 500). Headers
/// such as `Allow` and `Retry-After` are kept.
pub async fn problemize(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(CONTENT_TYPE.as_bytes()));
    if is_problem {
        return res;
    }
    let (mut parts, _) = res.into_parts();
    let fresh = Problem::for_status(status).into_response();
    let (fresh_parts, body) = fresh.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (k, v) in &fresh_parts.headers {
        parts.headers.insert(k, v.clone());
    }
    Response::from_parts(parts, body)
}

/// Headers every API response carries unless a handler set its own.
pub fn security_headers() -> [(header::HeaderName, HeaderValue); 5] {
    [
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

/// The span of one request: method, route template (never the raw path,
/// which may hold a token), request id.
pub fn request_span(req: &Request<Body>) -> Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        http.method = %req.method(),
        http.route = %route,
        request.id = %request_id,
    )
}
