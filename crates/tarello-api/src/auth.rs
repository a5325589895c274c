//! Authentication extractors. `AccountSession` takes an account access
//! token; `WorkspaceCaller` takes a workspace token for the `{ws}` in the
//! path. Both are checked against the database on every request (session
//! live, membership active), so revocation is immediate.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Path};
use axum::http::header;
use axum::http::request::Parts;
use tarello_service::{Caller, Client, ServiceError};
use tarello_store::identity::sessions::SessionRow;

use crate::error::ApiError;
use crate::router::AppState;

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The scheme name is case-insensitive (RFC 9110 §11.1).
        .and_then(|v| {
            v.split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        })
        .map(|(_, token)| token)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError(ServiceError::Unauthenticated))
}

/// The client: the socket's peer, or behind a configured trusted proxy the
/// first untrusted `X-Forwarded-For` hop (see [`crate::TrustedProxies`]).
impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let ip = match peer {
            Some(peer) => state.trusted_proxies.client(peer, &forwarded).to_string(),
            None => "unknown".to_owned(),
        };
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(200).collect());
        Ok(ClientInfo(Client { ip, user_agent }))
    }
}

#[derive(Debug, Clone)]
pub struct ClientInfo(pub Client);

#[derive(Debug, Clone)]
pub struct AccountSession(pub SessionRow);

impl FromRequestParts<AppState> for AccountSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        let session = state.services.authenticate_account(token).await?;
        // On a workspace route (the token exchange) the capability log
        // names the account.
        if let Some(audit) = parts.extensions.get::<tarello_service::CallAudit>() {
            audit.identified(
                None,
                tarello_service::CallPrincipal {
                    id: session.user_id,
                    lane: tarello_domain::policy::Lane::Human,
                    role: None,
                },
            );
        }
        Ok(AccountSession(session))
    }
}

#[derive(Debug, Clone)]
pub struct WorkspaceCaller(pub Caller);

impl FromRequestParts<AppState> for WorkspaceCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Path(params): Path<HashMap<String, String>> = Path::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError(ServiceError::NotFound))?;
        let slug = params.get("ws").ok_or(ApiError(ServiceError::NotFound))?;
        let token = bearer(parts)?;
        let mut caller = state.services.authenticate_workspace(slug, token).await?;
        if let Some(audit) = parts.extensions.get::<tarello_service::CallAudit>() {
            caller.attach(audit);
        }
        let ClientInfo(client) = ClientInfo::from_request_parts(parts, state).await?;
        caller.origin = tarello_service::Origin {
            request_id: parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            client_ip: client.ip,
            user_agent: client.user_agent.unwrap_or_default(),
        };
        Ok(WorkspaceCaller(caller))
    }
}
