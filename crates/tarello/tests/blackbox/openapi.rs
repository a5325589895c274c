//! The OpenAPI document against the running server (API-1): every route is
//! in the document and every documented operation is served; real
//! responses validate against the document's schemas; the documentation
//! pages come from the binary; schemathesis fuzzes every operation.
//!
//! [`Spec`] is the helper other tests can use: `Spec::fetch(&running)` then
//! `spec.check(method, path, status, content_type, &body)`, or
//! [`checked_call`] which does the request and the check.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{ALLOW, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG};
use serde_json::{Value, json};

use crate::flows::{Running, running};
use crate::personas::world;

/// The document the server serves, for validating responses.
pub struct Spec {
    pub doc: Value,
}

impl Spec {
    pub async fn fetch(r: &Running) -> Spec {
        let res = r.c.get(r.srv.url("/api/schema/")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()[CONTENT_TYPE].to_str().unwrap(),
            "application/json"
        );
        Spec {
            doc: res.json().await.unwrap(),
        }
    }

    /// The documented template `path` (from the root, no query) matches;
    /// the one with the most literal segments when several do.
    pub fn template(&self, path: &str) -> Option<String> {
        let want: Vec<&str> = path.split('/').collect();
        self.doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|t| {
                let have: Vec<&str> = t.split('/').collect();
                have.len() == want.len()
                    && have
                        .iter()
                        .zip(&want)
                        .all(|(h, w)| h == w || (h.starts_with('{') && !w.is_empty()))
            })
            .max_by_key(|t| t.split('/').filter(|s| !s.starts_with('{')).count())
            .cloned()
    }

    /// Fails unless the document allows this response to `method path`:
    /// the status is documented, and a body validates against the schema of
    /// its content type (`$ref`s resolved against the document's
    /// components, formats checked).
    pub fn check(&self, method: &str, path: &str, status: u16, content_type: &str, body: &Value) {
        let path = path.split('?').next().unwrap_or(path);
        let template = self
            .template(path)
            .unwrap_or_else(|| panic!("{method} {path}: no such path in the document"));
        let method = method.to_ascii_lowercase();
        let op = &self.doc["paths"][&template][&method];
        assert!(
            op.is_object(),
            "{method} {template}: no such operation in the document"
        );
        let response = &op["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {template}: status {status} is not documented (documented: {:?}); body: {body}",
            op["responses"]
                .as_object()
                .map(|m| m.keys().collect::<Vec<_>>())
        );
        let media = content_type.split(';').next().unwrap_or("").trim();
        if body.is_null() && media.is_empty() {
            assert!(
                response.get("content").is_none(),
                "{method} {template} {status}: the document promises a body, none came"
            );
            return;
        }
        let schema = &response["content"][media]["schema"];
        assert!(
            schema.is_object(),
            "{method} {template} {status}: content type `{media}` is not documented: {response}"
        );
        validate(&self.doc, schema, body)
            .unwrap_or_else(|e| panic!("{method} {template} {status}: {e}\nbody: {body}"));
    }
}

