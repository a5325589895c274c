//! `ApiJson<T>`: axum's `Json` with its rejections turned into problems —
//! 415 for a missing/foreign content type, 400 for malformed JSON, 422 with
//! the failing field for JSON of the wrong shape, 413 for an oversized body.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::problem::{FieldError, Problem};

#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(problem_for(&rejection)),
        }
    }
}

fn problem_for(rejection: &JsonRejection) -> Problem {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send the body as application/json.",
        ),
        JsonRejection::JsonSyntaxError(_) => Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "The body is not valid JSON.",
        ),
        JsonRejection::JsonDataError(e) => {
            // serde_path_to_error's text names the field and the expectation;
            // it holds no server internals.
            let text = e.body_text();
            let (field, message) = split_path(&text);
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                "The body does not have the expected shape.",
            )
            .with_errors(vec![FieldError { field, message }])
        }
        JsonRejection::BytesRejection(_) => Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE),
        _ => Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "The body could not be read.",
        ),
    }
}

/// axum's data-error text looks like
/// "Failed to deserialize the JSON body into the target type: slug: invalid type…".
fn split_path(text: &str) -> (String, String) {
    let rest = text
        .split_once("target type: ")
        .map(|(_, r)| r)
        .unwrap_or(text);
    match rest.split_once(": ") {
        Some((path, msg)) if !path.contains(' ') => (path.to_owned(), msg.to_owned()),
        _ => (String::new(), rest.to_owned()),
    }
}
