//! `/workspaces/{ws}/cards*`: search, read (with an ETag), edit/move,
//! delete.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use tarello_service::{CardPatchInput, CardQuery};
use uuid::Uuid;

use super::boards::raw_json;
use crate::auth::WorkspaceCaller;
use crate::error::ApiError;
use crate::router::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workspaces/{ws}/cards", get(search))
        .route(
            "/workspaces/{ws}/cards/{id}",
            get(show).patch(update).delete(remove),
        )
}

fn etag(version: i32) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("\"{version}\"")).ok()
}

async fn search(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiQuery(q): ApiQuery<CardQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.search_cards(&c, &q).await?))
}

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

async fn remove(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.delete_card(&c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
