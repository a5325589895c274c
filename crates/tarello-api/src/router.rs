//! The router and its layers, outermost first.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::{Router, middleware as axum_mw};
use tarello_store::Db;
use tarello_store::migrate::MigrationSet;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::middleware;
use crate::problem::Problem;

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
    // Every route of the API goes through the OpenAPI router, so the
    // document cannot miss one (see `crate::openapi`).
    let (api, doc) = crate::openapi::api().split_for_parts();
    let limits = crate::body_limit::BodyLimits {
        json: opts.body_limit,
        upload: state
            .services
            .max_upload_bytes()
            .map_or(opts.body_limit, |n| {
                usize::try_from(n).unwrap_or(usize::MAX)
            }),
    };
    let call_log = crate::call_log::CallLogState {
        app: state.clone(),
        body_timeout: opts.request_timeout,
    };
    let mut app = Router::new()
        .merge(api)
        .merge(crate::openapi::docs_router(&doc))
        .fallback(|| async { Problem::for_status(StatusCode::NOT_FOUND).into_response() })
        .with_state(state)
        .layer(DefaultBodyLimit::max(opts.body_limit))
        // Per route: the attachment upload has its own, larger limit.
        .layer(axum_mw::from_fn_with_state(
            limits,
            crate::body_limit::limit_body,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            opts.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a handler panicked");
            Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR).into_response()
        }))
        .layer(axum_mw::from_fn(middleware::problemize))
        // Outside the timeout and the panic catcher: it sees the final
        // status of every call (AUD-3).
        .layer(axum_mw::from_fn_with_state(
            call_log,
            crate::call_log::log_calls,
        ));
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
