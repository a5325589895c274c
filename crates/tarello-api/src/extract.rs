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

/// Path parameters; a malformed id is the same 404 as an unknown one.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(_) => Err(Problem::for_status(StatusCode::NOT_FOUND)),
        }
    }
}

/// Query parameters; a bad one is a 400 naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => {
                let text = e.body_text();
                let message = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text)
                    .to_owned();
                let field = message
                    .split('`')
                    .nth(1)
                    .filter(|f| f.len() <= 64)
                    .unwrap_or("query")
                    .to_owned();
                Err(Problem::new(
                    StatusCode::BAD_REQUEST,
                    "bad-query",
                    "A query parameter is not valid.",
                )
                .with_errors(vec![FieldError { field, message }]))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode, header};
    use axum::routing::post;
    use serde::Deserialize;
    use serde_json::Value;
    use tower::ServiceExt;

    use super::ApiJson;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only parsed")]
    struct NewThing {
        slug: String,
        count: u8,
    }

    async fn call(content_type: Option<&str>, body: &'static str) -> (StatusCode, String, Value) {
        let app = Router::new().route(
            "/things",
            post(|ApiJson(_): ApiJson<NewThing>| async { StatusCode::CREATED }),
        );
        let mut req = Request::post("/things");
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let res = app
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let ct = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = to_bytes(res.into_body(), 1 << 16).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, ct, json)
    }

    // proves: EDGE-2
    #[tokio::test]
    async fn json_rejections_become_problems_with_stable_codes() {
        let (s, _, _) = call(Some("application/json"), r#"{"slug":"a","count":1}"#).await;
        assert_eq!(s, StatusCode::CREATED);

        let cases = [
            (
                None,
                r#"{"slug":"a","count":1}"#,
                415,
                "unsupported-media-type",
            ),
            (
                Some("text/plain"),
                r#"{"slug":"a","count":1}"#,
                415,
                "unsupported-media-type",
            ),
            (
                Some("application/json"),
                r#"{"slug":"#,
                400,
                "malformed-json",
            ),
            (Some("application/json"), "not json", 400, "malformed-json"),
            (
                Some("application/json"),
                r#"{"slug":"a","count":300}"#,
                422,
                "invalid-body",
            ),
            (
                Some("application/json"),
                r#"{"slug":1,"count":1}"#,
                422,
                "invalid-body",
            ),
            (
                Some("application/json"),
                r#"{"slug":"a"}"#,
                422,
                "invalid-body",
            ),
            (
                Some("application/json"),
                r#"{"slug":"a","count":1,"admin":true}"#,
                422,
                "invalid-body",
            ),
        ];
        for (ct, body, status, code) in cases {
            let (s, content_type, json) = call(ct, body).await;
            assert_eq!(s.as_u16(), status, "{body}");
            assert_eq!(content_type, "application/problem+json");
            assert_eq!(json["code"], code, "{body}: {json}");
            assert_eq!(json["type"], format!("/problems/{code}"));
            assert_eq!(json["status"], status);
        }
        // A wrong type names the field.
        let (_, _, json) = call(Some("application/json"), r#"{"slug":1,"count":1}"#).await;
        assert_eq!(json["errors"][0]["field"], "slug", "{json}");
    }

    #[derive(Debug, Deserialize)]
    #[expect(dead_code, reason = "only parsed")]
    struct NewWorkspace {
        slug: tarello_domain::Slug,
    }

    #[tokio::test]
    async fn a_slug_with_sql_metacharacters_or_300_characters_is_422_naming_the_field() {
        let long = format!(r#"{{"slug":"{}"}}"#, "a".repeat(300));
        for body in [
            r#"{"slug":"acme'; DROP SCHEMA control CASCADE; --"}"#.to_owned(),
            long,
        ] {
            let app = Router::new().route(
                "/workspaces",
                post(|ApiJson(_): ApiJson<NewWorkspace>| async { StatusCode::CREATED }),
            );
            let req = Request::post("/workspaces")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap();
            let res = app.oneshot(req).await.unwrap();
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
            let bytes = to_bytes(res.into_body(), 1 << 16).await.unwrap();
            let json: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(json["code"], "invalid-body");
            assert_eq!(json["errors"][0]["field"], "slug", "{json}");
            let msg = json["errors"][0]["message"].as_str().unwrap();
            assert!(msg.contains("slug"), "{msg}");
            assert!(!msg.contains("DROP"), "the input is not echoed back: {msg}");
        }
    }
}
