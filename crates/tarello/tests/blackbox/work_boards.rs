//! Boards, lists and cards end to end: visibility (private boards answer
//! 404 to those who cannot see them), the public page, ordering by rank
//! keys, optimistic versions, and bad input.

use reqwest::Method;
use serde_json::{Value, json};

use crate::personas::{World, world};

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect()
}

// proves: RBAC-2, RBAC-3
#[tokio::test]
async fn private_boards_are_for_their_members_and_public_boards_for_everyone() {
    let w = world().await;
    let private = w.board("Payroll", "private").await;
    let shared = w.board("Roadmap", "workspace").await;
    let public = w.board("Changelog", "public").await;
    let list = w.list(&private, "Todo").await;
    let card = w.card(&list, "Salaries").await;
    let card_id = card["id"].as_str().unwrap();

    // The member sees the workspace and public boards, not the private one.
    let (s, page) = w
        .call(Method::GET, "/workspaces/acme/boards", &w.member, None)
        .await;
    assert_eq!(s, 200);
    let seen = ids(&page["items"]);
    assert!(seen.contains(&shared) && seen.contains(&public));
    assert!(!seen.contains(&private), "{page}");
    for path in [
        format!("/workspaces/acme/boards/{private}"),
        format!("/workspaces/acme/cards/{card_id}"),
    ] {
        let (s, body) = w.call(Method::GET, &path, &w.member, None).await;
        assert_eq!(s, 404, "{path} {body}");
        assert!(!body.to_string().contains("Salaries"));
    }
    // Writing to it is 404 too (never 403: that would confirm it exists).
    let (s, _) = w
        .call(
            Method::POST,
            &format!("/workspaces/acme/lists/{list}/cards"),
            &w.member,
            Some(json!({"title": "sneak"})),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = w
        .call(
            Method::PATCH,
            &format!("/workspaces/acme/cards/{card_id}"),
            &w.observer,
            Some(json!({"version": 1, "title": "x"})),
        )
        .await;
    assert_eq!(s, 404);

    // Made a board member, the member sees it at once.
    let (s, _) = w
        .call(
            Method::PUT,
            &format!("/workspaces/acme/boards/{private}/members/{}", w.member.id),
            &w.admin,
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, board) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/boards/{private}"),
            &w.member,
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(board["lists"][0]["cards"][0]["title"], "Salaries");

    // The public page: no login, read-only, nothing but the board.
    let (_, b) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/boards/{public}"),
            &w.admin,
            None,
        )
        .await;
    let public_id = b["public_id"].as_str().unwrap().to_owned();
    assert!(public_id.len() >= 22 && !public_id.contains(&public));
    let page = w.r.srv.url(&format!("/public/boards/{public_id}"));
    let res = w.r.c.get(&page).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["name"], "Changelog");
    let text = body.to_string();
    assert!(
        !text.contains("@acme.test") && !text.contains(&w.admin.id),
        "{text}"
    );
    // Private and workspace boards have no public page; made private, the
    // public one disappears.
    let (s, b) = w
        .call(
            Method::PATCH,
            &format!("/workspaces/acme/boards/{public}"),
            &w.admin,
            Some(json!({"visibility": "private"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(b["public_id"].is_null());
    assert_eq!(w.r.c.get(&page).send().await.unwrap().status(), 404);
    let bogus = w.r.srv.url("/public/boards/AAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(w.r.c.get(&bogus).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn cards_keep_their_order_and_moves_are_optimistic() {
    let w = world().await;
    let board = w.board("Work", "workspace").await;
    let todo = w.list(&board, "Todo").await;
    let done = w.list(&board, "Done").await;
    let mut cards = Vec::new();
    for t in ["a", "b", "c"] {
        cards.push(w.card(&todo, t).await);
    }
    // Insert at the top, then move "c" between "a" and "b".
    let (s, top) = w
        .call(
            Method::POST,
            &format!("/workspaces/acme/lists/{todo}/cards"),
            &w.member,
            Some(json!({"title": "first", "position": 0})),
        )
        .await;
    assert_eq!(s, 201, "{top}");
    let c = &cards[2];
    let path = format!("/workspaces/acme/cards/{}", c["id"].as_str().unwrap());
    let (s, moved) = w
        .call(
            Method::PATCH,
            &path,
            &w.member,
            Some(json!({"version": 1, "position": 2})),
        )
        .await;
    assert_eq!(s, 200, "{moved}");
    assert_eq!(moved["version"], 2);
    let (_, view) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/boards/{board}"),
            &w.member,
            None,
        )
        .await;
    let titles: Vec<&str> = view["lists"][0]["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["first", "a", "c", "b"]);

    // A stale version is 409 and changes nothing.
    let (s, body) = w
        .call(
            Method::PATCH,
            &path,
            &w.member,
            Some(json!({"version": 1, "title": "lost update"})),
        )
        .await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(
        body["type"].as_str().unwrap().rsplit('/').next(),
        Some("stale-version")
    );

    // Concurrent moves of one card at one version: exactly one wins.
    let mut tasks = Vec::new();
    for target in [&done, &todo, &done, &todo, &done, &todo] {
        let c = w.r.c.clone();
        let url = format!("{}{path}", w.r.base);
        let token = w.member.token.clone();
        let body = json!({"version": 2, "list_id": target, "position": 0});
        tasks.push(tokio::spawn(async move {
            c.patch(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409]);

    // The card view carries an ETag of its version.
    let res =
        w.r.c
            .get(format!("{}{path}", w.r.base))
            .bearer_auth(&w.member.token)
            .send()
            .await
            .unwrap();
    assert_eq!(res.headers()["etag"], "\"3\"");
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx_and_writes_nothing() {
    let w = world().await;
    let board = w.board("Work", "workspace").await;
    let todo = w.list(&board, "Todo").await;
    let other_board = w.board("Elsewhere", "workspace").await;
    let foreign_list = w.list(&other_board, "Theirs").await;
    let card = w.card(&todo, "a").await;
    let path = format!("/workspaces/acme/cards/{}", card["id"].as_str().unwrap());
    let cards = format!("/workspaces/acme/lists/{todo}/cards");
    for (body, field) in [
        (json!({"title": ""}), "title"),
        (json!({"title": "x".repeat(501)}), "title"),
        (json!({"title": 5}), "title"),
        (json!({"title": "ok", "position": -1}), "position"),
        (
            json!({"title": "ok", "position": 10_000_000_000_i64}),
            "position",
        ),
        (json!({"title": "ok", "due_date": "tomorrow"}), "due_date"),
        (json!({"title": "ok", "colour": "red"}), "colour"),
    ] {
        let (s, p) = w
            .call(Method::POST, &cards, &w.member, Some(body.clone()))
            .await;
        assert_eq!(s, 422, "{body} -> {p}");
        assert!(p.to_string().contains(field), "{body} -> {p}");
    }
    // A move to a list of another board is refused and leaves the card.
    let (s, p) = w
        .call(
            Method::PATCH,
            &path,
            &w.member,
            Some(json!({"version": 1, "list_id": foreign_list})),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    let (s, _) = w
        .call(
            Method::PATCH,
            &path,
            &w.member,
            Some(json!({"version": 1, "list_id": uuid::Uuid::now_v7()})),
        )
        .await;
    assert_eq!(s, 422);
    let (_, now) = w.call(Method::GET, &path, &w.member, None).await;
    assert_eq!(now["version"], 1);
    assert_eq!(now["list_id"], json!(todo));
    // Ids that are not UUIDs, and ids of another workspace, are 404.
    let (s, _) = w
        .call(
            Method::GET,
            "/workspaces/acme/cards/not-a-uuid",
            &w.member,
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = w
        .call(
            Method::GET,
            &path.replace("/acme/", "/other/"),
            &w.other,
            None,
        )
        .await;
    assert_eq!(s, 404);
    // Filters: reversed due range is 422; a foreign cursor is 400.
    let (s, _) = w
        .call(
            Method::GET,
            "/workspaces/acme/cards?due_from=2026-02-01&due_to=2026-01-01",
            &w.member,
            None,
        )
        .await;
    assert_eq!(s, 422);
    let (s, page) = w
        .call(
            Method::GET,
            "/workspaces/other/boards?limit=1",
            &w.other,
            None,
        )
        .await;
    assert_eq!(s, 200);
    let _ = page;
    let (s, _) = w
        .call(
            Method::GET,
            "/workspaces/acme/boards?limit=500",
            &w.member,
            None,
        )
        .await;
    assert_eq!(s, 422);
}

#[tokio::test]
async fn observers_read_and_never_write() {
    let w: World = world().await;
    let board = w.board("Work", "workspace").await;
    let todo = w.list(&board, "Todo").await;
    let card = w.card(&todo, "a").await;
    let path = format!("/workspaces/acme/cards/{}", card["id"].as_str().unwrap());
    let (s, _) = w.call(Method::GET, &path, &w.observer, None).await;
    assert_eq!(s, 200);
    for (m, p, body) in [
        (
            Method::PATCH,
            path.clone(),
            Some(json!({"version": 1, "title": "x"})),
        ),
        (Method::DELETE, path.clone(), None),
        (
            Method::POST,
            format!("/workspaces/acme/lists/{todo}/cards"),
            Some(json!({"title": "x"})),
        ),
        (
            Method::POST,
            "/workspaces/acme/boards".to_owned(),
            Some(json!({"name": "x"})),
        ),
    ] {
        let (s, _) = w.call(m.clone(), &p, &w.observer, body.clone()).await;
        assert_eq!(s, 403, "{m} {p}");
        let (s, _) = w.call(m.clone(), &p, &w.machine_read, body).await;
        assert_eq!(s, 403, "machine read {m} {p}");
    }
    let (_, now) = w.call(Method::GET, &path, &w.member, None).await;
    assert_eq!(now["title"], "a");
    assert_eq!(now["version"], 1);
}

// proves: ISO-5
#[tokio::test]
async fn one_person_in_two_workspaces_sees_each_only_through_its_own_token() {
    let w = world().await;
    let board = w.board("Acme only", "workspace").await;
    // The admin of `other` also joins `acme` as a member.
    let mut su = w.r.tdb.superuser().await;
    crate::flows::add_member(&mut su, "acme", "admin@other.test", "member").await;
    let access = w.other.access.clone().unwrap();
    let acme_token = crate::flows::workspace_token(&w.r.c, &w.r.base, &access, "acme").await;
    let acme_path = format!("/workspaces/acme/boards/{board}");
    let (s, _) =
        crate::personas::call(&w.r, Method::GET, &acme_path, Some(&acme_token), None).await;
    assert_eq!(s, 200);
    // The other workspace's token does not open acme, and acme's ids do
    // not exist in the other workspace.
    let (s, _) = w.call(Method::GET, &acme_path, &w.other, None).await;
    assert_eq!(s, 401);
    let (s, body) = w
        .call(
            Method::GET,
            &format!("/workspaces/other/boards/{board}"),
            &w.other,
            None,
        )
        .await;
    assert_eq!(s, 404);
    assert!(!body.to_string().contains("Acme only"));
    let (s, _) = crate::personas::call(
        &w.r,
        Method::GET,
        "/workspaces/other/boards",
        Some(&acme_token),
        None,
    )
    .await;
    assert_eq!(s, 401);
    let (_, mine) = w
        .call(Method::GET, "/workspaces/other/boards", &w.other, None)
        .await;
    assert!(mine["items"].as_array().unwrap().is_empty(), "{mine}");
}