/// Validates `instance` against `schema`, a schema of the OpenAPI 3.1
/// document `doc` (JSON Schema 2020-12): the document's `components` sit
/// beside the schema, so `#/components/schemas/...` resolves.
pub fn validate(doc: &Value, schema: &Value, instance: &Value) -> Result<(), String> {
    let root = json!({
        "allOf": [schema],
        "components": doc["components"],
    });
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| format!("the schema does not compile: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at `{}`", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// A request to `path` (from the root) and the check of its answer against
/// the document. Returns the status and the JSON body (`Null` when none).
pub async fn checked_call(
    r: &Running,
    spec: &Spec,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = r.c.request(method.clone(), r.srv.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = res.bytes().await.unwrap();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "{method} {path}: {status} body is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    spec.check(method.as_str(), path, status, &ct, &json);
    (status, json)
}

/// `METHOD path` pairs of the HTTP contract (`shared/API.md`, beside the
/// repository), paths from the root. None when the file is not there.
fn contract() -> Option<Vec<(String, String)>> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/API.md");
    let text = std::fs::read_to_string(file).ok()?;
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    let mut prefix = "";
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("## ") {
            prefix = if line.contains("/api/v1") {
                "/api/v1"
            } else {
                ""
            };
            continue;
        }
        if !line.starts_with('|') {
            continue;
        }
        // Code spans like `GET · PATCH · DELETE /workspaces/{ws}`.
        for span in line.split('`').skip(1).step_by(2) {
            let mut verbs = Vec::new();
            let mut rest = span;
            loop {
                let word = rest.split_whitespace().next().unwrap_or("");
                if methods.contains(&word) {
                    verbs.push(word);
                    rest = rest[word.len()..].trim_start();
                    rest = rest.strip_prefix('·').unwrap_or(rest).trim_start();
                } else {
                    break;
                }
            }
            let Some(path) = rest.split_whitespace().next() else {
                continue;
            };
            if verbs.is_empty() || !path.starts_with('/') {
                continue;
            }
            let path = path.split('?').next().unwrap_or(path);
            for v in verbs {
                out.push((v.to_owned(), format!("{prefix}{path}")));
            }
        }
    }
    Some(out)
}

/// A concrete path for a template: `{ws}` is `acme`, other parameters a UUID.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|s| match s {
            "{ws}" => "acme",
            s if s.starts_with('{') => "01900000-0000-7000-8000-000000000000",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The methods the server routes for `path` (from a TRACE request: a routed
/// path answers 405 with `Allow`; an unrouted one the fallback's 404).
async fn routed(r: &Running, path: &str) -> BTreeSet<String> {
    let res =
        r.c.request(Method::TRACE, r.srv.url(path))
            .send()
            .await
            .unwrap();
    match res.status().as_u16() {
        404 => BTreeSet::new(),
        405 => res.headers()[ALLOW]
            .to_str()
            .unwrap()
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| m != "HEAD")
            .collect(),
        s => panic!("TRACE {path}: {s}"),
    }
}

/// The documentation's own routes: served, but not operations of the API.
const DOC_PAGES: [&str; 3] = ["/api/schema/", "/api/docs/", "/api/redoc/"];

// proves: API-1
#[tokio::test]
async fn every_route_is_documented_and_every_documented_operation_is_served() {
    let r = running().await;
    let spec = Spec::fetch(&r).await;
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, item) in spec.doc["paths"].as_object().unwrap() {
        documented.insert(
            path.clone(),
            item.as_object()
                .unwrap()
                .keys()
                .map(|m| m.to_ascii_uppercase())
                .collect(),
        );
    }
    assert!(documented.len() >= 30, "{documented:?}");
    // Each documented path: the server routes exactly the documented methods.
    for (template, methods) in &documented {
        let served = routed(&r, &concrete(template)).await;
        assert_eq!(
            &served, methods,
            "{template}: routed methods (left) differ from documented ones (right)"
        );
    }
    // Each contract endpoint the server routes is documented.
    let Some(contract) = contract() else {
        eprintln!("shared/API.md not found beside the repository: contract check skipped");
        return;
    };
    assert!(contract.len() >= 40, "{contract:?}");
    let mut missing = Vec::new();
    let mut not_yet = Vec::new();
    for (method, template) in &contract {
        let served = routed(&r, &concrete(template)).await;
        if !served.contains(method) {
            not_yet.push(format!("{method} {template}"));
            continue;
        }
        if DOC_PAGES.contains(&template.as_str()) {
            continue;
        }
        let in_doc = spec
            .template(&concrete(template))
            .and_then(|t| documented.get(&t))
            .is_some_and(|m| m.contains(method));
        if !in_doc {
            missing.push(format!("{method} {template}"));
        }
    }
    assert!(
        missing.is_empty(),
        "served but not in the OpenAPI document: {missing:?}"
    );
    eprintln!("contract endpoints not served yet: {not_yet:?}");
}

