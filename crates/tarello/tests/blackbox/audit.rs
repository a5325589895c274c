//! The history chain from the CLI (`audit seal|verify|purge`) and the
//! history under a crash: `kill -9` in the middle of a stream of writes
//! leaves no change without its event and no event without its change.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::Tarello;
use crate::personas::world;

// proves: AUD-4
#[tokio::test]
async fn audit_verify_from_the_cli_reports_the_first_broken_link() {
    let tdb = tarello_testkit::fresh_database().await;
    let t = Tarello::external(&tdb);
    t.ok(&["migrate"]);
    t.ok(&["workspace", "create", "acme"]);
    t.ok(&["workspace", "create", "globex"]);
    let mut su = tdb.superuser().await;
    let acme = crate::flows::schema_of(&mut su, "acme").await;
    sqlx::raw_sql(&format!(
        "BEGIN; SET LOCAL tarello.actor_kind = 'system'; \
         INSERT INTO {acme}.board (board_id, name, created_at) \
         SELECT gen_random_uuid(), 'Board ' || i, now() FROM generate_series(1, 5) i; \
         UPDATE {acme}.board SET name = name || '!'; COMMIT"
    ))
    .execute(&mut su)
    .await
    .unwrap();
    let r = t.ok(&["audit", "seal"]);
    assert!(
        r.stdout.contains("10 event(s) sealed in 2 workspace(s)"),
        "{}",
        r.stdout
    );
    let r = t.ok(&["audit", "verify"]);
    assert!(
        r.stdout.contains("acme: ok, 10 event(s) verified"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("globex: ok, 0 event(s) verified"),
        "{}",
        r.stdout
    );
    // The head it prints can be given back later: the chain must still reach it.
    let head = r
        .stdout
        .lines()
        .find(|l| l.starts_with("acme: ok"))
        .and_then(|l| l.split("head ").nth(1))
        .and_then(|h| h.split(',').next())
        .unwrap()
        .to_owned();
    assert!(head.starts_with("10:") && head.len() == 67, "{head}");
    t.ok(&["audit", "verify", "--workspace", "acme", "--head", &head]);
    let wrong = format!("10:{}", "0".repeat(64));
    let r = t.run(&["audit", "verify", "--workspace", "acme", "--head", &wrong]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    for bad in [["--head", "10"], ["--head", "x:y"]] {
        let r = t.run(&["audit", "verify", "--workspace", "acme", bad[0], bad[1]]);
        assert_eq!(r.code, 2, "{bad:?}: {}", r.stderr);
    }
    assert_eq!(
        t.run(&["audit", "verify", "--head", &head]).code,
        2,
        "--head needs --workspace"
    );

    // A superuser rewrites one event with the triggers off.
    sqlx::raw_sql(&format!(
        "SET session_replication_role = replica; \
         UPDATE {acme}.history SET after = '{{\"name\": \"Nothing to see\"}}' WHERE seq = 7; \
         RESET session_replication_role"
    ))
    .execute(&mut su)
    .await
    .unwrap();
    let r = t.run(&["audit", "verify"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("acme: BROKEN: event 7 was changed after it was sealed"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("globex: ok"), "{}", r.stdout);
    let r = t.run(&["audit", "verify", "--workspace", "globex"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = t.run(&[
        "audit",
        "verify",
        "--workspace",
        "x'; DROP TABLE history; --",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("invalid slug"), "{}", r.stderr);
    // Nothing is old enough to purge on a fresh install; the run says so.
    let r = t.ok(&["audit", "purge"]);
    assert!(r.stdout.contains("0 history event(s)"), "{}", r.stdout);
}

/// Sends one request; `None` when the server is gone.
async fn send(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Value,
) -> Option<(u16, Value)> {
    let res = c
        .request(method, url)
        .bearer_auth(token)
        .json(&body)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    let s = res.status().as_u16();
    Some((s, res.json().await.unwrap_or(Value::Null)))
}

// proves: AUD-1
#[tokio::test]
async fn kill_9_under_load_leaves_no_change_without_its_event_nor_the_reverse() {
    let mut w = world().await;
    let board = w.board("Load", "workspace").await;
    let list = w.list(&board, "Todo").await;
    let base = w.r.base.clone();
    let token = w.member.token.clone();
    let c = reqwest::Client::new();
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for worker in 0..32 {
        let (c, base, token, list, done) = (
            c.clone(),
            base.clone(),
            token.clone(),
            list.clone(),
            done.clone(),
        );
        tasks.push(tokio::spawn(async move {
            // Each worker: new card, then alternately edit it and comment on it.
            let mut acked: Vec<(String, i64)> = Vec::new();
            let mut i = 0u64;
            loop {
                i += 1;
                let Some((s, card)) = send(
                    &c,
                    reqwest::Method::POST,
                    format!("{base}/workspaces/acme/lists/{list}/cards"),
                    &token,
                    json!({"title": format!("w{worker} #{i}")}),
                )
                .await
                else {
                    return acked;
                };
                assert_eq!(s, 201, "{card}");
                done.fetch_add(1, Ordering::Relaxed);
                let id = card["id"].as_str().unwrap().to_owned();
                let mut version = card["version"].as_i64().unwrap();
                for k in 0..3 {
                    let (method, url, body) = if k % 2 == 0 {
                        (
                            reqwest::Method::PATCH,
                            format!("{base}/workspaces/acme/cards/{id}"),
                            json!({"version": version, "title": format!("w{worker} #{i} v{k}")}),
                        )
                    } else {
                        (
                            reqwest::Method::POST,
                            format!("{base}/workspaces/acme/cards/{id}/comments"),
                            json!({"body": format!("note {k}")}),
                        )
                    };
                    let Some((s, b)) = send(&c, method, url, &token, body).await else {
                        acked.push((id, version));
                        return acked;
                    };
                    assert!(s == 200 || s == 201, "{s} {b}");
                    done.fetch_add(1, Ordering::Relaxed);
                    if let Some(v) = b["version"].as_i64() {
                        version = v;
                    }
                }
                acked.push((id, version));
            }
        }));
    }
    // Let the load settle, measure it, then kill the server outright.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (n0, t0) = (done.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rate = (done.load(Ordering::Relaxed) - n0) as f64 / t0.elapsed().as_secs_f64();
    w.r.srv.child.kill().unwrap();
    w.r.srv.child.wait().unwrap();
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    eprintln!(
        "writes/s before the kill: {rate:.0}; cards acknowledged: {}",
        acked.len()
    );
    assert!(acked.len() > 50, "the load ran");

    let mut su = w.r.tdb.superuser().await;
    let s = crate::flows::schema_of(&mut su, "acme").await;
    let q = |sql: &str| sql.replace("{s}", &s);
    // Every row has its insert event, every insert event its row.
    for (table, etype, id) in [
        ("card", "card", "card_id"),
        ("comment", "comment", "comment_id"),
    ] {
        let orphans: i64 = sqlx::query_scalar(&q(&format!(
            "SELECT count(*) FROM {{s}}.{table} x WHERE NOT EXISTS (SELECT 1 FROM {{s}}.history h \
             WHERE h.entity_type = '{etype}' AND h.action = 'insert' AND h.entity_id = x.{id})"
        )))
        .fetch_one(&mut su)
        .await
        .unwrap();
        assert_eq!(orphans, 0, "{table} rows without their event");
        let ghosts: i64 = sqlx::query_scalar(&q(&format!(
            "SELECT count(*) FROM {{s}}.history h WHERE h.entity_type = '{etype}' AND h.action = 'insert' \
             AND NOT EXISTS (SELECT 1 FROM {{s}}.{table} x WHERE x.{id} = h.entity_id)"
        )))
        .fetch_one(&mut su)
        .await
        .unwrap();
        assert_eq!(ghosts, 0, "{table} events without their row");
    }
    // Each card's version is the one its last update event recorded.
    let mismatched: i64 = sqlx::query_scalar(&q(
        "SELECT count(*) FROM {s}.card c WHERE c.version <> coalesce((SELECT max((h.after ->> 'version')::int) \
         FROM {s}.history h WHERE h.entity_type = 'card' AND h.entity_id = c.card_id), 1)",
    ))
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(
        mismatched, 0,
        "a card version without its event, or the reverse"
    );
    // What the clients were told is there, with its event.
    for (id, version) in &acked {
        let v: i32 =
            sqlx::query_scalar(&q("SELECT version FROM {s}.card WHERE card_id = $1::uuid"))
                .bind(id)
                .fetch_one(&mut su)
                .await
                .unwrap();
        assert!(
            i64::from(v) >= *version,
            "acknowledged change lost on card {id}"
        );
    }
    // After the restart the chain seals and verifies.
    w.r.srv = w.r.t.serve().await;
    w.r.t.ok(&["audit", "seal"]);
    let r = w.r.t.ok(&["audit", "verify", "--workspace", "acme"]);
    assert!(r.stdout.contains("acme: ok"), "{}", r.stdout);
}
