//! `/workspaces/{ws}/cards*`: search, read (with an ETag), edit/move,
//! delete.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use tarello_service::{CardPatchInput, CardQuery, CardView, Page};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::boards::raw_json;
use crate::auth::WorkspaceCaller;
use crate::documents::CardDetail;
use crate::error::ApiError;
use crate::openapi::{
    ConflictProblem, JsonBodyProblems, QueryProblems, WorkspaceProblems, Ws, WsId,
};
use crate::router::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(show, update, remove))
}

fn etag(version: i32) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("\"{version}\"")).ok()
}

/// Searches the cards the caller can see.
#[utoipa::path(get, path = "/workspaces/{ws}/cards", tag = "cards",
    params(Ws, CardQuery),
    responses(
        (status = 200, description = "A page of cards.", body = Page<CardView>),
        WorkspaceProblems, QueryProblems,
    ),
    security(("workspace" = [])))]
async fn search(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiQuery(q): ApiQuery<CardQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.search_cards(&c, &q).await?))
}

/// The card with its tags, viewers and first comments; `ETag` is its version.
#[utoipa::path(get, path = "/workspaces/{ws}/cards/{id}", tag = "cards",
    params(WsId),
    responses(
        (status = 200, description = "The card.", body = CardDetail,
            headers(("ETag" = String, description = "The card's version, quoted."))),
        WorkspaceProblems,
    ),
    security(("workspace" = [])))]
async fn show(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    let (body, version) = s.services.card_view(&c, id).await?;
    let mut res = raw_json(body).into_response();
    if let Some(v) = etag(version) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}

/// Edits and/or moves a card (`list_id`, `position`); `version` is
/// required and a stale one is 409.
#[utoipa::path(patch, path = "/workspaces/{ws}/cards/{id}", tag = "cards",
    params(WsId),
    request_body = CardPatchInput,
    responses(
        (status = 200, description = "The card as changed.", body = CardView,
            headers(("ETag" = String, description = "The card's new version, quoted."))),
        WorkspaceProblems, JsonBodyProblems, ConflictProblem,
    ),
    security(("workspace" = [])))]
async fn update(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(b): ApiJson<CardPatchInput>,
) -> Result<impl IntoResponse, ApiError> {
    let card = s.services.update_card(&c, id, &b).await?;
    let mut res = Json(&card).into_response();
    if let Some(v) = etag(card.version) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}

/// Deletes a card.
#[utoipa::path(delete, path = "/workspaces/{ws}/cards/{id}", tag = "cards",
    params(WsId),
    responses((status = 204, description = "Deleted."), WorkspaceProblems),
    security(("workspace" = [])))]
async fn remove(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.delete_card(&c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
