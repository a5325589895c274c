//! The HTTP edge: router, middleware, extractors, problem+json.
//!
//! Invariants: no SQL here (only `tarello-store` calls); every error a
//! client sees — ours, axum's extractor rejections, 404, 405, 413, a caught
//! panic — is an RFC 9457 `application/problem+json` body with a stable
//! `type`, and never carries internals.
#![forbid(unsafe_code)]

mod auth;
mod body_limit;
mod call_log;
mod client_ip;
mod documents;
mod error;
mod extract;
mod health;
mod middleware;
pub mod openapi;
mod problem;
mod router;
mod routes;

pub use client_ip::TrustedProxies;
pub use extract::{ApiJson, ApiPath, ApiQuery};
pub use problem::Problem;
pub use router::{AppState, HttpOptions, router};
