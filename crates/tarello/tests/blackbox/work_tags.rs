//! Tags, tags on cards and card viewers end to end: members tag and follow,
//! observers and read-only tokens never do, names are unique ignoring case,
//! ids of another workspace or of hidden cards answer 404.

use reqwest::Method;
use serde_json::{Value, json};

use crate::personas::{World, world};

async fn card_on(w: &World, visibility: &str) -> String {
    let board = w.board("Work", visibility).await;
    let list = w.list(&board, "Todo").await;
    w.card(&list, "a card").await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn card_view(w: &World, card: &str) -> Value {
    let (s, c) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/cards/{card}"),
            &w.admin,
            None,
        )
        .await;
    assert_eq!(s, 200, "{c}");
    c
}

async fn tag(w: &World, ws: &str, name: &str) -> String {
    let who = if ws == "acme" { &w.member } else { &w.other };
    let (s, t) = w
        .call(
            Method::POST,
            &format!("/workspaces/{ws}/tags"),
            who,
            Some(json!({ "name": name })),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    t["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn members_tag_cards_and_names_are_unique_ignoring_case() {
    let w = world().await;
    let card = card_on(&w, "workspace").await;
    let (s, t) = w
        .call(
            Method::POST,
            "/workspaces/acme/tags",
            &w.member,
            Some(json!({"name": " Urgent ", "color": "#d73a4a"})),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["name"], "Urgent");
    assert_eq!(t["color"], "#d73a4a");
    let urgent = t["id"].as_str().unwrap().to_owned();
    let (s, t) = w
        .call(
            Method::POST,
            "/workspaces/acme/tags",
            &w.machine_write,
            Some(json!({"name": "later"})),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["color"], "#888888");

    let (s, p) = w
        .call(
            Method::POST,
            "/workspaces/acme/tags",
            &w.admin,
            Some(json!({"name": "URGENT"})),
        )
        .await;
    assert_eq!(s, 409, "{p}");
    assert_eq!(p["code"], "conflict", "{p}");

    // PUT is idempotent; the card shows the tag; DELETE twice is 404.
    let link = format!("/workspaces/acme/cards/{card}/tags/{urgent}");
    for _ in 0..2 {
        let (s, b) = w.call(Method::PUT, &link, &w.member, None).await;
        assert_eq!(s, 204, "{b}");
    }
    assert_eq!(card_view(&w, &card).await["tag_ids"], json!([urgent]));
    let (s, _) = w.call(Method::DELETE, &link, &w.machine_write, None).await;
    assert_eq!(s, 204);
    let (s, _) = w.call(Method::DELETE, &link, &w.member, None).await;
    assert_eq!(s, 404);
    assert_eq!(card_view(&w, &card).await["tag_ids"], json!([]));

    // A tag of another workspace, or none at all, is not there.
    let theirs = tag(&w, "other", "theirs").await;
    for t in [theirs.clone(), uuid::Uuid::now_v7().to_string()] {
        let (s, _) = w
            .call(
                Method::PUT,
                &format!("/workspaces/acme/cards/{card}/tags/{t}"),
                &w.member,
                None,
            )
            .await;
        assert_eq!(s, 404, "{t}");
    }
    // Each workspace lists only its own tags.
    let (_, page) = w
        .call(Method::GET, "/workspaces/other/tags", &w.other, None)
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    let (s, page) = w
        .call(Method::GET, "/workspaces/acme/tags", &w.observer, None)
        .await;
    assert_eq!(s, 200);
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Urgent", "later"]);
}

#[tokio::test]
async fn observers_and_read_tokens_neither_tag_nor_follow() {
    let w = world().await;
    let card = card_on(&w, "workspace").await;
    let urgent = tag(&w, "acme", "urgent").await;
    let link = format!("/workspaces/acme/cards/{card}/tags/{urgent}");
    let viewer = format!("/workspaces/acme/cards/{card}/viewers/{}", w.member.id);
    let (s, _) = w.call(Method::PUT, &link, &w.member, None).await;
    assert_eq!(s, 204);
    let (s, _) = w.call(Method::PUT, &viewer, &w.member, None).await;
    assert_eq!(s, 204);
    let before = card_view(&w, &card).await;
    for who in [&w.observer, &w.machine_read] {
        for (m, p, body) in [
            (
                Method::POST,
                "/workspaces/acme/tags".to_owned(),
                Some(json!({"name": "sneaky"})),
            ),
            (Method::DELETE, link.clone(), None),
            (Method::DELETE, viewer.clone(), None),
            (
                Method::PUT,
                format!("/workspaces/acme/cards/{card}/viewers/{}", w.observer.id),
                None,
            ),
        ] {
            let (s, b) = w.call(m.clone(), &p, who, body).await;
            assert_eq!(s, 403, "{m} {p} {b}");
        }
    }
    let after = card_view(&w, &card).await;
    assert_eq!(before["tag_ids"], after["tag_ids"]);
    assert_eq!(after["viewer_ids"], json!([w.member.id]));
    let (_, page) = w
        .call(Method::GET, "/workspaces/acme/tags", &w.admin, None)
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn viewers_are_active_members_and_hidden_cards_are_404() {
    let w = world().await;
    let card = card_on(&w, "workspace").await;
    let path = |user: &str| format!("/workspaces/acme/cards/{card}/viewers/{user}");
    for who in [&w.observer.id, &w.admin.id] {
        for _ in 0..2 {
            let (s, b) = w.call(Method::PUT, &path(who), &w.member, None).await;
            assert_eq!(s, 204, "{b}");
        }
    }
    let mut want = vec![w.observer.id.clone(), w.admin.id.clone()];
    want.sort();
    assert_eq!(card_view(&w, &card).await["viewer_ids"], json!(want));
    // Someone outside the workspace, another workspace's admin, a machine
    // token or nobody at all: 404.
    let nobody = uuid::Uuid::now_v7().to_string();
    for user in [&w.outsider.id, &w.other.id, &w.machine_write.id, &nobody] {
        let (s, _) = w.call(Method::PUT, &path(user), &w.member, None).await;
        assert_eq!(s, 404, "{user}");
    }
    let (s, _) = w
        .call(Method::DELETE, &path(&w.admin.id), &w.member, None)
        .await;
    assert_eq!(s, 204);
    let (s, _) = w
        .call(Method::DELETE, &path(&w.admin.id), &w.member, None)
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        card_view(&w, &card).await["viewer_ids"],
        json!([w.observer.id])
    );

    // A card on a private board the caller is not on: 404 for every link.
    let hidden = card_on(&w, "private").await;
    let urgent = tag(&w, "acme", "urgent").await;
    for who in [&w.member, &w.observer, &w.machine_write] {
        for (m, p) in [
            (
                Method::PUT,
                format!("/workspaces/acme/cards/{hidden}/tags/{urgent}"),
            ),
            (
                Method::DELETE,
                format!("/workspaces/acme/cards/{hidden}/tags/{urgent}"),
            ),
            (
                Method::PUT,
                format!("/workspaces/acme/cards/{hidden}/viewers/{}", w.member.id),
            ),
            (
                Method::DELETE,
                format!("/workspaces/acme/cards/{hidden}/viewers/{}", w.member.id),
            ),
        ] {
            let (s, _) = w.call(m.clone(), &p, who, None).await;
            assert_eq!(s, 404, "{m} {p}");
        }
    }
    let v = card_view(&w, &hidden).await;
    assert_eq!(v["tag_ids"], json!([]));
    assert_eq!(v["viewer_ids"], json!([]));
    // The ids of this workspace mean nothing in another one.
    let (s, _) = w
        .call(
            Method::PUT,
            &format!("/workspaces/other/cards/{card}/tags/{urgent}"),
            &w.other,
            None,
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn bad_tags_are_422_naming_the_field_and_tag_pages_use_cursors() {
    let w = world().await;
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(51)}), "name"),
        (json!({"name": "two\nlines"}), "name"),
        (json!({"name": 7}), "name"),
        (json!({}), "name"),
        (json!({"name": "ok", "color": "red"}), "color"),
        (json!({"name": "ok", "color": "#D73A4A"}), "color"),
        (json!({"name": "ok", "color": "#d73a4"}), "color"),
        (json!({"name": "ok", "color": "#gggggg"}), "color"),
        (json!({"name": "ok", "colour": "#d73a4a"}), "colour"),
    ] {
        let (s, p) = w
            .call(
                Method::POST,
                "/workspaces/acme/tags",
                &w.member,
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, 422, "{body} -> {p}");
        assert!(p.to_string().contains(field), "{body} -> {p}");
    }
    let (_, page) = w
        .call(Method::GET, "/workspaces/acme/tags", &w.member, None)
        .await;
    assert_eq!(page["items"], json!([]), "nothing was written");

    for name in ["a", "b", "c"] {
        tag(&w, "acme", name).await;
    }
    let (s, first) = w
        .call(
            Method::GET,
            "/workspaces/acme/tags?limit=2",
            &w.member,
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (s, rest) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/tags?limit=2&cursor={cursor}"),
            &w.member,
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(rest["items"][0]["name"], "c");
    assert!(rest["next_cursor"].is_null());
    // The same cursor in another workspace is refused.
    let (s, p) = w
        .call(
            Method::GET,
            &format!("/workspaces/other/tags?cursor={cursor}"),
            &w.other,
            None,
        )
        .await;
    assert_eq!(s, 400, "{p}");
}

// proves: RBAC-3
#[tokio::test]
async fn a_viewer_of_a_private_boards_card_must_be_able_to_see_it() {
    let w = world().await;
    let board = w.board("Secret", "private").await;
    let list = w.list(&board, "Todo").await;
    let card = w.card(&list, "hidden plans").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = |user: &str| format!("/workspaces/acme/cards/{card}/viewers/{user}");
    // The member is not on the board: following its card would show it to them.
    let (s, b) = w
        .call(Method::PUT, &path(&w.member.id), &w.admin, None)
        .await;
    assert_eq!(s, 422, "{b}");
    assert!(b.to_string().contains("user_id"), "{b}");
    assert_eq!(card_view(&w, &card).await["viewer_ids"], json!([]));
    // Once on the board they can follow it; admins see every board.
    let (s, b) = w
        .call(
            Method::PUT,
            &format!("/workspaces/acme/boards/{board}/members/{}", w.member.id),
            &w.admin,
            None,
        )
        .await;
    assert!(s == 201 || s == 204, "{s} {b}");
    for who in [&w.member.id, &w.admin.id] {
        let (s, b) = w.call(Method::PUT, &path(who), &w.admin, None).await;
        assert_eq!(s, 204, "{b}");
    }
    let mut want = vec![w.member.id.clone(), w.admin.id.clone()];
    want.sort();
    assert_eq!(card_view(&w, &card).await["viewer_ids"], json!(want));
}
