//! Links from a card: `PUT · DELETE /workspaces/{ws}/cards/{id}/tags/{tag_id}`
//! and `PUT · DELETE /workspaces/{ws}/cards/{id}/viewers/{user_id}`. PUT is
//! idempotent; every answer is 204 without a body.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::ApiPath;
use crate::auth::WorkspaceCaller;
use crate::error::ApiError;
use crate::openapi::{WorkspaceProblems, WsIdUser};
use crate::router::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_tag, remove_tag))
        .routes(routes!(add_viewer, remove_viewer))
}

/// `{ws}`, `{id}` (the card) and `{tag_id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "documents the path; handlers extract a tuple")]
struct WsIdTag {
    /// The workspace's slug.
    #[param(example = "acme", min_length = 2, max_length = 40)]
    ws: String,
    /// The card's id.
    id: Uuid,
    /// The tag's id.
    tag_id: Uuid,
}

type Link = ApiPath<(String, Uuid, Uuid)>;

/// Puts a tag on a card (idempotent).
#[utoipa::path(put, path = "/workspaces/{ws}/cards/{id}/tags/{tag_id}", tag = "tags",
    params(WsIdTag),
    responses((status = 204, description = "The card has the tag."), WorkspaceProblems),
    security(("workspace" = [])))]
async fn add_tag(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, card, tag)): Link,
) -> Result<impl IntoResponse, ApiError> {
    s.services.add_card_tag(&c, card, tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a tag off a card (404 when it was not on it).
#[utoipa::path(delete, path = "/workspaces/{ws}/cards/{id}/tags/{tag_id}", tag = "tags",
    params(WsIdTag),
    responses((status = 204, description = "Removed."), WorkspaceProblems),
    security(("workspace" = [])))]
async fn remove_tag(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, card, tag)): Link,
) -> Result<impl IntoResponse, ApiError> {
    s.services.remove_card_tag(&c, card, tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes an active member of the workspace a viewer of the card
/// (idempotent; 404 for anyone else).
#[utoipa::path(put, path = "/workspaces/{ws}/cards/{id}/viewers/{user_id}", tag = "cards",
    params(WsIdUser),
    responses(
        (status = 204, description = "The user views the card."),
        (status = 422, description = "`invalid-body`: the user cannot see the card (a private board they are not a member of); `errors` names `user_id`.", body = crate::Problem, content_type = "application/problem+json"),
        WorkspaceProblems
    ),
    security(("workspace" = [])))]
async fn add_viewer(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, card, user)): Link,
) -> Result<impl IntoResponse, ApiError> {
    s.services.add_viewer(&c, card, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a viewer (404 when the user was not one).
#[utoipa::path(delete, path = "/workspaces/{ws}/cards/{id}/viewers/{user_id}", tag = "cards",
    params(WsIdUser),
    responses((status = 204, description = "Removed."), WorkspaceProblems),
    security(("workspace" = [])))]
async fn remove_viewer(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, card, user)): Link,
) -> Result<impl IntoResponse, ApiError> {
    s.services.remove_viewer(&c, card, user).await?;
    Ok(StatusCode::NO_CONTENT)
}
