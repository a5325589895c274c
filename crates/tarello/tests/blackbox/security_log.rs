//! The capability log through HTTP (AUD-3): every call to a workspace's
//! API, allowed or denied, with principal, role, policy decision, status,
//! route and a redacted payload; members' account events; who may read it.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::flows::post;
use crate::personas::{Persona, World, world};

/// Rows of acme's log matching `filter` (a query string) and `pred`, as the
/// admin reads them. The writer flushes about every 100 ms: poll for up to
/// 5 s until `pred` matches one.
async fn rows(w: &World, filter: &str, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let path = format!("/workspaces/acme/security-log?limit=200&{filter}");
        let (s, page) = w.call(Method::GET, &path, &w.admin, None).await;
        assert_eq!(s, 200, "{page}");
        let found: Vec<Value> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| pred(r))
            .cloned()
            .collect();
        if !found.is_empty() {
            return found;
        }
        assert!(Instant::now() < deadline, "no row for {filter} in {page:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn one(w: &World, filter: &str, pred: impl Fn(&Value) -> bool) -> Value {
    rows(w, filter, pred).await.remove(0)
}

/// A request with a user agent; returns status, body and request id.
async fn send(
    w: &World,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value, String) {
    let mut req =
        w.r.c
            .request(method, format!("{}{path}", w.r.base))
            .bearer_auth(token)
            .header("user-agent", "seclog-test/1.0");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    (status, res.json().await.unwrap_or(Value::Null), id)
}

fn no_token_in(row: &Value, personas: &[&Persona]) {
    let text = row.to_string();
    for p in personas {
        assert!(!text.contains(&p.token), "a token in the log: {row}");
        if let Some(a) = &p.access {
            assert!(
                !text.contains(a.as_str()),
                "an access token in the log: {row}"
            );
        }
    }
}

// proves: AUD-3
#[tokio::test]
async fn every_call_is_logged_allowed_or_denied_with_principal_decision_and_redacted_payload() {
    let w = world().await;
    let everyone = [
        &w.admin,
        &w.member,
        &w.observer,
        &w.machine_read,
        &w.machine_write,
    ];
    let board = w.board("Work", "workspace").await;
    let list = w.list(&board, "Todo").await;

    // An allowed write by a member.
    let long = "x".repeat(500);
    let (s, card, rid) = send(
        &w,
        Method::POST,
        &format!("/workspaces/acme/lists/{list}/cards"),
        &w.member.token,
        Some(json!({"title": "Plan", "description": long})),
    )
    .await;
    assert_eq!(s, 201, "{card}");
    let row = one(&w, &format!("principal_id={}", w.member.id), |r| {
        r["request_id"] == json!(rid)
    })
    .await;
    assert_eq!(row["kind"], "call");
    assert_eq!(row["principal_kind"], "user");
    assert_eq!(row["lane"], "human");
    assert_eq!(row["role"], "member");
    assert_eq!(row["action"], "card.create");
    assert_eq!(row["scope"], "board");
    assert_eq!(row["decision"], "allowed");
    assert_eq!(row["status"], 201);
    assert_eq!(row["method"], "POST");
    assert_eq!(row["route"], "/api/v1/workspaces/{ws}/lists/{id}/cards");
    assert_eq!(row["user_agent"], "seclog-test/1.0");
    assert!(row["client_ip"].as_str().unwrap().starts_with("127."));
    assert_eq!(row["payload"]["path"]["id"], json!(list));
    assert_eq!(row["payload"]["body"]["title"], "Plan");
    let logged = row["payload"]["body"]["description"].as_str().unwrap();
    assert!(
        logged.chars().count() <= 201 && logged.ends_with('…'),
        "{logged}"
    );
    no_token_in(&row, &everyone);

    // An observer's refused write.
    let (s, _, rid) = send(
        &w,
        Method::POST,
        &format!("/workspaces/acme/lists/{list}/cards"),
        &w.observer.token,
        Some(json!({"title": "Nope"})),
    )
    .await;
    assert_eq!(s, 403);
    let row = one(&w, "decision=denied", |r| r["request_id"] == json!(rid)).await;
    assert_eq!(row["principal_id"], json!(w.observer.id));
    assert_eq!(row["role"], "observer");
    assert_eq!(row["action"], "card.create");
    assert_eq!(row["scope"], Value::Null);
    assert_eq!(row["status"], 403);

    // A machine token's call.
    let (s, _, rid) = send(
        &w,
        Method::GET,
        "/workspaces/acme/boards",
        &w.machine_write.token,
        None,
    )
    .await;
    assert_eq!(s, 200);
    let row = one(&w, "decision=allowed", |r| r["request_id"] == json!(rid)).await;
    assert_eq!(row["principal_kind"], "token");
    assert_eq!(row["principal_id"], json!(w.machine_write.id));
    assert_eq!(row["lane"], "machine");
    assert_eq!(row["action"], "board.read");
    no_token_in(&row, &everyone);

    // A bad token on an existing workspace.
    let (s, _, rid) = send(
        &w,
        Method::GET,
        "/workspaces/acme/boards",
        "not-a-real-token",
        None,
    )
    .await;
    assert_eq!(s, 401);
    let row = one(&w, "decision=denied", |r| r["request_id"] == json!(rid)).await;
    assert_eq!(row["principal_kind"], "anonymous");
    assert_eq!(row["principal_id"], Value::Null);
    assert_eq!(row["status"], 401);
    assert!(!row.to_string().contains("not-a-real-token"));

    // Secrets in a body and in a query are masked, even when refused.
    let (s, _, rid) = send(
        &w,
        Method::PATCH,
        "/workspaces/acme",
        &w.admin.token,
        Some(json!({"currency": "EUR", "password": "hunter2", "extra": {"totp_code": "123456"}})),
    )
    .await;
    assert_eq!(s, 422);
    let row = one(&w, "", |r| r["request_id"] == json!(rid)).await;
    assert_eq!(row["payload"]["body"]["currency"], "EUR");
    assert_eq!(row["payload"]["body"]["password"], "***");
    assert_eq!(row["payload"]["body"]["extra"]["totp_code"], "***");
    assert!(!row.to_string().contains("hunter2"));
    let (s, _, rid) = send(
        &w,
        Method::GET,
        "/workspaces/acme/boards?api_key=sesame",
        &w.admin.token,
        None,
    )
    .await;
    assert!(s == 200 || s == 400, "{s}");
    let row = one(&w, "", |r| r["request_id"] == json!(rid)).await;
    assert_eq!(row["payload"]["query"]["api_key"], "***");
    assert!(!row.to_string().contains("sesame"));

    // Nowhere in the whole log is a token.
    for row in rows(&w, "", |_| true).await {
        no_token_in(&row, &everyone);
    }
}

