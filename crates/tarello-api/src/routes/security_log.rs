//! `/workspaces/{ws}/security-log`: the capability log (admins, in person).

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use tarello_service::{Page, SecurityLogEntry, SecurityLogQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiQuery;
use crate::auth::WorkspaceCaller;
use crate::error::ApiError;
use crate::openapi::{QueryProblems, WorkspaceProblems, Ws};
use crate::router::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// The capability log, oldest first: every call to this workspace's API,
/// allowed or denied (with principal, role, policy action, scope, status,
/// route and a payload with secrets masked), and the account security
/// events (logins, lockouts, resets, TOTP, tokens) of its members.
/// Admins only, with a workspace token (machine tokens are refused).
#[utoipa::path(get, path = "/workspaces/{ws}/security-log", tag = "security log",
    params(Ws, SecurityLogQuery),
    responses(
        (status = 200, description = "A page of log rows.", body = Page<SecurityLogEntry>),
        WorkspaceProblems, QueryProblems,
    ),
    security(("workspace" = [])))]
async fn list(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiQuery(q): ApiQuery<SecurityLogQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.security_log(&c, &q).await?))
}