// proves: API-1
#[tokio::test]
async fn the_documentation_is_served_from_the_binary_under_a_strict_csp() {
    let r = running().await;
    let c = &r.c;
    let yaml = c
        .get(r.srv.url("/api/schema/?format=yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(yaml.status(), 200);
    assert_eq!(yaml.headers()[CONTENT_TYPE], "application/yaml");
    assert!(yaml.text().await.unwrap().starts_with("openapi: 3.1"));
    let bad = c
        .get(r.srv.url("/api/schema/?format=xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    for (page, scripts) in [
        (
            "/api/docs/",
            &["swagger-ui-bundle.js", "swagger-initializer.js"][..],
        ),
        ("/api/redoc/", &["redoc.standalone.js", "init.js"][..]),
    ] {
        let res = c.get(r.srv.url(page)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{page}");
        let csp = res.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("script-src 'self'"), "{page}: {csp}");
        assert!(!csp.contains("http"), "{page}: no other origin: {csp}");
        assert!(
            res.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = res.text().await.unwrap();
        // Everything the page loads is relative: from this server.
        for attr in ["src=\"", "href=\""] {
            for link in html.split(attr).skip(1) {
                let link = link.split('"').next().unwrap();
                assert!(
                    !link.contains("//") && !link.contains(':'),
                    "{page} loads {link}"
                );
            }
        }
        assert!(!html.contains("<script>"), "{page}: an inline script");
        for script in scripts {
            assert!(html.contains(script), "{page} loads {script}");
            let js = c
                .get(r.srv.url(&format!("{page}{script}")))
                .send()
                .await
                .unwrap();
            assert_eq!(js.status(), 200, "{page}{script}");
            let ct = js.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
            assert!(ct.contains("javascript"), "{page}{script}: {ct}");
            let body = js.bytes().await.unwrap();
            assert!(!body.is_empty());
            if *script == "swagger-initializer.js" {
                // Swagger UI reads the document from this server.
                let text = String::from_utf8_lossy(&body);
                assert!(text.contains("\"/api/schema/\""), "{text}");
            }
        }
    }
    let res = c.get(r.srv.url("/api/redoc/init.js")).send().await.unwrap();
    assert!(res.text().await.unwrap().contains("/api/schema/"));
}

// proves: API-1
/// The work-model flows (as in `work_boards`), every response checked
/// against the document: pages, the board and card views the database
/// builds, the public board, and problem bodies.
#[tokio::test]
async fn responses_of_the_work_flows_validate_against_the_document() {
    let w = world().await;
    let r = &w.r;
    let spec = Spec::fetch(r).await;
    let admin = Some(w.admin.token.as_str());
    let v1 = |p: &str| format!("/api/v1{p}");
    let call = |method: Method, path: String, token: Option<&str>, body: Option<Value>| {
        let spec = &spec;
        let token = token.map(str::to_owned);
        async move { checked_call(r, spec, method, &path, token.as_deref(), body).await }
    };

    let (s, _) = call(Method::GET, v1("/workspaces/acme/boards"), admin, None).await;
    assert_eq!(s, 200);
    let (s, board) = call(
        Method::POST,
        v1("/workspaces/acme/boards"),
        admin,
        Some(json!({"name": "Roadmap", "description": "Q3", "visibility": "public"})),
    )
    .await;
    assert_eq!(s, 201, "{board}");
    let board_id = board["id"].as_str().unwrap().to_owned();
    let (s, list) = call(
        Method::POST,
        v1(&format!("/workspaces/acme/boards/{board_id}/lists")),
        admin,
        Some(json!({"name": "Todo"})),
    )
    .await;
    assert_eq!(s, 201);
    let list_id = list["id"].as_str().unwrap().to_owned();
    let (s, _) = call(
        Method::PATCH,
        v1(&format!("/workspaces/acme/lists/{list_id}")),
        admin,
        Some(json!({"name": "To do", "version": list["version"]})),
    )
    .await;
    assert_eq!(s, 200);
    let mut cards = Vec::new();
    for (title, due) in [("Ship", Some("2031-05-01")), ("Test", None)] {
        let (s, card) = call(
            Method::POST,
            v1(&format!("/workspaces/acme/lists/{list_id}/cards")),
            admin,
            Some(json!({"title": title, "due_date": due, "description": "**md**"})),
        )
        .await;
        assert_eq!(s, 201, "{card}");
        cards.push(card);
    }
    let card_id = cards[0]["id"].as_str().unwrap().to_owned();
    // A comment and a tag, so the card view embeds both.
    let (s, _) = call(
        Method::POST,
        v1(&format!("/workspaces/acme/cards/{card_id}/comments")),
        admin,
        Some(json!({"body": "first"})),
    )
    .await;
    assert_eq!(s, 201);
    let (s, tag) = call(
        Method::POST,
        v1("/workspaces/acme/tags"),
        admin,
        Some(json!({"name": "urgent"})),
    )
    .await;
    assert_eq!(s, 201, "{tag}");
    let tag_id = tag["id"].as_str().unwrap();
    let (s, _) = call(
        Method::PUT,
        v1(&format!("/workspaces/acme/cards/{card_id}/tags/{tag_id}")),
        admin,
        None,
    )
    .await;
    assert_eq!(s, 204);

    // The views the database builds.
    let (s, view) = call(
        Method::GET,
        v1(&format!("/workspaces/acme/boards/{board_id}")),
        admin,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(view["lists"][0]["cards"].as_array().unwrap().len(), 2);
    assert_eq!(view["lists"][0]["cards"][0]["tag_ids"][0], tag_id);
    let res =
        r.c.get(r.srv.url(&v1(&format!("/workspaces/acme/cards/{card_id}"))))
            .bearer_auth(&w.admin.token)
            .send()
            .await
            .unwrap();
    assert!(res.headers().get(ETAG).is_some());
    let (s, card) = call(
        Method::GET,
        v1(&format!("/workspaces/acme/cards/{card_id}")),
        admin,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(card["comments"][0]["body"], "first");
    assert_eq!(card["comment_count"], 1);
    let public_id = view["public_id"].as_str().unwrap();
    let (s, public) = call(
        Method::GET,
        format!("/public/boards/{public_id}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(public["name"], "Roadmap");
    let (s, _) = call(
        Method::GET,
        v1(&format!(
            "/workspaces/acme/cards?board_id={board_id}&limit=1"
        )),
        admin,
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = call(
        Method::GET,
        v1("/workspaces/acme/boards?limit=1"),
        admin,
        None,
    )
    .await;
    assert_eq!(s, 200);

    // Edits, moves, stale versions.
    let (s, moved) = call(
        Method::PATCH,
        v1(&format!("/workspaces/acme/cards/{card_id}")),
        admin,
        Some(json!({"version": card["version"], "position": 1, "due_date": null})),
    )
    .await;
    assert_eq!(s, 200, "{moved}");
    let (s, stale) = call(
        Method::PATCH,
        v1(&format!("/workspaces/acme/cards/{card_id}")),
        admin,
        Some(json!({"version": card["version"], "title": "again"})),
    )
    .await;
    assert_eq!((s, stale["code"].as_str()), (409, Some("stale-version")));
    let (s, _) = call(
        Method::PATCH,
        v1(&format!("/workspaces/acme/boards/{board_id}")),
        admin,
        Some(json!({"visibility": "workspace"})),
    )
    .await;
    assert_eq!(s, 200);

    // Problems.
    let missing = "01900000-0000-7000-8000-000000000000";
    for (method, path, token, body, status) in [
        (
            Method::GET,
            v1(&format!("/workspaces/acme/boards/{missing}")),
            admin,
            None,
            404,
        ),
        (Method::GET, v1("/workspaces/acme/boards"), None, None, 401),
        (
            Method::POST,
            v1("/workspaces/acme/boards"),
            admin,
            Some(json!({"name": ""})),
            422,
        ),
        (
            Method::POST,
            v1("/workspaces/acme/boards"),
            admin,
            Some(json!({"name": "x", "owner": "me"})),
            422,
        ),
        (
            Method::POST,
            v1("/workspaces/acme/boards"),
            Some(w.observer.token.as_str()),
            Some(json!({"name": "x"})),
            403,
        ),
        (
            Method::GET,
            v1("/workspaces/acme/boards?limit=0"),
            admin,
            None,
            422,
        ),
        (
            Method::GET,
            v1("/workspaces/acme/boards?cursor=!!"),
            admin,
            None,
            400,
        ),
        (
            Method::GET,
            "/public/boards/AAAAAAAAAAAAAAAAAAAAAA".to_owned(),
            None,
            None,
            404,
        ),
    ] {
        let (s, p) = call(method.clone(), path.clone(), token, body).await;
        assert_eq!(s, status, "{method} {path}: {p}");
        assert_eq!(p["status"], status);
    }
    // Malformed JSON and a missing content type.
    for (ct, body, status) in [
        (Some("application/json"), "{", 400),
        (None, r#"{"name":"x"}"#, 415),
    ] {
        let mut req =
            r.c.post(r.srv.url(&v1("/workspaces/acme/boards")))
                .bearer_auth(&w.admin.token)
                .body(body);
        if let Some(ct) = ct {
            req = req.header(CONTENT_TYPE, ct);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status);
        let ct = res.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        let p: Value = res.json().await.unwrap();
        spec.check("POST", &v1("/workspaces/acme/boards"), status, &ct, &p);
    }

    // The account and workspace around it.
    let access = w.admin.access.as_deref();
    for path in ["/me", "/me/sessions", "/workspaces"] {
        let (s, _) = call(Method::GET, v1(path), access, None).await;
        assert_eq!(s, 200, "{path}");
    }
    for path in [
        "/workspaces/acme",
        "/workspaces/acme/members",
        "/workspaces/acme/api-tokens",
        "/workspaces/acme/jwks.json",
    ] {
        let (s, _) = call(Method::GET, v1(path), admin, None).await;
        assert_eq!(s, 200, "{path}");
    }
    let (s, _) = call(
        Method::DELETE,
        v1(&format!("/workspaces/acme/cards/{card_id}")),
        admin,
        None,
    )
    .await;
    assert_eq!(s, 204);
}

fn schemathesis(python: &str) -> Command {
    let mut c = Command::new(python);
    c.args(["-m", "schemathesis.cli"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

// proves: API-1
/// schemathesis generates requests for every operation from the document
/// (valid and invalid ones) as the admin of `acme`, and fails on any 5xx,
/// undocumented status or content type, or body that does not match its
/// schema.
#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_undocumented_response() {
    // `scripts/test` sets TARELLO_PYTHON; otherwise the venv it makes.
    let python = std::env::var("TARELLO_PYTHON").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv/bin/python").to_owned()
    });
    let probe = schemathesis(&python).arg("--version").output();
    let ok = probe.as_ref().is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "`{python} -m schemathesis.cli` does not run: run `scripts/test`, which installs it in \
         .venv, or set TARELLO_PYTHON ({probe:?})"
    );

    let w = world().await;
    // Something for the GETs to find.
    let board = w.board("Fuzzed", "workspace").await;
    let list = w.list(&board, "Todo").await;
    w.card(&list, "A card").await;

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("schemathesis.toml");
    // `{ws}` stays `acme`, the workspace the token is for; the token comes
    // from the environment, not the command line.
    std::fs::write(
        &config,
        r#"
headers = { Authorization = "Bearer ${TARELLO_FUZZ_TOKEN}" }

[parameters]
"path.ws" = "acme"
"#,
    )
    .unwrap();
    let schema_url = w.r.srv.url("/api/schema/");
    let mut cmd = schemathesis(&python);
    cmd.current_dir(dir.path())
        .env("TARELLO_FUZZ_TOKEN", &w.admin.token)
        .args([
            "--config-file",
            config.to_str().unwrap(),
            "run",
            &schema_url,
        ])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_headers_conformance,response_schema_conformance",
            "--max-examples",
            "10",
            "--max-time",
            "120",
            "--request-timeout",
            "10",
            // One worker: with two, CPython 3.11's parser can fail inside
            // hypothesis ("AST constructor recursion depth mismatch") when
            // two threads describe lambdas at once — a fuzzer crash, not a
            // finding.
            "--workers",
            "1",
            "--seed",
            "20261122",
            "--generation-database",
            "none",
            "--no-color",
            "--output-truncate",
            "false",
        ]);
    // `TARELLO_FUZZ_REPORT=dir` keeps every request and response (HAR).
    if let Ok(report) = std::env::var("TARELLO_FUZZ_REPORT") {
        cmd.args(["--report", "har", "--report-dir", &report]);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out_reader =
        std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err_reader =
        std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(170) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("schemathesis ran past 170 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let out = out_reader.join().unwrap();
    let err = err_reader.join().unwrap();
    eprintln!(
        "schemathesis took {:?}; its summary:\n{}",
        started.elapsed(),
        out.lines()
            .skip_while(|l| !l.contains("SUMMARY"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        status.success(),
        "schemathesis found problems ({status}):\n{out}\n{err}\n--- server log (tail) ---\n{}",
        w.r.srv
            .log_text()
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(out.contains("passed"), "{out}");
}

#[test]
fn the_validator_resolves_component_refs_and_checks_formats() {
    let doc = json!({
        "components": {"schemas": {
            "Thing": {"type": "object", "required": ["id", "at"], "additionalProperties": false,
                      "properties": {"id": {"type": "string", "format": "uuid"},
                                     "at": {"type": "string", "format": "date-time"}}}
        }}
    });
    let schema = json!({"$ref": "#/components/schemas/Thing"});
    let good = json!({"id": "01900000-0000-7000-8000-000000000000", "at": "2026-11-22T07:47:00.123456+00:00"});
    validate(&doc, &schema, &good).unwrap();
    for bad in [
        json!({"id": "nope", "at": "2026-11-22T07:47:00Z"}),
        json!({"id": "01900000-0000-7000-8000-000000000000", "at": [2026, 326]}),
        json!({"id": "01900000-0000-7000-8000-000000000000", "at": "2026-11-22T07:47:00Z", "x": 1}),
    ] {
        assert!(validate(&doc, &schema, &bad).is_err(), "{bad}");
    }
}
