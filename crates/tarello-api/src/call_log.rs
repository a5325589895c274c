//! The capability log's edge (AUD-3): every call to a workspace route is
//! logged, allowed or denied, 401s included. The middleware puts a
//! [`CallAudit`] slot in the request (the workspace extractor names the
//! caller in it, the policy notes its decision), runs the handler, then
//! hands slot, status, route template and a redacted payload to the
//! service's log writer.
//!
//! The payload holds the path ids, the query and, for a JSON body with a
//! declared length of at most [`MAX_CAPTURE`], the body with secrets
//! masked and long text cut (see `tarello_service::redact`). Any other
//! body (uploads included, which keep streaming untouched) is logged as
//! its content type and length only. Headers are never logged beyond the
//! user agent: no Authorization, no cookies.
//!
//! Applied with `Router::layer`, so it runs after routing and sees the
//! matched route template.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, Query, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tarello_service::{CallAudit, CallRecord, Origin, redact};

use crate::auth::ClientInfo;
use crate::problem::Problem;
use crate::router::AppState;

/// Bodies up to this size are read, parsed and logged (redacted).
pub const MAX_CAPTURE: usize = 64 * 1024;

/// Workspace routes that are not a workspace capability: the public keys.
const NOT_LOGGED: &[&str] = &["/api/v1/workspaces/{ws}/jwks.json"];

fn is_workspace_route(route: &str) -> bool {
    route.starts_with("/api/v1/workspaces/{ws}")
        && (route.len() == "/api/v1/workspaces/{ws}".len()
            || route["/api/v1/workspaces/{ws}".len()..].starts_with('/'))
        && !NOT_LOGGED.contains(&route)
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        essence == "application/json" || essence.ends_with("+json")
    })
}

fn header_str(parts: &Parts, name: header::HeaderName) -> Option<&str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The state the layer needs: the app's, and how long a body may take.
#[derive(Debug, Clone)]
pub struct CallLogState {
    pub app: AppState,
    pub body_timeout: Duration,
}

pub async fn log_calls(State(s): State<CallLogState>, req: Request, next: Next) -> Response {
    let route = match req.extensions().get::<MatchedPath>() {
        Some(p) if is_workspace_route(p.as_str()) => p.as_str().to_owned(),
        _ => return next.run(req).await,
    };
    let (mut parts, body) = req.into_parts();
    let mut payload = Map::new();
    let mut slug = String::new();
    if let Ok(params) = RawPathParams::from_request_parts(&mut parts, &s.app).await {
        let mut ids = Map::new();
        for (k, v) in params.iter() {
            if k == "ws" {
                slug = v.to_owned();
            } else {
                ids.insert(k.to_owned(), Value::String(v.to_owned()));
            }
        }
        if !ids.is_empty() {
            payload.insert("path".into(), Value::Object(ids));
        }
    }
    if let Ok(Query(pairs)) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        && !pairs.is_empty()
    {
        let query: Map<String, Value> = pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        payload.insert("query".into(), Value::Object(query));
    }
    let content_type = header_str(&parts, header::CONTENT_TYPE).map(str::to_owned);
    let length = header_str(&parts, header::CONTENT_LENGTH).and_then(|v| v.parse::<usize>().ok());
    let ClientInfo(client) = match ClientInfo::from_request_parts(&mut parts, &s.app).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let origin = Origin {
        request_id: header_str(&parts, header::HeaderName::from_static("x-request-id"))
            .unwrap_or_default()
            .to_owned(),
        client_ip: client.ip,
        user_agent: client.user_agent.unwrap_or_default(),
    };
    let audit = CallAudit::default();
    parts.extensions.insert(audit.clone());
    let method = parts.method.to_string();
    let log = |status: StatusCode, payload: Map<String, Value>| CallRecord {
        slug: slug.clone(),
        status: status.as_u16(),
        method: method.clone(),
        route: route.clone(),
        payload: redact::redact(&Value::Object(payload)),
        origin: origin.clone(),
    };

    // A file's content is never logged, whatever type it claims.
    let capture = is_json(content_type.as_deref())
        && length.is_some_and(|n| n <= MAX_CAPTURE)
        && route != crate::routes::attachments::UPLOAD_ROUTE;
    let body = if capture {
        let read = tokio::time::timeout(s.body_timeout, axum::body::to_bytes(body, MAX_CAPTURE));
        match read.await {
            Ok(Ok(bytes)) => {
                let logged = serde_json::from_slice::<Value>(&bytes).unwrap_or_else(
                    |_| json!({"content_type": content_type, "bytes": bytes.len()}),
                );
                payload.insert("body".into(), logged);
                Body::from(bytes)
            }
            // The client stopped sending or sent too slowly: the handler
            // would have failed the same way.
            failed => {
                let status = if failed.is_err() {
                    StatusCode::REQUEST_TIMEOUT
                } else {
                    StatusCode::BAD_REQUEST
                };
                s.app.services.log_call(&audit, log(status, payload)).await;
                return Problem::for_status(status).into_response();
            }
        }
    } else {
        if content_type.is_some() || length.is_some_and(|n| n > 0) {
            payload.insert(
                "body".into(),
                json!({"content_type": content_type, "bytes": length}),
            );
        }
        body
    };
    let res = next.run(Request::from_parts(parts, body)).await;
    s.app
        .services
        .log_call(&audit, log(res.status(), payload))
        .await;
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_workspace_routes_are_logged() {
        assert!(is_workspace_route("/api/v1/workspaces/{ws}"));
        assert!(is_workspace_route("/api/v1/workspaces/{ws}/cards/{id}"));
        assert!(!is_workspace_route("/api/v1/workspaces"));
        assert!(!is_workspace_route("/api/v1/workspaces/{ws}/jwks.json"));
        assert!(!is_workspace_route("/api/v1/me"));
        assert!(is_json(Some("application/json; charset=utf-8")));
        assert!(is_json(Some("application/merge-patch+json")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(None));
    }
}
