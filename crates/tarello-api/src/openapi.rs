//! The OpenAPI 3.1 document (API-1), generated from the code.
//!
//! Invariant: every route of the application is registered through
//! [`OpenApiRouter::routes`] with `utoipa_axum::routes!(handler, …)`, and each
//! handler carries `#[utoipa::path(...)]`: a route cannot exist without its
//! entry in the document. Plain `.route(...)` is allowed only in this file,
//! for the documentation pages themselves (a test scans the sources).
//!
//! Served at `/api/schema/` (JSON; `?format=yaml`), with Swagger UI at
//! `/api/docs/` and ReDoc at `/api/redoc/`, both served from the binary
//! (no CDN: their CSP is `script-src 'self'`).
//!
//! A handler's annotation, the pattern every route module follows:
//! ```text
//! #[utoipa::path(post, path = "/workspaces/{ws}/boards", tag = "boards",
//!     params(Ws),
//!     request_body = BoardInput,
//!     responses(
//!         (status = 201, description = "The new board.", body = BoardView),
//!         WorkspaceProblems, JsonBodyProblems,
//!     ),
//!     security(("workspace" = [])))]
//! async fn create(...) -> ... {}
//!
//! pub fn router() -> OpenApiRouter<AppState> {
//!     OpenApiRouter::new().routes(routes!(list, create))
//! }
//! ```
//! Paths are written as the client sees them below `/api/v1` (the module
//! is nested there) or from the root (`public`, `health`).

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::IntoResponses;
use utoipa::openapi::content::Content;
use utoipa::openapi::header::Header;
use utoipa::openapi::response::{Response as ApiResponse, ResponseBuilder};
use utoipa::openapi::schema::{Object, Ref, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::tag::Tag;
use utoipa::openapi::{InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::ApiQuery;
use crate::problem::{CONTENT_TYPE as PROBLEM_JSON, FieldError, Problem};
use crate::router::AppState;

/// The security scheme of an account access token.
pub const ACCOUNT: &str = "account";
/// The security scheme of a workspace (or machine) token.
pub const WORKSPACE: &str = "workspace";

pub const SCHEMA_PATH: &str = "/api/schema/";
pub const SWAGGER_PATH: &str = "/api/docs/";
pub const REDOC_PATH: &str = "/api/redoc/";

/// One problem response: `application/problem+json` with the Problem schema.
fn problem(description: &str) -> ApiResponse {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build()
}

fn with_header(mut r: ApiResponse, name: &str, description: &str) -> ApiResponse {
    let mut h = Header::new(Object::with_type(Type::String));
    h.description = Some(description.to_owned());
    r.headers.insert(name.to_owned(), RefOr::T(h));
    r
}

fn one(status: &str, r: ApiResponse) -> (String, RefOr<ApiResponse>) {
    (status.to_owned(), RefOr::T(r))
}

/// Declares a marker type that lists problem responses by status, for use
/// in `responses(...)` of `#[utoipa::path]` next to the success tuples.
macro_rules! problem_set {
    ($(#[$doc:meta])* $name:ident { $($status:literal => $make:expr),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<ApiResponse>> {
                [$(one($status, $make)),+].into_iter().collect()
            }
        }
    };
}

fn unauthenticated() -> ApiResponse {
    with_header(
        problem(
            "`unauthenticated`: no token, or a token that is expired, revoked or for another audience.",
        ),
        "WWW-Authenticate",
        "`Bearer`",
    )
}

problem_set!(
    /// The JSON body was refused before the handler ran: malformed JSON,
    /// too large, not `application/json`, or not of the expected shape
    /// (and the handler's own validation, also 422).
    JsonBodyProblems {
        "400" => problem("`malformed-json`: the body is not valid JSON."),
        "413" => problem("`body-too-large`: the body is larger than the server accepts."),
        "415" => problem("`unsupported-media-type`: send the body as `application/json`."),
        "422" => problem("`invalid-body`: a field is missing, of the wrong type, unknown or not valid; `errors` names it."),
    }
);

problem_set!(
    /// Query parameters: malformed (400 `bad-query`), a cursor that is not
    /// this workspace's (400 `bad-request`), a limit out of range (422).
    QueryProblems {
        "400" => problem("`bad-query` or `bad-request`: a query parameter (or the cursor) is not valid; `errors` names it."),
        "422" => problem("`invalid-body`: a parameter is out of range (e.g. `limit` is 1 to 200)."),
    }
);

problem_set!(
    /// Routes that take an account access token.
    AccountProblems {
        "401" => unauthenticated(),
    }
);

problem_set!(
    /// Routes that take a workspace token for `{ws}`: no valid token (401),
    /// a role or token scope that does not allow it, or 2FA required by the
    /// workspace (403), the workspace or the addressed item not found or not
    /// visible to the caller (404).
    WorkspaceProblems {
        "401" => unauthenticated(),
        "403" => problem("`forbidden` or `two-factor-required`: the caller's role or token scope does not allow this."),
        "404" => problem("`not-found`: no such workspace, or the item does not exist or is not visible to the caller."),
    }
);

problem_set!(
    /// A workspace route that is part of a plan: as [`WorkspaceProblems`],
    /// and 403 `plan-required` when the workspace's plan does not include it.
    PlanProblems {
        "401" => unauthenticated(),
        "403" => problem("`forbidden`, `two-factor-required` or `plan-required`: the caller's role or token does not allow this, or the workspace's plan does not include it (`detail` names the plan)."),
        "404" => problem("`not-found`: no such workspace."),
    }
);

problem_set!(
    /// The addressed item does not exist (or is not visible).
    NotFoundProblem {
        "404" => problem("`not-found`: there is nothing at this address."),
    }
);

problem_set!(
    /// A conflict: a stale `version`, a taken name, the last admin.
    ConflictProblem {
        "409" => problem("`stale-version`, `conflict` or `last-admin`: the change conflicts with the current state."),
    }
);

problem_set!(
    /// A wrong or expired one-time code.
    BadCodeProblem {
        "400" => problem("`bad-code`: the code is wrong or has expired."),
    }
);

problem_set!(
    /// The caller is not allowed (outside a workspace).
    ForbiddenProblem {
        "403" => problem("`forbidden` or `two-factor-required`: not allowed."),
    }
);

problem_set!(
    /// Too many attempts; `Retry-After` says when to try again.
    ThrottledProblem {
        "429" => with_header(
            problem("`too-many-attempts`: wait before trying again."),
            "Retry-After",
            "Seconds to wait.",
        ),
    }
);

/// `{ws}`: the workspace's slug.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "documents the path; handlers extract a tuple")]
pub struct Ws {
    /// The workspace's slug.
    #[param(example = "acme", min_length = 2, max_length = 40)]
    ws: String,
}

/// `{ws}` and `{id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "documents the path; handlers extract a tuple")]
pub struct WsId {
    /// The workspace's slug.
    #[param(example = "acme", min_length = 2, max_length = 40)]
    ws: String,
    /// The item's id.
    id: uuid::Uuid,
}

/// `{ws}` and `{user_id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "documents the path; handlers extract a tuple")]
pub struct WsUser {
    /// The workspace's slug.
    #[param(example = "acme", min_length = 2, max_length = 40)]
    ws: String,
    /// The member's user id.
    user_id: uuid::Uuid,
}

/// `{ws}`, `{id}` and `{user_id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "documents the path; handlers extract a tuple")]
pub struct WsIdUser {
    /// The workspace's slug.
    #[param(example = "acme", min_length = 2, max_length = 40)]
    ws: String,
    /// The item's id.
    id: uuid::Uuid,
    /// The user's id.
    user_id: uuid::Uuid,
}

/// The document's frame: info, security schemes, tags, shared schemas.
fn base() -> OpenApi {
    let mut doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Tarello")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Multi-tenant work management. JSON everywhere; errors are RFC 9457 \
                     `application/problem+json` with a stable `type`; ids are UUIDs; lists use \
                     cursor pagination (`?cursor=&limit=` → `{items, next_cursor}`). Workspace \
                     routes take a workspace token (`POST /api/v1/workspaces/{ws}/token`), \
                     account routes an account access token (`POST /api/v1/auth/login`).",
                ))
                .license(Some(
                    LicenseBuilder::new()
                        .name("AGPL-3.0-only")
                        .identifier(Some("AGPL-3.0-only"))
                        .build(),
                ))
                .build(),
        )
        .tags(Some(
            [
                ("health", "Liveness and readiness."),
                ("auth", "Sign-up, login, tokens, password reset."),
                ("me", "The account behind the session."),
                ("workspaces", "Workspaces, settings, machine tokens."),
                ("members", "Members and invitations."),
                ("boards", "Boards and board members."),
                ("lists", "Lists on a board."),
                ("cards", "Cards: read, edit, move, search; viewers."),
                ("comments", "Comments on cards."),
                ("tags", "The workspace's tags and the cards that have them."),
                ("time entries", "Time logged on cards."),
                ("public", "Public boards, no login."),
                (
                    "history",
                    "Who changed what, when: the change history (admins).",
                ),
                (
                    "security log",
                    "Every call to the workspace's API, allowed or denied, and its members' account security events (admins).",
                ),
                (
                    "attachments",
                    "Files on cards, stored encrypted; downloads by short-lived link.",
                ),
            ]
            .into_iter()
            .map(|(name, d)| {
                let mut t = Tag::new(name);
                t.description = Some(d.to_owned());
                t
            }),
        ))
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        ACCOUNT,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An account access token from `POST /api/v1/auth/login`.",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        WORKSPACE,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "A workspace token from `POST /api/v1/workspaces/{ws}/token` (signed for that \
                     workspace), or a machine token from `/api-tokens`.",
                ))
                .build(),
        ),
    );
    components
        .schemas
        .insert(Problem::name().into_owned(), Problem::schema());
    components
        .schemas
        .insert(FieldError::name().into_owned(), FieldError::schema());
    doc
}

