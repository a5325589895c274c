//! The request body limit, per route: the attachment upload may be as large
//! as the configured upload limit, every other route gets the (small) JSON
//! limit. A declared `Content-Length` over the limit is refused at once
//! (413, before any handler runs); a body that turns out longer is cut off
//! where it crosses the limit (`http_body_util::LengthLimitError`).
//!
//! Applied with `Router::layer`, so it runs after routing and sees the
//! matched route template, never a raw path.

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;
use crate::routes::attachments::UPLOAD_ROUTE;

#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Every route but the upload.
    pub json: usize,
    /// The attachment upload.
    pub upload: usize,
}

impl BodyLimits {
    fn for_request(&self, req: &Request) -> usize {
        let upload = req.method() == Method::POST
            && req
                .extensions()
                .get::<MatchedPath>()
                .is_some_and(|p| p.as_str() == UPLOAD_ROUTE);
        if upload { self.upload } else { self.json }
    }
}

pub async fn limit_body(State(limits): State<BodyLimits>, req: Request, next: Next) -> Response {
    let limit = limits.for_request(&req);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE).into_response();
    }
    let req = req.map(|b| Body::new(http_body_util::Limited::new(b, limit)));
    next.run(req).await
}
