//! `/workspaces/{ws}/cards/{id}/attachments` (list, upload) and
//! `/workspaces/{ws}/attachments/{id}` (delete). The upload is the raw file
//! as the body, its media type as `Content-Type`, its name in `?filename=`;
//! it streams through to encrypted storage and has its own body limit (see
//! `crate::body_limit`).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use tarello_service::{AttachmentView, Page, PageQuery, UploadError, UploadQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::WorkspaceCaller;
use crate::error::ApiError;
use crate::openapi::{QueryProblems, WorkspaceProblems, WsId};
use crate::problem::Problem;
use crate::router::AppState;
use crate::{ApiPath, ApiQuery};

/// The upload's route template (it gets the upload body limit).
pub const UPLOAD_ROUTE: &str = "/api/v1/workspaces/{ws}/cards/{id}/attachments";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, upload))
        .routes(routes!(remove))
}

/// A card's attachments, oldest first, each with a fresh download link.
#[utoipa::path(get, path = "/workspaces/{ws}/cards/{id}/attachments", tag = "attachments",
    params(WsId, PageQuery),
    responses(
        (status = 200, description = "A page of attachments; each `download_url` works without \
            a login until `download_expires_at`.", body = Page<AttachmentView>),
        WorkspaceProblems, QueryProblems,
    ),
    security(("workspace" = [])))]
async fn list(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.services.list_attachments(&c, id, &q).await?))
}

/// Uploads a file to a card: the body is the file, `Content-Type` its media
/// type (`application/octet-stream` when unknown). Stored encrypted.
#[utoipa::path(post, path = "/workspaces/{ws}/cards/{id}/attachments", tag = "attachments",
    params(WsId, UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The file's bytes, sent as they are (any media type)."),
    responses(
        (status = 201, description = "The stored attachment.", body = AttachmentView),
        (status = 400, description = "`bad-query` (no `filename`) or `bad-request` (the upload \
            was cut off).", body = crate::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`too-large` or `body-too-large`: the file is over the \
            upload limit; nothing was stored.", body = crate::Problem,
            content_type = "application/problem+json"),
        (status = 415, description = "`unsupported-media-type`: no `Content-Type`.", body = crate::Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body`: the filename or `Content-Type` is not \
            valid.", body = crate::Problem, content_type = "application/problem+json"),
        WorkspaceProblems,
    ),
    security(("workspace" = [])))]
async fn upload(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return Ok(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send the file's media type as Content-Type (application/octet-stream when unknown).",
        )
        .into_response());
    };
    // A header that is not visible ASCII is passed on as such, to be refused.
    let content_type = content_type.to_str().unwrap_or("\u{fffd}");
    let stream = body.into_data_stream().map_err(upload_error);
    let view = s
        .services
        .upload_attachment(&c, id, &q.filename, Some(content_type), stream)
        .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Deletes an attachment (members: their own uploads; admins: any).
#[utoipa::path(delete, path = "/workspaces/{ws}/attachments/{id}", tag = "attachments",
    params(WsId),
    responses((status = 204, description = "Deleted, with its file."), WorkspaceProblems),
    security(("workspace" = [])))]
async fn remove(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<impl IntoResponse, ApiError> {
    s.services.delete_attachment(&c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body limit cut the stream (413), or the body broke (400).
fn upload_error(e: axum::Error) -> UploadError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = cause {
        if err.is::<http_body_util::LengthLimitError>() {
            return UploadError::TooLarge;
        }
        cause = err.source();
    }
    UploadError::Broken
}