/// Every documented route, with the document: the health routes, the
/// public page and downloads from the root, the API below `/api/v1`. New
/// modules outside `/api/v1` are merged here, those inside in `routes::v1`.
pub fn api() -> OpenApiRouter<AppState> {
    let mut router = OpenApiRouter::with_openapi(base())
        .merge(crate::health::router())
        .nest("/api/v1", crate::routes::v1())
        .merge(crate::routes::public::router())
        .merge(crate::routes::files::router());
    name_operations(router.get_openapi_mut());
    router
}

/// Operation ids default to the handler's name (`list`, `create`, …),
/// which repeats across modules: prefix the first tag (`boards_list`) so
/// ids are unique, as clients generated from the document need. A handler
/// may set `operation_id = "..."` itself.
fn name_operations(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for op in ops.into_iter().flatten() {
            let tag = op
                .tags
                .as_ref()
                .and_then(|t| t.first())
                .map(|t| t.replace(' ', "_"));
            if let (Some(tag), Some(id)) = (tag, op.operation_id.as_mut())
                && !id.starts_with(&format!("{tag}_"))
            {
                *id = format!("{tag}_{id}");
            }
        }
    }
}

/// The document alone (no state needed).
pub fn document() -> OpenApi {
    api().into_openapi()
}

/// The document, rendered once.
#[derive(Debug)]
struct Rendered {
    json: String,
    yaml: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    Json,
    Yaml,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaQuery {
    format: Option<Format>,
}

/// What the documentation pages may load: their own scripts and styles
/// (the UIs set inline styles), images from `data:`, the schema.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const REDOC_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tarello API — ReDoc</title>
</head>
<body>
<div id="redoc"></div>
<script src="redoc.standalone.js"></script>
<script src="init.js"></script>
</body>
</html>
"#;

const REDOC_INIT: &str = r#"Redoc.init("/api/schema/", { hideDownloadButton: false }, document.getElementById("redoc"));
"#;

static REDOC_JS: &[u8] = include_bytes!("../assets/redoc/redoc.standalone.js");

static SWAGGER_CONFIG: LazyLock<Arc<utoipa_swagger_ui::Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        utoipa_swagger_ui::Config::new([SCHEMA_PATH])
            .validator_url("none")
            .try_it_out_enabled(true),
    )
});

