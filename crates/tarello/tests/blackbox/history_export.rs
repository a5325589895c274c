//! The history export through HTTP: plan and role checks before the first
//! byte, CSV read back by Python's `csv` module (an independent RFC 4180
//! reader), JSON equal to `GET /history`, filters, and a large export that
//! streams.

use reqwest::Method;
use serde_json::{Value, json};

use crate::personas::{Persona, World, world};

const FORMULA: &str = "=HYPERLINK(\"http://x\")";

fn python() -> String {
    // `scripts/test` sets TARELLO_PYTHON; otherwise the venv it makes.
    std::env::var("TARELLO_PYTHON").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv/bin/python").to_owned()
    })
}

/// The CSV as Python's `csv` module reads it.
fn python_rows(csv: &[u8]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.csv");
    std::fs::write(&path, csv).unwrap();
    let out = std::process::Command::new(python())
        .args([
            "-c",
            "import csv, json, sys\n\
             with open(sys.argv[1], newline='', encoding='utf-8') as f:\n\
             \x20   print(json.dumps(list(csv.reader(f, strict=True))))",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python csv: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn export(w: &World, who: &Persona, ws: &str, query: &str) -> reqwest::Response {
    w.r.c
        .get(format!(
            "{}/workspaces/{ws}/history/export?{query}",
            w.r.base
        ))
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap()
}

/// Every event of `GET /history?{filter}`, all pages.
async fn history(w: &World, filter: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let (s, p) = w
            .call(
                Method::GET,
                &format!("/workspaces/acme/history?limit=200&{filter}&cursor={cursor}"),
                &w.admin,
                None,
            )
            .await;
        assert_eq!(s, 200, "{p}");
        out.extend(p["items"].as_array().unwrap().iter().cloned());
        match p["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return out,
        }
    }
}

async fn set_plan(w: &World, who: &Persona, ws: &str, plan: &str) {
    let (s, b) = w
        .call(
            Method::PATCH,
            &format!("/workspaces/{ws}"),
            who,
            Some(json!({"plan": plan})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

// proves: AUD-5
#[tokio::test]
async fn admins_export_the_history_as_csv_and_json_on_the_business_plan() {
    let w = world().await;
    let board = w.board("Work", "workspace").await;
    let list = w.list(&board, "Todo").await;
    // A card whose title and request would be formulas in a spreadsheet.
    let res =
        w.r.c
            .post(format!("{}/workspaces/acme/lists/{list}/cards", w.r.base))
            .bearer_auth(&w.member.token)
            .header("user-agent", FORMULA)
            .json(&json!({"title": FORMULA}))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 201);
    let card: Value = res.json().await.unwrap();
    let card_id = card["id"].as_str().unwrap().to_owned();
    let (s, _) = w
        .call(
            Method::POST,
            &format!("/workspaces/acme/cards/{card_id}/comments"),
            &w.member,
            Some(json!({"body": "a, \"quoted\"\nmulti-line comment"})),
        )
        .await;
    assert_eq!(s, 201);

    // Not on the free plan: a problem of its own that names the plan.
    let res = export(&w, &w.admin, "acme", "format=csv").await;
    assert_eq!(res.status(), 403);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["type"], "/problems/plan-required", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("business"), "{p}");
    set_plan(&w, &w.admin, "acme", "pro").await;
    let res = export(&w, &w.admin, "acme", "format=json").await;
    assert_eq!(res.status(), 403);
    set_plan(&w, &w.admin, "acme", "business").await;

    // Admins in person only; other tokens are not for acme.
    for who in [&w.member, &w.observer, &w.machine_read, &w.machine_write] {
        let res = export(&w, who, "acme", "format=csv").await;
        assert_eq!(res.status(), 403);
        let p: Value = res.json().await.unwrap();
        assert_eq!(p["type"], "/problems/forbidden", "{p}");
    }
    for who in [&w.outsider, &w.other] {
        assert_eq!(export(&w, who, "acme", "format=csv").await.status(), 401);
    }
    assert_eq!(
        export(&w, &w.admin, "nowhere", "format=csv").await.status(),
        401
    );

    // CSV, read back by Python's csv module.
    let all = history(&w, "").await;
    let res = export(&w, &w.admin, "acme", "format=csv").await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "text/csv; charset=utf-8");
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"history-acme-20")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert!(h.get("content-length").is_none(), "streamed: {h:?}");
    let bytes = res.bytes().await.unwrap();
    let rows = python_rows(&bytes);
    assert_eq!(
        rows[0],
        [
            "seq",
            "at",
            "actor_kind",
            "actor_id",
            "action",
            "entity_type",
            "entity_id",
            "card_id",
            "board_id",
            "before",
            "after",
            "request_id",
            "client_ip",
            "user_agent"
        ]
    );
    assert_eq!(rows.len(), all.len() + 1);
    for (row, e) in rows[1..].iter().zip(&all) {
        assert_eq!(row.len(), 14, "{row:?}");
        assert_eq!(row[0], e["seq"].as_i64().unwrap().to_string());
        assert!(row[1].ends_with('Z'), "UTC: {}", row[1]);
        let at =
            time::OffsetDateTime::parse(&row[1], &time::format_description::well_known::Rfc3339)
                .unwrap();
        let api_at = time::OffsetDateTime::parse(
            e["at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(at, api_at);
        assert_eq!(row[2], e["actor_kind"].as_str().unwrap());
        assert_eq!(row[3], e["actor_id"].as_str().unwrap_or(""));
        assert_eq!(row[4], e["action"].as_str().unwrap());
        assert_eq!(row[5], e["entity_type"].as_str().unwrap());
        assert_eq!(row[6], e["entity_id"].as_str().unwrap());
        let json_cell = |s: &str| -> Value {
            if s.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(s).unwrap()
            }
        };
        assert_eq!(json_cell(&row[9]), e["before"]);
        assert_eq!(json_cell(&row[10]), e["after"]);
        assert_eq!(row[11], e["request_id"].as_str().unwrap_or(""));
        assert_eq!(row[12], e["client_ip"].as_str().unwrap_or(""));
    }
    let insert = rows
        .iter()
        .find(|r| r[5] == "card" && r[4] == "insert" && r[6] == card_id)
        .unwrap();
    // A cell that starts like a formula opens as text. (The stored user
    // agent has its quotes replaced; it still starts with `=`.)
    let stored = all
        .iter()
        .find(|e| e["seq"].as_i64().unwrap().to_string() == insert[0])
        .unwrap()["user_agent"]
        .as_str()
        .unwrap();
    assert!(stored.starts_with("=HYPERLINK("), "{stored}");
    assert_eq!(insert[13], format!("'{stored}"));
    // Inside the JSON cell the title is data, unchanged.
    let after: Value = serde_json::from_str(&insert[10]).unwrap();
    assert_eq!(after["title"], FORMULA);
    let comment = rows.iter().find(|r| r[5] == "comment").unwrap();
    let after: Value = serde_json::from_str(&comment[10]).unwrap();
    assert_eq!(after["body"], "a, \"quoted\"\nmulti-line comment");

    // JSON: the same events as GET /history.
    let res = export(&w, &w.admin, "acme", "format=json").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with(".json\"")
    );
    let exported: Vec<Value> = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap();
    assert_eq!(exported, all);

    // Filters, as GET /history applies them.
    for filter in [
        "entity_type=card&action=insert".to_owned(),
        format!("entity_id={card_id}"),
        format!("actor_id={}", w.member.id),
        "since=2000-01-01T00:00:00Z&until=2001-01-01T00:00:00Z".to_owned(),
    ] {
        let res = export(&w, &w.admin, "acme", &format!("format=json&{filter}")).await;
        assert_eq!(res.status(), 200, "{filter}");
        let got: Vec<Value> = res.json().await.unwrap();
        assert_eq!(got, history(&w, &filter).await, "{filter}");
    }
    let res = export(&w, &w.admin, "acme", "format=csv&entity_type=comment").await;
    let rows = python_rows(&res.bytes().await.unwrap());
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (bad, status) in [
        (
            "format=csv&since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
            422,
        ),
        ("format=csv&since=yesterday", 400),
        ("format=csv&entity_id=42", 400),
        ("format=csv&entity_type=", 422),
        ("format=xml", 400),
        ("", 400),
        ("format=csv&cursor=x", 400),
    ] {
        let res = export(&w, &w.admin, "acme", bad).await;
        assert_eq!(res.status().as_u16(), status, "{bad}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{bad}"
        );
    }

    // Another workspace's export is its own.
    set_plan(&w, &w.other, "other", "business").await;
    let res = export(&w, &w.other, "other", "format=json").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(!text.contains(&card_id));
}

// proves: AUD-5
#[tokio::test]
async fn a_large_export_streams_every_row_in_chunks() {
    let w = world().await;
    set_plan(&w, &w.admin, "acme", "business").await;
    let mut su = w.r.tdb.superuser().await;
    let schema = crate::flows::schema_of(&mut su, "acme").await;
    // Raw SQL needs an actor like every change (the history records it).
    sqlx::query("BEGIN").execute(&mut su).await.unwrap();
    sqlx::query("SET LOCAL tarello.actor_kind = 'system'")
        .execute(&mut su)
        .await
        .unwrap();
    sqlx::query(&format!(
        "INSERT INTO {schema}.tag (tag_id, name, created_at) \
         SELECT gen_random_uuid(), 'bulk ' || n, now() FROM generate_series(1, 20000) n"
    ))
    .execute(&mut su)
    .await
    .unwrap();
    sqlx::query("COMMIT").execute(&mut su).await.unwrap();
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {schema}.history"))
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert!(total >= 20_000);

    let mut res = export(&w, &w.admin, "acme", "format=csv").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("content-length").is_none());
    assert_eq!(res.headers()["transfer-encoding"], "chunked");
    let mut body = Vec::new();
    let mut chunks = 0;
    while let Some(c) = res.chunk().await.unwrap() {
        chunks += 1;
        body.extend_from_slice(&c);
    }
    assert!(chunks > 1, "{chunks} chunks");
    let rows = python_rows(&body);
    assert_eq!(rows.len() as i64, total + 1);
    let tags = rows[1..]
        .iter()
        .filter(|r| r[5] == "tag" && r[2] == "system")
        .count();
    assert_eq!(tags, 20_000);
    // Sequence order, no row twice.
    let seqs: Vec<i64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(seqs.windows(2).all(|p| p[0] < p[1]));

    let res = export(&w, &w.admin, "acme", "format=json").await;
    let events: Vec<Value> = res.json().await.unwrap();
    assert_eq!(events.len() as i64, total);
}

