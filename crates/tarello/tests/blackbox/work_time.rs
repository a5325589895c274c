//! Time entries end to end: authors edit their own (admins delete any),
//! observers and read-only tokens never write, hidden cards answer 404,
//! pages follow a cursor bound to the workspace, bad fields are 422.

use reqwest::Method;
use serde_json::{Value, json};

use crate::personas::{Persona, World, world};

async fn card_on(w: &World, visibility: &str) -> String {
    let board = w.board("Work", visibility).await;
    let list = w.list(&board, "Todo").await;
    w.card(&list, "a card").await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn log_time(w: &World, card: &str, who: &Persona, minutes: i64) -> Value {
    let (s, t) = w
        .call(
            Method::POST,
            &format!("/workspaces/acme/cards/{card}/time-entries"),
            who,
            Some(json!({"minutes": minutes, "spent_on": "2026-03-02"})),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    t
}

/// The minutes on a card, in order, as the admin sees them.
async fn minutes(w: &World, card: &str) -> Vec<i64> {
    let (s, page) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/cards/{card}/time-entries?limit=200"),
            &w.admin,
            None,
        )
        .await;
    assert_eq!(s, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["minutes"].as_i64().unwrap())
        .collect()
}

fn path_of(t: &Value) -> String {
    format!(
        "/workspaces/acme/time-entries/{}",
        t["id"].as_str().unwrap()
    )
}

// proves: RBAC-1
#[tokio::test]
async fn authors_edit_their_own_time_and_admins_delete_any() {
    let w = world().await;
    let card = card_on(&w, "workspace").await;
    let (s, mine) = w
        .call(
            Method::POST,
            &format!("/workspaces/acme/cards/{card}/time-entries"),
            &w.member,
            Some(
                json!({"minutes": 90, "spent_on": "2026-03-02", "note": "review",
                        "billable_rate_cents": 12_000}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{mine}");
    assert_eq!(mine["author_id"], json!(w.member.id));
    assert_eq!(mine["spent_on"], "2026-03-02");
    assert_eq!(mine["note"], "review");
    assert_eq!(mine["billable_rate_cents"], 12_000);
    let admins = log_time(&w, &card, &w.admin, 30).await;
    let bots = log_time(&w, &card, &w.machine_write, 15).await;
    let (mine_path, admins_path, bots_path) = (path_of(&mine), path_of(&admins), path_of(&bots));
    let edit = Some(json!({"minutes": 1}));

    for who in [&w.observer, &w.machine_read] {
        for (m, p, body) in [
            (
                Method::POST,
                format!("/workspaces/acme/cards/{card}/time-entries"),
                Some(json!({"minutes": 5, "spent_on": "2026-03-02"})),
            ),
            (Method::PATCH, mine_path.clone(), edit.clone()),
            (Method::DELETE, mine_path.clone(), None),
            (Method::PATCH, admins_path.clone(), edit.clone()),
            (Method::DELETE, admins_path.clone(), None),
        ] {
            let (s, _) = w.call(m.clone(), &p, who, body).await;
            assert_eq!(s, 403, "{m} {p}");
        }
    }
    for (who, path) in [
        (&w.member, &admins_path),
        (&w.machine_write, &mine_path),
        (&w.admin, &mine_path),
    ] {
        let (s, p) = w.call(Method::PATCH, path, who, edit.clone()).await;
        assert_eq!(s, 403, "{path} {p}");
    }
    for (who, path) in [(&w.member, &admins_path), (&w.member, &bots_path)] {
        let (s, _) = w.call(Method::DELETE, path, who, None).await;
        assert_eq!(s, 403, "{path}");
    }
    assert_eq!(minutes(&w, &card).await, [90, 30, 15]);

    // The author edits (a null rate clears it); the admin deletes any.
    let (s, t) = w
        .call(
            Method::PATCH,
            &mine_path,
            &w.member,
            Some(json!({"minutes": 120, "spent_on": "2026-03-03", "billable_rate_cents": null})),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["minutes"], 120);
    assert_eq!(t["spent_on"], "2026-03-03");
    assert_eq!(t["note"], "review");
    assert!(t["billable_rate_cents"].is_null());
    assert!(t["updated_at"].is_string());
    let (s, _) = w.call(Method::DELETE, &bots_path, &w.admin, None).await;
    assert_eq!(s, 204);
    let (s, _) = w.call(Method::DELETE, &mine_path, &w.admin, None).await;
    assert_eq!(s, 204);
    assert_eq!(minutes(&w, &card).await, [30]);
    let (s, _) = w.call(Method::DELETE, &admins_path, &w.admin, None).await;
    assert_eq!(s, 204);
    let (s, _) = w.call(Method::DELETE, &admins_path, &w.admin, None).await;
    assert_eq!(s, 404);
}

// proves: RBAC-2
#[tokio::test]
async fn time_on_hidden_cards_never_leaves_the_database() {
    let w = world().await;
    let card = card_on(&w, "private").await;
    let t = log_time(&w, &card, &w.admin, 480).await;
    let path = path_of(&t);
    let list = format!("/workspaces/acme/cards/{card}/time-entries");
    for who in [&w.member, &w.observer, &w.machine_read, &w.machine_write] {
        for (m, p, body) in [
            (Method::GET, list.clone(), None),
            (
                Method::POST,
                list.clone(),
                Some(json!({"minutes": 5, "spent_on": "2026-03-02"})),
            ),
            (Method::PATCH, path.clone(), Some(json!({"minutes": 5}))),
            (Method::DELETE, path.clone(), None),
        ] {
            let (s, b) = w.call(m.clone(), &p, who, body).await;
            assert_eq!(s, 404, "{m} {p}");
            assert!(!b.to_string().contains("480"));
        }
    }
    for (m, p) in [
        (Method::GET, list.replace("/acme/", "/other/")),
        (Method::DELETE, path.replace("/acme/", "/other/")),
    ] {
        let (s, _) = w.call(m.clone(), &p, &w.other, None).await;
        assert_eq!(s, 404, "{m} {p}");
    }
    assert_eq!(minutes(&w, &card).await, [480]);
}

#[tokio::test]
async fn bad_time_entries_are_422_naming_the_field_and_pages_use_cursors() {
    let w = world().await;
    let card = card_on(&w, "workspace").await;
    let list = format!("/workspaces/acme/cards/{card}/time-entries");
    let kept = log_time(&w, &card, &w.member, 60).await;
    let path = path_of(&kept);
    let ok = json!({"minutes": 60, "spent_on": "2026-03-02"});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let bad = [
        (with("minutes", json!(0)), "minutes"),
        (with("minutes", json!(1441)), "minutes"),
        (with("minutes", json!(-5)), "minutes"),
        (with("minutes", json!(1.5)), "minutes"),
        (with("minutes", json!(10_000_000_000_i64)), "minutes"),
        (with("spent_on", json!("2026-02-30")), "spent_on"),
        (with("spent_on", json!("tomorrow")), "spent_on"),
        (with("spent_on", json!("02/03/2026")), "spent_on"),
        (with("note", json!("n".repeat(1001))), "note"),
        (with("note", json!("nul \u{0}")), "note"),
        (
            with("billable_rate_cents", json!(-1)),
            "billable_rate_cents",
        ),
        (
            with("billable_rate_cents", json!(100_000_001)),
            "billable_rate_cents",
        ),
        (with("author_id", json!(w.admin.id)), "author_id"),
        (json!({"spent_on": "2026-03-02"}), "minutes"),
    ];
    for (body, field) in &bad {
        let (s, p) = w
            .call(Method::POST, &list, &w.member, Some(body.clone()))
            .await;
        assert_eq!(s, 422, "{body} -> {p}");
        assert!(p.to_string().contains(field), "{body} -> {p}");
    }
    // The same checks on an edit, which changes nothing.
    for (body, field) in [
        (json!({"minutes": 0}), "minutes"),
        (json!({"minutes": 1441}), "minutes"),
        (json!({"spent_on": "2026-13-01"}), "spent_on"),
        (json!({"note": "n".repeat(1001)}), "note"),
        (json!({"billable_rate_cents": -1}), "billable_rate_cents"),
        (json!({"card_id": card}), "card_id"),
    ] {
        let (s, p) = w
            .call(Method::PATCH, &path, &w.member, Some(body.clone()))
            .await;
        assert_eq!(s, 422, "{body} -> {p}");
        assert!(p.to_string().contains(field), "{body} -> {p}");
    }
    assert_eq!(minutes(&w, &card).await, [60]);
    // The bounds themselves are accepted.
    for (m, rate) in [(1, 0), (1440, 100_000_000)] {
        let (s, t) = w
            .call(
                Method::POST,
                &list,
                &w.member,
                Some(
                    json!({"minutes": m, "spent_on": "2026-03-02", "billable_rate_cents": rate,
                            "note": "n".repeat(1000)}),
                ),
            )
            .await;
        assert_eq!(s, 201, "{t}");
    }

    // Pages of two, in order, then a foreign cursor is 400.
    let mut seen = Vec::new();
    let mut next = format!("{list}?limit=2");
    loop {
        let (s, page) = w.call(Method::GET, &next, &w.observer, None).await;
        assert_eq!(s, 200, "{page}");
        for t in page["items"].as_array().unwrap() {
            seen.push(t["minutes"].as_i64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(c) => next = format!("{list}?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, [60, 1, 1440]);
    let other_board = {
        let (s, b) = w
            .call(
                Method::POST,
                "/workspaces/other/boards",
                &w.other,
                Some(json!({"name": "theirs"})),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        let (s, b) = w
            .call(
                Method::POST,
                "/workspaces/other/boards",
                &w.other,
                Some(json!({"name": "theirs too"})),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        let (_, page) = w
            .call(
                Method::GET,
                "/workspaces/other/boards?limit=1",
                &w.other,
                None,
            )
            .await;
        page["next_cursor"].as_str().unwrap().to_owned()
    };
    let (s, p) = w
        .call(
            Method::GET,
            &format!("{list}?cursor={other_board}"),
            &w.member,
            None,
        )
        .await;
    assert_eq!(s, 400, "{p}");
    assert!(p.to_string().contains("cursor"));
}
