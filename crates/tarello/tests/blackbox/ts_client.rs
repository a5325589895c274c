//! The typed TypeScript client cannot drift from the server (API-1): the
//! types in `web/src/api/schema.d.ts` are what `openapi-typescript` makes of
//! the document the running server serves at `/api/schema/`, byte for byte,
//! and the client and its usage example in `web/` type-check against them.
//!
//! `TARELLO_UPDATE_CLIENT=1` (what `scripts/gen-client` sets) rewrites the
//! committed types instead of comparing. `TARELLO_SKIP_WEB=1` skips the test
//! on machines without Node.js.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::flows::running;

/// The `web/` folder at the root of the repository.
fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../web")
        .canonicalize()
        .expect("web/ beside crates/ in the repository")
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

/// Runs one of `web/node_modules/.bin`'s tools in `web/`.
fn node_tool(web: &Path, tool: &str, args: &[&str]) -> Output {
    let bin = web.join("node_modules/.bin").join(tool);
    Command::new(&bin)
        .args(args)
        .current_dir(web)
        .env("NO_COLOR", "1")
        .env("FORCE_COLOR", "0")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{} does not run: {e}", bin.display()))
}

fn text(o: &Output) -> String {
    format!(
        "--- stdout ---\n{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The first line where two texts differ, for a readable failure.
fn first_difference(want: &str, have: &str) -> String {
    let (mut w, mut h) = (want.lines(), have.lines());
    let mut n = 1;
    loop {
        match (w.next(), h.next()) {
            (None, None) => return "the texts differ only in line endings".into(),
            (a, b) if a == b => n += 1,
            (a, b) => {
                return format!("line {n}:\n  generated: {a:?}\n  committed: {b:?}");
            }
        }
    }
}

// proves: API-1
#[tokio::test]
async fn the_typescript_client_is_generated_from_the_served_document_and_type_checks() {
    if flag("TARELLO_SKIP_WEB") {
        eprintln!("TARELLO_SKIP_WEB=1: TypeScript client check skipped");
        return;
    }
    let web = web_dir();
    for tool in ["openapi-typescript", "tsc"] {
        assert!(
            web.join("node_modules/.bin").join(tool).exists(),
            "{}/node_modules/.bin/{tool} is missing: run `npm ci --prefix web` (scripts/test \
             does), or set TARELLO_SKIP_WEB=1 to skip this test",
            web.display()
        );
    }
    let committed_path = web.join("src/api/schema.d.ts");

    let r = running().await;
    let res = r.c.get(r.srv.url("/api/schema/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let doc = res.bytes().await.unwrap();
    // The document is the same however often it is asked for.
    let again = r.c.get(r.srv.url("/api/schema/")).send().await.unwrap();
    assert!(
        again.bytes().await.unwrap() == doc,
        "/api/schema/ answered two different documents"
    );

    let tmp = tempfile::Builder::new()
        .prefix("tarello-ts-")
        .tempdir()
        .unwrap();
    let doc_path = tmp.path().join("openapi.json");
    let out_path = tmp.path().join("schema.d.ts");
    std::fs::write(&doc_path, &doc).unwrap();
    let generator = node_tool(
        &web,
        "openapi-typescript",
        &[
            doc_path.to_str().unwrap(),
            "-o",
            out_path.to_str().unwrap(),
            // A property with a default is optional in a request body (the
            // server fills it in), not required as openapi-typescript 7
            // would make it by default.
            "--default-non-nullable",
            "false",
        ],
    );
    assert!(
        generator.status.success(),
        "openapi-typescript failed ({}):\n{}",
        generator.status,
        text(&generator)
    );
    let generated = std::fs::read_to_string(&out_path).unwrap();
    assert!(
        generated.contains("export interface paths"),
        "openapi-typescript wrote no `paths`:\n{generated}"
    );

    if flag("TARELLO_UPDATE_CLIENT") {
        std::fs::write(&committed_path, &generated).unwrap();
        eprintln!(
            "TARELLO_UPDATE_CLIENT=1: wrote {}",
            committed_path.display()
        );
    } else {
        let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
        assert!(
            generated == committed,
            "{} is not what openapi-typescript makes of the served document; regenerate it \
             with `scripts/gen-client` and commit it. First difference at {}",
            committed_path.display(),
            first_difference(&generated, &committed)
        );
    }

    let tsc = node_tool(&web, "tsc", &["--noEmit", "-p", "."]);
    assert!(
        tsc.status.success(),
        "`tsc --noEmit -p web` failed ({}): the client or its example no longer type-checks \
         against the generated types:\n{}",
        tsc.status,
        text(&tsc)
    );
}