// proves: AUD-5
#[tokio::test]
async fn two_exports_run_at_once_and_a_third_is_told_to_come_back() {
    let w = world().await;
    set_plan(&w, &w.admin, "acme", "business").await;
    let mut su = w.r.tdb.superuser().await;
    let schema = crate::flows::schema_of(&mut su, "acme").await;
    // Far more than the socket buffers hold, so an unread export stays open.
    sqlx::raw_sql(&format!(
        "BEGIN; SET LOCAL tarello.actor_kind = 'system'; \
         INSERT INTO {schema}.tag (tag_id, name, created_at) \
         SELECT gen_random_uuid(), 'bulk ' || n || repeat('x', 40), now() FROM generate_series(1, 60000) n; \
         COMMIT"
    ))
    .execute(&mut su)
    .await
    .unwrap();
    let a = export(&w, &w.admin, "acme", "format=json").await;
    let b = export(&w, &w.admin, "acme", "format=json").await;
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let c = export(&w, &w.admin, "acme", "format=csv").await;
    assert_eq!(c.status(), 429);
    assert!(c.headers().contains_key("retry-after"));
    // Dropping the unread downloads ends them, and their places free up.
    drop((a, b));
    let t0 = std::time::Instant::now();
    let deadline = t0 + std::time::Duration::from_secs(30);
    loop {
        let d = export(&w, &w.admin, "acme", "format=csv").await;
        if d.status() == 200 {
            eprintln!("export places freed after {:?}", t0.elapsed());
            break;
        }
        assert_eq!(d.status(), 429);
        assert!(
            std::time::Instant::now() < deadline,
            "export places never freed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
