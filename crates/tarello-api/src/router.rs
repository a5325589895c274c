//! The router and its layers, outermost first.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, middleware as axum_mw};
use tarello_store::Db;
use tarello_store::migrate::MigrationSet;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::problem::Problem;
use crate::{health, middleware};

#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Db,
    pub migrations: Arc<MigrationSet>,
    pub services: tarello_service::Services,
    pub trusted_proxies: Arc<crate::TrustedProxies>,
}

#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub body_limit: usize,
    pub request_timeout: Duration,
}

/// Request ids are UUIDv7: sortable, unguessable enough to not collide.
#[derive(Debug, Clone, Copy)]
struct MakeRequestUuidV7;

impl MakeRequestId for MakeRequestUuidV7 {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        uuid::Uuid::now_v7()
            .to_string()
            .parse()
            .ok()
            .map(RequestId::new)
    }
}

pub fn router(state: AppState, opts: &HttpOptions) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    let mut app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .nest(
            "/api/v1",
            crate::routes::auth::router()
                .merge(crate::routes::me::router())
                .merge(crate::routes::workspaces::router())
                .merge(crate::routes::boards::router())
                .merge(crate::routes::lists::router())
                .merge(crate::routes::cards::router()),
        )
        .merge(crate::routes::public::router())
        .fallback(|| async { Problem::for_status(StatusCode::NOT_FOUND).into_response() })
        .with_state(state)
        .layer(DefaultBodyLimit::max(opts.body_limit))
        .layer(RequestBodyLimitLayer::new(opts.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            opts.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a handler panicked");
            Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR).into_response()
        }))
        .layer(axum_mw::from_fn(middleware::problemize));
    for (name, value) in middleware::security_headers() {
        app = app.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    app.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(
                x_request_id.clone(),
                MakeRequestUuidV7,
            ))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(middleware::request_span)
                    .on_request(())
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .layer(PropagateRequestIdLayer::new(x_request_id)),
    )
}
