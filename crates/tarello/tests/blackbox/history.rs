//! The change history through HTTP: what a member's changes leave behind,
//! who may read it, filters and cursors.

use reqwest::Method;
use serde_json::{Value, json};

use crate::personas::world;

// proves: AUD-1, AUD-2, AUD-5
#[tokio::test]
async fn a_members_changes_are_in_the_history_with_actor_request_and_fields() {
    let w = world().await;
    let board = w.board("Work", "workspace").await;
    let list = w.list(&board, "Todo").await;
    let (s, card) = w
        .call(
            Method::POST,
            &format!("/workspaces/acme/lists/{list}/cards"),
            &w.member,
            Some(json!({"title": "Draft"})),
        )
        .await;
    assert_eq!(s, 201);
    let card_id = card["id"].as_str().unwrap().to_owned();
    let res =
        w.r.c
            .patch(format!("{}/workspaces/acme/cards/{card_id}", w.r.base))
            .bearer_auth(&w.member.token)
            .header("user-agent", "history-test/1.0")
            .json(&json!({"version": 1, "title": "Final"}))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 200);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let (_, tag) = w
        .call(
            Method::POST,
            "/workspaces/acme/tags",
            &w.member,
            Some(json!({"name": "urgent"})),
        )
        .await;
    let tag_id = tag["id"].as_str().unwrap();
    let (s, _) = w
        .call(
            Method::PUT,
            &format!("/workspaces/acme/cards/{card_id}/tags/{tag_id}"),
            &w.member,
            None,
        )
        .await;
    assert_eq!(s, 204);

    let q = format!("/workspaces/acme/history?entity_type=card&entity_id={card_id}");
    let (s, page) = w.call(Method::GET, &q, &w.admin, None).await;
    assert_eq!(s, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["insert", "update", "card.tag.add"], "{page}");
    for e in items {
        assert_eq!(e["actor_kind"], "user");
        assert_eq!(e["actor_id"], json!(w.member.id));
        assert_eq!(e["card_id"], json!(card_id));
    }
    assert_eq!(items[0]["board_id"], json!(board));
    let update = &items[1];
    assert_eq!(update["before"]["title"], "Draft");
    assert_eq!(update["after"]["title"], "Final");
    assert_eq!(update["request_id"], json!(request_id));
    assert_eq!(update["user_agent"], "history-test/1.0");
    assert!(update["client_ip"].as_str().unwrap().starts_with("127."));
    assert_eq!(items[2]["after"]["tag_id"], json!(tag_id));

    // Filters, cursors, and who may read.
    let (_, only_tags) = w
        .call(
            Method::GET,
            "/workspaces/acme/history?action=card.tag.add",
            &w.admin,
            None,
        )
        .await;
    assert_eq!(only_tags["items"].as_array().unwrap().len(), 1);
    w.pages_by_seq_with_a_workspace_bound_cursor("history")
        .await;
    for (bad, status) in [
        ("since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", 422),
        ("since=yesterday", 400),
        ("entity_id=42", 400),
        ("limit=0", 422),
        ("colour=red", 400),
    ] {
        let (s, p) = w
            .call(
                Method::GET,
                &format!("/workspaces/acme/history?{bad}"),
                &w.admin,
                None,
            )
            .await;
        assert_eq!(s, status, "{bad}: {p}");
    }
    for who in [&w.member, &w.observer, &w.machine_write] {
        let (s, _) = w
            .call(Method::GET, "/workspaces/acme/history", who, None)
            .await;
        assert_eq!(s, 403);
    }
    let other: Value = w
        .call(Method::GET, "/workspaces/other/history", &w.other, None)
        .await
        .1;
    assert!(
        !other.to_string().contains(&card_id),
        "another workspace's history is its own"
    );
}
