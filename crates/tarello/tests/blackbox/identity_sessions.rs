//! Sessions over HTTP (ACC-10): listed, revoked one by one or all at once
//! with immediate effect, refresh tokens that rotate and, when a spent one
//! comes back, take the whole session down; logout.

use serde_json::{Value, json};

use crate::identity::{Env, PW, Tokens, start};

async fn login_as(e: &Env, email: &str, agent: &str) -> Tokens {
    let body = e
        .send(
            e.c.post(e.srv.url("/api/v1/auth/login"))
                .header("user-agent", agent)
                .json(&json!({ "email": email, "password": PW })),
        )
        .await
        .expect(200);
    e.tokens(&body)
}

async fn sessions(e: &Env, access: &str) -> Vec<Value> {
    let body = e.get_auth("/api/v1/me/sessions", access).await.expect(200);
    assert!(body["next_cursor"].is_null(), "{body}");
    body["items"].as_array().unwrap().clone()
}

// proves: ACC-10
#[tokio::test]
async fn sessions_are_listed_revoked_at_once_and_refresh_tokens_rotate() {
    let e = start().await;
    e.register("ada@example.com", PW, "Ada Lovelace").await;
    let one = login_as(&e, "ada@example.com", "agent-one").await;
    let two = login_as(&e, "ada@example.com", "agent-two").await;

    let items = sessions(&e, &one.access).await;
    assert_eq!(items.len(), 2, "{items:?}");
    let current: Vec<&Value> = items.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1, "{items:?}");
    assert_eq!(current[0]["user_agent"], "agent-one");
    for s in &items {
        assert_eq!(s["ip"], "127.0.0.1");
        assert!(s["created_at"].as_str().is_some_and(|t| t.contains('T')));
        assert!(s["last_used_at"].as_str().is_some());
        assert_eq!(s["id"].as_str().unwrap().len(), 36);
        let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
        assert_eq!(
            keys.len(),
            6,
            "id, created_at, last_used_at, ip, user_agent, current; no token material: {s}"
        );
    }
    let id_one = current[0]["id"].as_str().unwrap().to_owned();
    let id_two = items
        .iter()
        .find(|s| s["user_agent"] == "agent-two")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let from_two = sessions(&e, &two.access).await;
    assert!(
        from_two
            .iter()
            .any(|s| s["id"] == id_two.as_str() && s["current"] == true)
    );

    // Someone else's session cannot be revoked (and is not revealed).
    e.register("bob@example.com", PW, "Bob Builder").await;
    let bob = login_as(&e, "bob@example.com", "bob-agent").await;
    let bob_id = sessions(&e, &bob.access).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    e.delete_auth(&format!("/api/v1/me/sessions/{bob_id}"), &one.access)
        .await
        .problem(404, "not-found");
    e.me(&bob.access).await.expect(200);
    assert!(
        sessions(&e, &one.access)
            .await
            .iter()
            .all(|s| s["id"] != bob_id.as_str())
    );

    // Revoking session two: its token is refused at once, one still works.
    let r = e
        .delete_auth(&format!("/api/v1/me/sessions/{id_two}"), &one.access)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    e.me(&two.access).await.unauthenticated();
    e.refresh(&two.refresh).await.unauthenticated();
    e.me(&one.access).await.expect(200);
    let left = sessions(&e, &one.access).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], id_one.as_str());
    e.delete_auth(&format!("/api/v1/me/sessions/{id_two}"), &one.access)
        .await
        .problem(404, "not-found");
    e.delete_auth(
        "/api/v1/me/sessions/0190d0c4-0000-7000-8000-000000000000",
        &one.access,
    )
    .await
    .problem(404, "not-found");

    // Refresh rotates: new tokens, the old access token is gone.
    let rotated = e.tokens(&e.refresh(&one.refresh).await.expect(200));
    assert_ne!(rotated.access, one.access);
    assert_ne!(rotated.refresh, one.refresh);
    e.me(&one.access).await.unauthenticated();
    e.me(&rotated.access).await.expect(200);
    let after = sessions(&e, &rotated.access).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["id"], id_one.as_str(), "the same session, rotated");
    // The spent refresh token comes back: refused, and the whole session
    // is revoked, the tokens the rotation issued included.
    e.refresh(&one.refresh).await.unauthenticated();
    e.me(&rotated.access).await.unauthenticated();
    e.refresh(&rotated.refresh).await.unauthenticated();
    e.refresh("trr_not-a-token-at-all").await.unauthenticated();

    // Logout ends the session: 204, then its tokens are refused.
    let three = login_as(&e, "ada@example.com", "agent-three").await;
    let r = e
        .post_auth("/api/v1/auth/logout", &three.access, None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    e.me(&three.access).await.unauthenticated();
    e.refresh(&three.refresh).await.unauthenticated();
    e.post_auth("/api/v1/auth/logout", &three.access, None)
        .await
        .unauthenticated();
    e.send(e.c.post(e.srv.url("/api/v1/auth/logout")))
        .await
        .unauthenticated();

    // DELETE /me/sessions ends them all, the caller's own included.
    let four = login_as(&e, "ada@example.com", "agent-four").await;
    let five = login_as(&e, "ada@example.com", "agent-five").await;
    let r = e.delete_auth("/api/v1/me/sessions", &four.access).await;
    assert_eq!(r.status, 204, "{}", r.text);
    for t in [&four, &five] {
        e.me(&t.access).await.unauthenticated();
        e.refresh(&t.refresh).await.unauthenticated();
    }
    e.me(&bob.access).await.expect(200);
    e.assert_log_clean().await;
}
