//! The HTTP skeleton: health, readiness, request ids, problem+json for
//! every error, body limit, and refusal to serve an out-of-date database.

use serde_json::Value;

use crate::common::Tarello;

async fn problem(r: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["code"], code);
    assert_eq!(body["type"], format!("/problems/{code}"));
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

// proves: EDGE-2, EDGE-4
#[tokio::test]
async fn health_readiness_request_ids_and_problem_bodies() {
    let tdb = tarello_testkit::fresh_database().await;
    let t = Tarello::external(&tdb).with("TARELLO_BODY_LIMIT_BYTES", "4096");
    t.ok(&["migrate"]);
    let srv = t.serve().await;
    let c = reqwest::Client::new();

    let r = c.get(srv.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let id1 = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    for (h, v) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ] {
        assert_eq!(r.headers()[h], v);
    }
    let r = c.get(srv.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let id2 = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(id1, id2);
    assert_eq!(id1.len(), 36, "a UUID");

    problem(
        c.get(srv.url("/no/such/thing")).send().await.unwrap(),
        404,
        "not-found",
    )
    .await;
    let r = c.delete(srv.url("/healthz")).send().await.unwrap();
    assert!(r.headers()["allow"].to_str().unwrap().contains("GET"));
    problem(r, 405, "method-not-allowed").await;
    let big = vec![b'x'; 10_000];
    let r = c
        .post(srv.url("/healthz"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    problem(r, 413, "body-too-large").await;
    // Odd methods and paths are problems too, never a 500.
    let r = c
        .request(
            reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
            srv.url("/healthz"),
        )
        .send()
        .await
        .unwrap();
    problem(r, 405, "method-not-allowed").await;
    let r = c
        .get(srv.url("/%ZZ/..%2f..%2fetc/passwd"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());

    // The log has request ids and routes, and no query strings.
    let _ = c
        .get(srv.url("/healthz?token=s3cr3t-in-query"))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = srv.log_text();
    assert!(log.contains(&id1), "request ids are logged");
    assert!(
        !log.contains("s3cr3t-in-query"),
        "query strings are not logged"
    );
}

#[tokio::test]
async fn readyz_is_503_when_the_schema_falls_behind() {
    let tdb = tarello_testkit::fresh_database().await;
    let t = Tarello::external(&tdb);
    t.ok(&["migrate"]);
    t.ok(&["workspace", "create", "acme"]);
    let srv = t.serve().await;
    let c = reqwest::Client::new();
    assert_eq!(
        c.get(srv.url("/readyz")).send().await.unwrap().status(),
        200
    );
    let mut su = tdb.superuser().await;
    sqlx::query("UPDATE control.workspace SET schema_version = 0")
        .execute(&mut su)
        .await
        .unwrap();
    let body = problem(
        c.get(srv.url("/readyz")).send().await.unwrap(),
        503,
        "not-ready",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("tarello migrate"));
    assert_eq!(
        c.get(srv.url("/healthz")).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn serve_refuses_an_unmigrated_database_and_says_to_migrate() {
    let tdb = tarello_testkit::fresh_database().await;
    let t = Tarello::external(&tdb).with(
        "TARELLO_LISTEN",
        &format!("127.0.0.1:{}", tarello_testkit::free_port()),
    );
    let r = t.run(&["serve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("tarello migrate"), "{}", r.stderr);
}