// proves: AUD-3
#[tokio::test]
async fn a_members_account_events_land_in_their_workspaces_log_only() {
    let w = world().await;
    let (s, _) = post(
        &w.r.c,
        format!("{}/auth/login", w.r.base),
        None,
        json!({"email": "member@acme.test", "password": "not the password"}),
    )
    .await;
    assert_eq!(s, 401);
    let filter = format!(
        "kind=account&action=login.failed&principal_id={}",
        w.member.id
    );
    let row = one(&w, &filter, |_| true).await;
    assert_eq!(row["principal_kind"], "user");
    assert_eq!(row["role"], "member");
    assert_eq!(row["decision"], "denied");
    assert_eq!(row["status"], Value::Null);
    assert!(!row.to_string().contains("not the password"));
    // A successful login of the member is there too.
    crate::flows::login(&w.r.c, &w.r.base, "member@acme.test", crate::personas::PW).await;
    let row = one(
        &w,
        &format!(
            "kind=account&action=login.succeeded&principal_id={}",
            w.member.id
        ),
        |_| true,
    )
    .await;
    assert_eq!(row["decision"], "allowed");
    // The other workspace's log knows nothing of acme's member.
    let (s, page) = w
        .call(
            Method::GET,
            "/workspaces/other/security-log?limit=200",
            &w.other,
            None,
        )
        .await;
    assert_eq!(s, 200, "{page}");
    assert!(!page.to_string().contains(&w.member.id), "{page}");
}

