//! Invitations: an admin invites (`/workspaces/{ws}/invitations`), the
//! invited person accepts with an account token (`/invitations/accept`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use tarello_service::{AcceptInput, InvitationInput, InvitationView, WorkspaceView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiJson;
use crate::auth::{AccountSession, WorkspaceCaller};
use crate::error::ApiError;
use crate::openapi::{
    AccountProblems, ConflictProblem, JsonBodyProblems, NotFoundProblem, WorkspaceProblems, Ws,
};
use crate::router::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(invite))
        .routes(routes!(accept))
}

/// Invites an address with a role (admins, in person). The code goes by
/// mail; it works once, for 7 days, for a login with that address.
#[utoipa::path(post, path = "/workspaces/{ws}/invitations", tag = "members",
    params(Ws),
    request_body = InvitationInput,
    responses(
        (status = 201, description = "The invitation (the code is only in the mail).", body = InvitationView),
        WorkspaceProblems, JsonBodyProblems, ConflictProblem,
    ),
    security(("workspace" = [])))]
async fn invite(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiJson(b): ApiJson<InvitationInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(s.services.invite(&c, &b).await?)))
}

/// Accepts an invitation addressed to the logged-in account's email;
/// any other code (wrong, used, expired, someone else's) is 404.
#[utoipa::path(post, path = "/invitations/accept", tag = "members",
    request_body = AcceptInput,
    responses(
        (status = 201, description = "The workspace joined, with the role.", body = WorkspaceView),
        AccountProblems, JsonBodyProblems, NotFoundProblem,
    ),
    security(("account" = [])))]
async fn accept(
    State(s): State<AppState>,
    AccountSession(session): AccountSession,
    ApiJson(b): ApiJson<AcceptInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.accept_invitation(&session, &b).await?),
    ))
}
