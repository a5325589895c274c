//! `GET /files/{token}`: an attachment by its short-lived link, no login.
//! The token is in the path, so the request span logs only the route
//! template (see `crate::middleware::request_span`). Every response is a
//! download that cannot run as a page: `Content-Disposition: attachment`,
//! `nosniff`, `Content-Security-Policy: sandbox`, a safe `Content-Type`, and
//! neither cached nor sent on as a referrer.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiPath;
use crate::error::ApiError;
use crate::openapi::NotFoundProblem;
use crate::router::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(download))
}

/// `{token}`: the download token from an attachment's `download_url`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(
    dead_code,
    reason = "documents the path; the handler extracts a String"
)]
struct Token {
    /// 43 characters of base64url; expires a few minutes after it was issued.
    token: String,
}

/// Downloads an attachment by the unguessable, short-lived token of its
/// `download_url`. Unknown, expired and malformed tokens are all 404.
#[utoipa::path(get, path = "/files/{token}", tag = "attachments",
    params(Token),
    responses(
        (status = 200, description = "The file, decrypted, as a download.", body = Vec<u8>,
            content_type = "application/octet-stream"),
        NotFoundProblem,
    ))]
async fn download(
    State(s): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, ApiError> {
    let d = s.services.download(&token).await?;
    let mut res = Response::new(Body::from_stream(d.body));
    *res.status_mut() = StatusCode::OK;
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&d.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(d.size));
    h.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(&d.filename),
    );
    let fixed: [(HeaderName, &'static str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CONTENT_SECURITY_POLICY, "sandbox"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "private, no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in fixed {
        h.insert(name, HeaderValue::from_static(value));
    }
    Ok(res)
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`
/// (RFC 6266 with RFC 5987 encoding). CR, LF, quotes and backslashes never
/// reach the header.
fn content_disposition(name: &str) -> HeaderValue {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\'))
        .collect();
    let clean = if clean.trim().is_empty() {
        "download".to_owned()
    } else {
        clean
    };
    let fallback: String = clean
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let mut encoded = String::with_capacity(clean.len() * 3);
    for b in clean.bytes() {
        // RFC 5987 attr-char is sent as is; everything else percent-encoded.
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn content_disposition_is_encoded_and_cannot_break_the_header() {
        let v = content_disposition("résumé 2024.pdf");
        assert_eq!(
            v.to_str().unwrap(),
            "attachment; filename=\"r_sum_ 2024.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%202024.pdf"
        );
        let v = content_disposition("evil\"\r\nSet-Cookie: x=1\\.html");
        let s = v.to_str().unwrap();
        assert!(!s.contains('\r') && !s.contains('\n'), "{s}");
        assert_eq!(s.matches('"').count(), 2, "{s}");
        assert!(
            s.contains("filename*=UTF-8''evilSet-Cookie%3A%20x%3D1.html"),
            "{s}"
        );
        assert_eq!(
            content_disposition("\"\"").to_str().unwrap(),
            "attachment; filename=\"download\"; filename*=UTF-8''download"
        );
    }
}
