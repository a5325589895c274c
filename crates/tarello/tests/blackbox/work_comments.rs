//! Comments end to end: authors edit their own (admins delete any),
//! observers and read-only tokens never write, hidden cards answer 404,
//! pages follow a cursor bound to the workspace, bad bodies are 422.

use reqwest::Method;
use serde_json::{Value, json};

use crate::personas::{Persona, World, world};

/// A card on a board of `visibility`; returns the card's id.
async fn card_on(w: &World, visibility: &str) -> String {
    let board = w.board("Work", visibility).await;
    let list = w.list(&board, "Todo").await;
    w.card(&list, "a card").await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn comment(w: &World, card: &str, who: &Persona, body: &str) -> Value {
    let (s, c) = w
        .call(
            Method::POST,
            &format!("/workspaces/acme/cards/{card}/comments"),
            who,
            Some(json!({ "body": body })),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    c
}

/// The bodies on a card, in order, as the admin sees them.
async fn bodies(w: &World, card: &str) -> Vec<String> {
    let (s, page) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/cards/{card}/comments"),
            &w.admin,
            None,
        )
        .await;
    assert_eq!(s, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap().to_owned())
        .collect()
}

// proves: RBAC-1
#[tokio::test]
async fn authors_edit_their_own_comments_and_admins_delete_any() {
    let w = world().await;
    let card = card_on(&w, "workspace").await;
    let mine = comment(&w, &card, &w.member, "member's words").await;
    assert_eq!(mine["author_id"], json!(w.member.id));
    assert!(mine["updated_at"].is_null());
    let admins = comment(&w, &card, &w.admin, "admin's words").await;
    let bot = comment(&w, &card, &w.machine_write, "bot's words").await;
    assert_eq!(bot["author_id"], json!(w.machine_write.id));
    let mine_path = format!("/workspaces/acme/comments/{}", mine["id"].as_str().unwrap());
    let admins_path = format!(
        "/workspaces/acme/comments/{}",
        admins["id"].as_str().unwrap()
    );
    let edit = Some(json!({"body": "rewritten"}));

    // Observers and read-only tokens write nothing, not even a new comment.
    for who in [&w.observer, &w.machine_read] {
        for (m, p, body) in [
            (
                Method::POST,
                format!("/workspaces/acme/cards/{card}/comments"),
                edit.clone(),
            ),
            (Method::PATCH, mine_path.clone(), edit.clone()),
            (Method::DELETE, mine_path.clone(), None),
            (Method::PATCH, admins_path.clone(), edit.clone()),
            (Method::DELETE, admins_path.clone(), None),
        ] {
            let (s, p2) = w.call(m.clone(), &p, who, body).await;
            assert_eq!(s, 403, "{m} {p} {p2}");
        }
    }
    // Another member's comment, or the admin's: seen, so 403, not 404.
    for (who, path) in [
        (&w.member, &admins_path),
        (&w.machine_write, &mine_path),
        // Admins too edit only their own words.
        (&w.admin, &mine_path),
    ] {
        let (s, p) = w.call(Method::PATCH, path, who, edit.clone()).await;
        assert_eq!(s, 403, "{path} {p}");
        assert!(p["detail"].as_str().unwrap().contains("author"), "{p}");
    }
    for (who, path) in [(&w.member, &admins_path), (&w.machine_write, &mine_path)] {
        let (s, _) = w.call(Method::DELETE, path, who, None).await;
        assert_eq!(s, 403, "{path}");
    }
    assert_eq!(
        bodies(&w, &card).await,
        ["member's words", "admin's words", "bot's words"]
    );

    // The author edits; the admin deletes someone else's.
    let (s, edited) = w
        .call(Method::PATCH, &mine_path, &w.member, edit.clone())
        .await;
    assert_eq!(s, 200, "{edited}");
    assert_eq!(edited["body"], "rewritten");
    assert!(edited["updated_at"].is_string());
    let bot_path = format!("/workspaces/acme/comments/{}", bot["id"].as_str().unwrap());
    let (s, _) = w.call(Method::DELETE, &bot_path, &w.admin, None).await;
    assert_eq!(s, 204);
    let (s, _) = w.call(Method::DELETE, &admins_path, &w.admin, None).await;
    assert_eq!(s, 204);
    assert_eq!(bodies(&w, &card).await, ["rewritten"]);
    let (s, _) = w.call(Method::DELETE, &mine_path, &w.member, None).await;
    assert_eq!(s, 204);
    let (s, _) = w.call(Method::DELETE, &mine_path, &w.member, None).await;
    assert_eq!(s, 404);
    assert!(bodies(&w, &card).await.is_empty());
}

// proves: RBAC-2
#[tokio::test]
async fn comments_on_hidden_cards_never_leave_the_database() {
    let w = world().await;
    let card = card_on(&w, "private").await;
    let c = comment(&w, &card, &w.admin, "payroll secret").await;
    let path = format!("/workspaces/acme/comments/{}", c["id"].as_str().unwrap());
    let list = format!("/workspaces/acme/cards/{card}/comments");
    // Not on the private board: every route answers 404, whatever the role.
    for who in [&w.member, &w.observer, &w.machine_read, &w.machine_write] {
        for (m, p, body) in [
            (Method::GET, list.clone(), None),
            (Method::POST, list.clone(), Some(json!({"body": "x"}))),
            (Method::PATCH, path.clone(), Some(json!({"body": "x"}))),
            (Method::DELETE, path.clone(), None),
        ] {
            let (s, p2) = w.call(m.clone(), &p, who, body).await;
            assert_eq!(s, 404, "{m} {p}");
            assert!(!p2.to_string().contains("payroll"));
        }
    }
    // Another workspace's admin, with the ids in its own workspace's paths.
    for (m, p) in [
        (Method::GET, list.replace("/acme/", "/other/")),
        (Method::DELETE, path.replace("/acme/", "/other/")),
    ] {
        let (s, _) = w.call(m.clone(), &p, &w.other, None).await;
        assert_eq!(s, 404, "{m} {p}");
    }
    assert_eq!(bodies(&w, &card).await, ["payroll secret"]);

    // Made a board member, the member reads it at once.
    let (s, _) = w
        .call(
            Method::PUT,
            &format!(
                "/workspaces/acme/boards/{}/members/{}",
                board_of(&w, &card).await,
                w.member.id
            ),
            &w.admin,
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, page) = w.call(Method::GET, &list, &w.member, None).await;
    assert_eq!(s, 200);
    assert_eq!(page["items"][0]["body"], "payroll secret");
}

async fn board_of(w: &World, card: &str) -> String {
    let (_, c) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/cards/{card}"),
            &w.admin,
            None,
        )
        .await;
    c["board_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn comment_pages_follow_a_cursor_of_their_own_workspace() {
    let w = world().await;
    let card = card_on(&w, "workspace").await;
    for i in 0..5 {
        comment(&w, &card, &w.member, &format!("c{i}")).await;
    }
    let base = format!("/workspaces/acme/cards/{card}/comments");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let path = match &cursor {
            Some(c) => format!("{base}?limit=2&cursor={c}"),
            None => format!("{base}?limit=2"),
        };
        let (s, page) = w.call(Method::GET, &path, &w.observer, None).await;
        assert_eq!(s, 200, "{page}");
        for c in page["items"].as_array().unwrap() {
            seen.push(c["body"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["c0", "c1", "c2", "c3", "c4"]);

    // A cursor made in another workspace is refused, not applied.
    for name in ["one", "two"] {
        let (s, b) = w
            .call(
                Method::POST,
                "/workspaces/other/tags",
                &w.other,
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let (s, page) = w
        .call(
            Method::GET,
            "/workspaces/other/tags?limit=1",
            &w.other,
            None,
        )
        .await;
    assert_eq!(s, 200);
    let foreign = page["next_cursor"].as_str().unwrap();
    let (s, p) = w
        .call(
            Method::GET,
            &format!("{base}?cursor={foreign}"),
            &w.member,
            None,
        )
        .await;
    assert_eq!(s, 400, "{p}");
    assert!(p.to_string().contains("cursor"), "{p}");
    for q in ["limit=0", "limit=201", "cursor=%21%21", "limit=x"] {
        let (s, _) = w
            .call(Method::GET, &format!("{base}?{q}"), &w.member, None)
            .await;
        assert!(s == 400 || s == 422, "{q}: {s}");
    }
}

#[tokio::test]
async fn bad_comment_bodies_are_422_naming_the_field_and_write_nothing() {
    let w = world().await;
    let card = card_on(&w, "workspace").await;
    let c = comment(&w, &card, &w.member, "kept").await;
    let path = format!("/workspaces/acme/comments/{}", c["id"].as_str().unwrap());
    let list = format!("/workspaces/acme/cards/{card}/comments");
    for (body, field) in [
        (json!({"body": ""}), "body"),
        (json!({"body": "  \n "}), "body"),
        (json!({"body": "x".repeat(10_001)}), "body"),
        (json!({"body": "bell \u{7}"}), "body"),
        (json!({"body": 5}), "body"),
        (json!({}), "body"),
        (json!({"body": "ok", "author_id": w.admin.id}), "author_id"),
    ] {
        for (m, p) in [(Method::POST, &list), (Method::PATCH, &path)] {
            let (s, problem) = w.call(m.clone(), p, &w.member, Some(body.clone())).await;
            assert_eq!(s, 422, "{m} {body} -> {problem}");
            assert!(problem.to_string().contains(field), "{body} -> {problem}");
        }
    }
    // Multi-line text and 10,000 characters are fine.
    let (s, _) = w
        .call(
            Method::PATCH,
            &path,
            &w.member,
            Some(json!({"body": "line 1\nline 2"})),
        )
        .await;
    assert_eq!(s, 200);
    comment(&w, &card, &w.member, &"y".repeat(10_000)).await;
    let now = bodies(&w, &card).await;
    assert_eq!(now.len(), 2);
    assert_eq!(now[0], "line 1\nline 2");
    // Ids that are not UUIDs, or unknown, are 404.
    let unknown = uuid::Uuid::now_v7();
    for (m, p) in [
        (
            Method::PATCH,
            "/workspaces/acme/comments/not-a-uuid".to_owned(),
        ),
        (
            Method::PATCH,
            format!("/workspaces/acme/comments/{unknown}"),
        ),
        (
            Method::DELETE,
            format!("/workspaces/acme/comments/{unknown}"),
        ),
        (
            Method::GET,
            format!("/workspaces/acme/cards/{unknown}/comments"),
        ),
        (
            Method::POST,
            format!("/workspaces/acme/cards/{unknown}/comments"),
        ),
    ] {
        let (s, _) = w
            .call(m.clone(), &p, &w.member, Some(json!({"body": "x"})))
            .await;
        assert_eq!(s, 404, "{m} {p}");
    }
}
