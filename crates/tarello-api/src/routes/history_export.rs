//! `/workspaces/{ws}/history/export`: the change history as one streamed
//! download (admins, in person, business plan).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use tarello_service::{HistoryEvent, HistoryExportQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiQuery;
use crate::auth::WorkspaceCaller;
use crate::error::ApiError;
use crate::openapi::{PlanProblems, QueryProblems, ThrottledProblem, Ws};
use crate::router::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export))
}

/// Every event matching the filters of `GET /history`, oldest first, as a
/// download streamed while it is read (chunked; no `Content-Length`).
/// `format=csv`: RFC 4180 with a header line (`seq, at, actor_kind,
/// actor_id, action, entity_type, entity_id, card_id, board_id, before,
/// after, request_id, client_ip, user_agent`; `before`/`after` as JSON
/// text; a value starting with `=`, `+`, `-`, `@`, tab or CR is prefixed
/// with `'`). `format=json`: one JSON array of the events of `GET /history`.
/// Business plan only. An error after the first byte cuts the download
/// short (the body does not end properly).
#[utoipa::path(get, path = "/workspaces/{ws}/history/export", tag = "history",
    params(Ws, HistoryExportQuery),
    responses(
        (status = 200, description = "The history, as a download.",
            content(
                (String = "text/csv"),
                (Vec<HistoryEvent> = "application/json"),
            ),
            headers(("Content-Disposition" = String,
                description = "`attachment; filename=\"history-<slug>-<date>.csv\"` (or `.json`)."))),
        PlanProblems, QueryProblems, ThrottledProblem,
    ),
    security(("workspace" = [])))]
async fn export(
    State(s): State<AppState>,
    WorkspaceCaller(c): WorkspaceCaller,
    ApiQuery(q): ApiQuery<HistoryExportQuery>,
) -> Result<Response, ApiError> {
    let e = s.services.history_export(&c, &q).await?;
    let mut res = Response::new(Body::from_stream(e.body));
    *res.status_mut() = StatusCode::OK;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(e.format.content_type()),
    );
    // The slug is `[a-z0-9-]` and the date digits: nothing to escape.
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", e.filename))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    h.insert(header::CONTENT_DISPOSITION, disposition);
    let fixed: [(HeaderName, &'static str); 2] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "private, no-store"),
    ];
    for (name, value) in fixed {
        h.insert(name, HeaderValue::from_static(value));
    }
    Ok(res)
}