fn typed(content_type: &'static str, body: impl IntoResponse) -> Response {
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

async fn swagger(tail: Option<Path<String>>) -> Response {
    let tail = tail.map(|Path(t)| t).unwrap_or_default();
    match utoipa_swagger_ui::serve(&tail, SWAGGER_CONFIG.clone()) {
        Ok(Some(file)) => {
            let mut res = (StatusCode::OK, file.bytes.into_owned()).into_response();
            if let Ok(ct) = HeaderValue::from_str(&file.content_type) {
                res.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            if file.gzpipped {
                res.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            res
        }
        Ok(None) => Problem::for_status(StatusCode::NOT_FOUND).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "swagger ui");
            Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR).into_response()
        }
    }
}

/// `/api/schema/`, `/api/docs/`, `/api/redoc/`: the document and the two
/// documentation pages. Not part of the document themselves.
pub fn docs_router(doc: &OpenApi) -> Router<AppState> {
    let rendered = Arc::new(Rendered {
        json: doc.to_json().unwrap_or_else(|e| {
            tracing::error!(error = %e, "rendering the OpenAPI document");
            "{}".to_owned()
        }),
        yaml: doc.to_yaml().unwrap_or_else(|e| {
            tracing::error!(error = %e, "rendering the OpenAPI document");
            String::new()
        }),
    });
    let schema = get(move |ApiQuery(q): ApiQuery<SchemaQuery>| {
        let r = Arc::clone(&rendered);
        async move {
            match q.format.unwrap_or(Format::Json) {
                Format::Json => typed("application/json", r.json.clone()),
                Format::Yaml => typed("application/yaml", r.yaml.clone()),
            }
        }
    });
    let pages = Router::new()
        .route(
            "/api/docs",
            get(|| async { Redirect::permanent(SWAGGER_PATH) }),
        )
        .route(SWAGGER_PATH, get(swagger))
        .route("/api/docs/{*tail}", get(swagger))
        .route(
            "/api/redoc",
            get(|| async { Redirect::permanent(REDOC_PATH) }),
        )
        .route(
            REDOC_PATH,
            get(|| async { typed("text/html; charset=utf-8", REDOC_HTML) }),
        )
        .route(
            "/api/redoc/init.js",
            get(|| async { typed("text/javascript; charset=utf-8", REDOC_INIT) }),
        )
        .route(
            "/api/redoc/redoc.standalone.js",
            get(|| async { typed("text/javascript; charset=utf-8", REDOC_JS) }),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        ));
    Router::new()
        .route(SCHEMA_PATH, schema)
        .route(
            "/api/schema",
            get(|| async { Redirect::permanent(SCHEMA_PATH) }),
        )
        .merge(pages)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use utoipa::openapi::path::ParameterIn;

    use super::*;

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    // proves: API-1
    /// A route added with plain axum routing would be missing from the
    /// document: outside this file (the documentation pages), routes are
    /// registered only with `OpenApiRouter::routes(routes!(...))`.
    #[test]
    fn routes_are_registered_only_through_the_openapi_router() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&root, &mut files);
        assert!(files.len() > 10, "{files:?}");
        let forbidden = [
            ".route(",
            ".route_service(",
            ".nest_service(",
            ".fallback_service(",
            "routing::get",
            "routing::post",
            "routing::put",
            "routing::patch",
            "routing::delete",
            "routing::any",
            "routing::on",
        ];
        let mut offenders = Vec::new();
        for f in files {
            let rel = f.strip_prefix(&root).unwrap().display().to_string();
            if rel == "openapi.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            // Test modules build small routers of their own.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for (n, line) in code.lines().enumerate() {
                let line = line.trim_start();
                if line.starts_with("//") {
                    continue;
                }
                for pat in forbidden {
                    if line.contains(pat) {
                        offenders.push(format!("src/{rel}:{}: {line}", n + 1));
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "register routes with `OpenApiRouter::new().routes(routes!(handler, ...))` and a \
             `#[utoipa::path]` on each handler (see src/openapi.rs), not with plain axum routing:\n{}",
            offenders.join("\n")
        );
    }

    fn placeholders(path: &str) -> BTreeSet<String> {
        path.split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_owned()))
            .collect()
    }

    // proves: API-1
    #[test]
    fn every_operation_documents_its_path_parameters_responses_and_security() {
        let doc = document();
        assert!(doc.paths.paths.len() >= 20, "{:?}", doc.paths.paths.keys());
        let json = serde_json::to_value(&doc).unwrap();
        for (path, item) in &doc.paths.paths {
            let ops = [
                ("get", &item.get),
                ("put", &item.put),
                ("post", &item.post),
                ("patch", &item.patch),
                ("delete", &item.delete),
            ];
            let mut any = false;
            for (method, op) in ops {
                let Some(op) = op else { continue };
                any = true;
                let at = format!("{method} {path}");
                let declared: BTreeSet<String> = op
                    .parameters
                    .iter()
                    .flatten()
                    .filter_map(|p| match p {
                        RefOr::T(p) if p.parameter_in == ParameterIn::Path => Some(p.name.clone()),
                        _ => None,
                    })
                    .collect();
                assert_eq!(declared, placeholders(path), "{at}: path parameters");
                let statuses: Vec<&String> = op.responses.responses.keys().collect();
                assert!(
                    statuses.iter().any(|s| s.starts_with('2')),
                    "{at}: no success response: {statuses:?}"
                );
                assert!(
                    op.tags.as_ref().is_some_and(|t| !t.is_empty()),
                    "{at}: no tag"
                );
                // Every error response is a problem.
                let responses = &json["paths"][path][method]["responses"];
                for (status, r) in responses.as_object().unwrap() {
                    if status.starts_with('4') || status.starts_with('5') {
                        assert!(
                            r["content"][PROBLEM_JSON]["schema"]["$ref"]
                                == "#/components/schemas/Problem",
                            "{at} {status}: not a problem: {r}"
                        );
                    }
                }
                let public = path.starts_with("/public/")
                    || path.starts_with("/files/")
                    || path == "/healthz"
                    || path == "/readyz"
                    || path.starts_with("/api/v1/auth/")
                    || path.ends_with("/jwks.json");
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                if public {
                    continue;
                }
                assert!(secured, "{at}: no security requirement");
                assert!(
                    responses.get("401").is_some(),
                    "{at}: a secured operation must document 401"
                );
                let body = op.request_body.is_some();
                if body {
                    for s in ["400", "413", "415", "422"] {
                        assert!(
                            responses.get(s).is_some(),
                            "{at}: a JSON body must document {s} (JsonBodyProblems)"
                        );
                    }
                }
            }
            assert!(any, "{path}: no operation");
        }
        // Operation ids are unique (generated clients name methods by them).
        let mut ids = BTreeSet::new();
        for item in json["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                if let Some(id) = op["operationId"].as_str() {
                    assert!(
                        ids.insert(id.to_owned()),
                        "operationId `{id}` is used twice: set `operation_id = \"...\"` on one"
                    );
                }
            }
        }
        // Every security requirement names a scheme of the document.
        for scheme in security_schemes_used(&json) {
            assert!(
                json["components"]["securitySchemes"].get(&scheme).is_some(),
                "unknown security scheme `{scheme}`"
            );
        }
        // Every `$ref` resolves.
        let text = json.to_string();
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = part.split('"').next().unwrap();
            assert!(
                json["components"]["schemas"].get(name).is_some(),
                "unresolved $ref to {name}"
            );
        }
    }

    /// `TARELLO_OPENAPI_OUT=path cargo test -p tarello-api the_document_renders`
    /// writes the document (pretty JSON) there, e.g. to generate a client.
    fn security_schemes_used(json: &serde_json::Value) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for item in json["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                for req in op["security"].as_array().into_iter().flatten() {
                    out.extend(req.as_object().unwrap().keys().cloned());
                }
            }
        }
        out
    }

    #[test]
    fn the_document_renders_as_json_and_yaml() {
        let doc = document();
        if let Ok(out) = std::env::var("TARELLO_OPENAPI_OUT") {
            std::fs::write(out, doc.to_pretty_json().unwrap()).unwrap();
        }
        let json = doc.to_json().unwrap();
        assert!(json.contains("\"openapi\":\"3.1"), "{}", &json[..80]);
        let yaml = doc.to_yaml().unwrap();
        assert!(yaml.contains("openapi: 3.1"));
    }
}
