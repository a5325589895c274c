//! A card's activity feed through HTTP: what it shows to whoever sees the
//! card, what it keeps for admins, who may read it, and its cursors.

use reqwest::Method;
use serde_json::{Value, json};

use crate::personas::world;

fn actions(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["entity_type"].as_str().unwrap(),
                e["action"].as_str().unwrap()
            )
        })
        .collect()
}

// proves: AUD-5
#[tokio::test]
async fn whoever_sees_a_card_reads_its_activity_newest_first_without_request_details() {
    let w = world().await;
    let board = w.board("Work", "workspace").await;
    let list = w.list(&board, "Todo").await;
    let card = w.card(&list, "Draft").await;
    let id = card["id"].as_str().unwrap().to_owned();
    let ok = |s: u16, b: &Value| assert!((200..300).contains(&s), "{s} {b}");

    // The member works on the card (one request with a telling user agent).
    let res =
        w.r.c
            .patch(format!("{}/workspaces/acme/cards/{id}", w.r.base))
            .bearer_auth(&w.member.token)
            .header("user-agent", "feed-secret-agent/1.0")
            .json(&json!({"version": 1, "title": "Final"}))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 200);
    let (s, tag) = w
        .call(
            Method::POST,
            "/workspaces/acme/tags",
            &w.member,
            Some(json!({"name": "urgent"})),
        )
        .await;
    ok(s, &tag);
    let tag_id = tag["id"].as_str().unwrap();
    let viewer = &w.observer.id;
    for (method, path, body) in [
        (Method::PUT, format!("cards/{id}/tags/{tag_id}"), None),
        (Method::DELETE, format!("cards/{id}/tags/{tag_id}"), None),
        (Method::PUT, format!("cards/{id}/viewers/{viewer}"), None),
        (Method::DELETE, format!("cards/{id}/viewers/{viewer}"), None),
        (
            Method::POST,
            format!("cards/{id}/comments"),
            Some(json!({"body": "looks good"})),
        ),
        (
            Method::POST,
            format!("cards/{id}/time-entries"),
            Some(json!({"minutes": 30, "spent_on": "2026-11-20"})),
        ),
    ] {
        let (s, b) = w
            .call(method, &format!("/workspaces/acme/{path}"), &w.member, body)
            .await;
        ok(s, &b);
    }

    let feed = format!("/workspaces/acme/cards/{id}/activity");
    let (s, page) = w.call(Method::GET, &feed, &w.observer, None).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(
        actions(&page),
        [
            "time_entry insert",
            "comment insert",
            "card card.viewer.remove",
            "card card.viewer.add",
            "card card.tag.remove",
            "card card.tag.add",
            "card update",
            "card insert",
        ],
        "{page}"
    );
    assert_eq!(page["next_cursor"], Value::Null);
    let items = page["items"].as_array().unwrap();
    for e in &items[..7] {
        assert_eq!(e["actor_kind"], "user");
        assert_eq!(e["actor_id"], json!(w.member.id));
        for admin_only in ["request_id", "client_ip", "user_agent"] {
            assert!(e.get(admin_only).is_none(), "{admin_only} in {e}");
        }
    }
    assert_eq!(items[7]["actor_id"], json!(w.admin.id));
    assert_eq!(items[6]["before"]["title"], "Draft");
    assert_eq!(items[6]["after"]["title"], "Final");
    assert_eq!(items[5]["after"]["tag_id"], json!(tag_id));
    assert_eq!(items[1]["after"]["body"], "looks good");
    assert!(!page.to_string().contains("feed-secret-agent"));
    // The admin's history has it: the feed leaves it out on purpose.
    let (_, full) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/history?entity_id={id}&action=update"),
            &w.admin,
            None,
        )
        .await;
    assert_eq!(full["items"][0]["user_agent"], "feed-secret-agent/1.0");

    // Machine tokens that may read, read it too.
    let (s, _) = w.call(Method::GET, &feed, &w.machine_read, None).await;
    assert_eq!(s, 200);

    // Pages of 3, newest first, the same events as one page.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("{feed}?limit=3&cursor={c}"),
            None => format!("{feed}?limit=3"),
        };
        let (s, p) = w.call(Method::GET, &q, &w.observer, None).await;
        assert_eq!(s, 200, "{p}");
        seen.extend(
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_i64().unwrap()),
        );
        match p["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let all: Vec<i64> = items.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seen, all);
    let (_, first) = w
        .call(Method::GET, &format!("{feed}?limit=3"), &w.observer, None)
        .await;
    let acme_cursor = first["next_cursor"].as_str().unwrap().to_owned();
    for (bad, status) in [("limit=0", 422), ("limit=201", 422), ("cursor=!!", 400)] {
        let (s, p) = w
            .call(Method::GET, &format!("{feed}?{bad}"), &w.observer, None)
            .await;
        assert_eq!(s, status, "{bad}: {p}");
    }

    // A card on a private board the observer is not on: 404, as the card.
    let secret_board = w.board("Secret", "private").await;
    let secret_list = w.list(&secret_board, "Todo").await;
    let secret = w.card(&secret_list, "Hidden").await;
    let secret_id = secret["id"].as_str().unwrap();
    for who in [&w.observer, &w.member, &w.machine_read] {
        let (s, _) = w
            .call(
                Method::GET,
                &format!("/workspaces/acme/cards/{secret_id}"),
                who,
                None,
            )
            .await;
        assert_eq!(s, 404);
        let (s, p) = w
            .call(
                Method::GET,
                &format!("/workspaces/acme/cards/{secret_id}/activity"),
                who,
                None,
            )
            .await;
        assert_eq!(s, 404, "{p}");
    }
    let (s, p) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/cards/{secret_id}/activity"),
            &w.admin,
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(actions(&p), ["card insert"]);

    // A card of another workspace is not there; a cursor of acme is not
    // another workspace's.
    let (s, b) = w
        .call(
            Method::POST,
            "/workspaces/other/boards",
            &w.other,
            Some(json!({"name": "Theirs", "visibility": "workspace"})),
        )
        .await;
    ok(s, &b);
    let (s, l) = w
        .call(
            Method::POST,
            &format!(
                "/workspaces/other/boards/{}/lists",
                b["id"].as_str().unwrap()
            ),
            &w.other,
            Some(json!({"name": "L"})),
        )
        .await;
    ok(s, &l);
    let (s, c) = w
        .call(
            Method::POST,
            &format!(
                "/workspaces/other/lists/{}/cards",
                l["id"].as_str().unwrap()
            ),
            &w.other,
            Some(json!({"title": "Theirs"})),
        )
        .await;
    ok(s, &c);
    let theirs = c["id"].as_str().unwrap();
    let (s, _) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/cards/{theirs}/activity"),
            &w.admin,
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, p) = w
        .call(
            Method::GET,
            &format!("/workspaces/other/cards/{theirs}/activity?cursor={acme_cursor}"),
            &w.other,
            None,
        )
        .await;
    assert_eq!(s, 400, "a cursor from another workspace: {p}");
    let (s, _) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/cards/{id}/activity"),
            &w.outsider,
            None,
        )
        .await;
    assert_eq!(s, 401);
}