// proves: AUD-3
#[tokio::test]
async fn only_admins_read_the_security_log_with_filters_and_cursors() {
    let w = world().await;
    for who in [&w.member, &w.observer, &w.machine_read, &w.machine_write] {
        let (s, _) = w
            .call(Method::GET, "/workspaces/acme/security-log", who, None)
            .await;
        assert_eq!(s, 403);
    }
    // Not a member of acme: the token does not open it.
    for who in [&w.other, &w.outsider] {
        let (s, _) = w
            .call(Method::GET, "/workspaces/acme/security-log", who, None)
            .await;
        assert_eq!(s, 401);
    }
    // The member's refused read is itself in the log.
    let row = one(
        &w,
        &format!("principal_id={}&action=security_log.read", w.member.id),
        |_| true,
    )
    .await;
    assert_eq!(row["decision"], "denied");
    assert_eq!(row["status"], 403);

    for filter in ["decision=denied", "decision=allowed", "kind=call"] {
        let (key, value) = filter.split_once('=').unwrap();
        for r in rows(&w, filter, |_| true).await {
            assert_eq!(r[key], value, "{filter}: {r}");
        }
    }
    for r in rows(&w, &format!("principal_id={}", w.observer.id), |_| true).await {
        assert_eq!(r["principal_id"], json!(w.observer.id));
    }
    // `since` includes the instant, `until` excludes it.
    let row = rows(&w, "", |_| true).await.pop().unwrap();
    let at = row["at"].as_str().unwrap().replace('+', "%2B");
    let seqs = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["seq"].as_i64().unwrap())
            .collect()
    };
    for (filter, included) in [("since", true), ("until", false)] {
        let (s, page) = w
            .call(
                Method::GET,
                &format!("/workspaces/acme/security-log?limit=200&{filter}={at}"),
                &w.admin,
                None,
            )
            .await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(
            seqs(&page).contains(&row["seq"].as_i64().unwrap()),
            included,
            "{filter}"
        );
    }

    w.pages_by_seq_with_a_workspace_bound_cursor("security-log")
        .await;

    for (bad, status, field) in [
        (
            "since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
            422,
            "since",
        ),
        ("decision=maybe", 422, "decision"),
        ("kind=login", 422, "kind"),
        ("limit=0", 422, "limit"),
        ("principal_id=42", 400, ""),
        ("colour=red", 400, ""),
    ] {
        let (s, p) = w
            .call(
                Method::GET,
                &format!("/workspaces/acme/security-log?{bad}"),
                &w.admin,
                None,
            )
            .await;
        assert_eq!(s, status, "{bad}: {p}");
        if !field.is_empty() {
            assert_eq!(p["errors"][0]["field"], field, "{bad}: {p}");
        }
    }
}

// proves: AUD-3
#[tokio::test]
async fn a_graceful_stop_writes_the_calls_still_queued() {
    let mut w = world().await;
    let (s, _, rid) = send(
        &w,
        Method::GET,
        "/workspaces/acme/boards",
        &w.member.token,
        None,
    )
    .await;
    assert_eq!(s, 200);
    w.r.srv.signal("TERM");
    assert_eq!(w.r.srv.wait_exit().await, Some(0));
    let mut su = w.r.tdb.superuser().await;
    let schema = crate::flows::schema_of(&mut su, "acme").await;
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {schema}.capability_log WHERE request_id = $1 AND action = 'board.read'"
    ))
    .bind(&rid)
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(n, 1);
}

// proves: AUD-3
#[tokio::test]
async fn a_flood_of_calls_without_a_token_is_counted_not_written_row_by_row() {
    let mut w = world().await;
    for _ in 0..100 {
        let (s, _, _) = send(&w, Method::GET, "/workspaces/acme/boards", "forged", None).await;
        assert_eq!(s, 401);
    }
    // A member's calls meanwhile are all written.
    for _ in 0..3 {
        let (s, _, _) = send(
            &w,
            Method::GET,
            "/workspaces/acme/boards",
            &w.member.token,
            None,
        )
        .await;
        assert_eq!(s, 200);
    }
    w.r.srv.signal("TERM");
    assert_eq!(w.r.srv.wait_exit().await, Some(0));
    let mut su = w.r.tdb.superuser().await;
    let schema = crate::flows::schema_of(&mut su, "acme").await;
    let (singles, folded, members): (i64, Option<i64>, i64) = sqlx::query_as(&format!(
        "SELECT count(*) FILTER (WHERE principal_kind = 'anonymous' AND (payload IS NULL OR NOT payload ? 'folded')), \
                sum((payload ->> 'folded')::bigint)::bigint, \
                count(*) FILTER (WHERE principal_kind = 'user' AND action = 'board.read') \
         FROM {schema}.capability_log"
    ))
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!((singles, folded, members), (60, Some(40), 3));
}
