//! Machine tokens on their own lane (RBAC-6).

use serde_json::{Value, json};

use crate::flows::{Running, add_member, admin_of, post, running, signed_up};

async fn get(c: &reqwest::Client, url: String, token: &str) -> (u16, Value) {
    let r = c.get(url).bearer_auth(token).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

// proves: RBAC-6, ISO-3
#[tokio::test]
async fn machine_tokens_are_admin_made_shown_once_hashed_scoped_and_refused_human_work() {
    let Running {
        tdb,
        t,
        srv,
        base,
        c,
    } = running().await;
    let mut ws_token = Vec::new();
    for (email, slug) in [
        ("admin.a@example.com", "acme"),
        ("admin.b@example.com", "globex"),
    ] {
        let pw = "copper lantern meadow 7";
        ws_token.push(admin_of(&t, &base, &c, email, pw, slug).await.1);
    }
    let admin = &ws_token[0];

    let (s, created) = post(
        &c,
        format!("{base}/workspaces/acme/api-tokens"),
        Some(admin),
        json!({"name": "ci", "scope": "write"}),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    let machine = created["token"].as_str().unwrap().to_owned();
    assert!(machine.starts_with("trm_") && machine.len() >= 40);
    let (s, listed) = get(&c, format!("{base}/workspaces/acme/api-tokens"), admin).await;
    assert_eq!(s, 200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(
        !listed.to_string().contains(&machine),
        "shown once: never listed again"
    );
    let mut su = tdb.superuser().await;
    let hash: String = sqlx::query_scalar("SELECT token_hash FROM control.api_token")
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert_eq!(hash.len(), 64);
    assert!(!hash.contains(&machine[4..]));

    // The machine lane reads its own workspace, with at most member rights…
    let (s, me) = get(&c, format!("{base}/workspaces/acme"), &machine).await;
    assert_eq!(s, 200);
    assert_eq!(
        (me["lane"].as_str(), me["role"].as_str()),
        (Some("machine"), Some("member"))
    );
    // …is refused another workspace…
    assert_eq!(
        get(&c, format!("{base}/workspaces/globex"), &machine)
            .await
            .0,
        401
    );
    // …and anything that must be attributed to a person, by the policy.
    let (s, body) = post(
        &c,
        format!("{base}/workspaces/acme/api-tokens"),
        Some(&machine),
        json!({"name": "more"}),
    )
    .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    assert_eq!(
        get(&c, format!("{base}/workspaces/acme/api-tokens"), &machine)
            .await
            .0,
        403
    );
    assert_eq!(
        get(&c, format!("{base}/me"), &machine).await.0,
        401,
        "no account routes for machines"
    );
    let (s, _) = post(
        &c,
        format!("{base}/workspaces/acme/token"),
        Some(&machine),
        json!({}),
    )
    .await;
    assert_eq!(s, 401, "a machine token cannot mint workspace tokens");

    // Only admins make tokens: a plain member is refused.
    let member_email = "member.m@example.com";
    signed_up(&t, &base, &c, member_email, "quiet harbor tulip 5").await;
    add_member(&mut su, "acme", member_email, "member").await;
    let (_, login) = post(
        &c,
        format!("{base}/auth/login"),
        None,
        json!({"email": member_email, "password": "quiet harbor tulip 5"}),
    )
    .await;
    let (_, tok) = post(
        &c,
        format!("{base}/workspaces/acme/token"),
        login["access_token"].as_str(),
        json!({}),
    )
    .await;
    let member = tok["access_token"].as_str().unwrap().to_owned();
    let (s, _) = post(
        &c,
        format!("{base}/workspaces/acme/api-tokens"),
        Some(&member),
        json!({"name": "sneaky"}),
    )
    .await;
    assert_eq!(s, 403);
    // The other workspace's admin cannot touch acme's tokens.
    let (s, _) = post(
        &c,
        format!("{base}/workspaces/acme/api-tokens"),
        Some(&ws_token[1]),
        json!({"name": "x"}),
    )
    .await;
    assert_eq!(s, 401);

    // Revocation and expiry take effect on the next request.
    let id = created["id"].as_str().unwrap();
    let r = c
        .delete(format!("{base}/workspaces/acme/api-tokens/{id}"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        get(&c, format!("{base}/workspaces/acme"), &machine).await.0,
        401
    );
    let (_, second) = post(
        &c,
        format!("{base}/workspaces/acme/api-tokens"),
        Some(admin),
        json!({"name": "short"}),
    )
    .await;
    let second_token = second["token"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&c, format!("{base}/workspaces/acme"), &second_token)
            .await
            .0,
        200
    );
    sqlx::query("UPDATE control.api_token SET expires_at = now() - interval '1 second' WHERE name = 'short'")
        .execute(&mut su)
        .await
        .unwrap();
    assert_eq!(
        get(&c, format!("{base}/workspaces/acme"), &second_token)
            .await
            .0,
        401
    );
    let (s, body) = post(
        &c,
        format!("{base}/workspaces/acme/api-tokens"),
        Some(admin),
        json!({"name": "x", "scope": "root"}),
    )
    .await;
    assert_eq!(
        (s, body["errors"][0]["field"].as_str()),
        (422, Some("scope"))
    );
    assert!(!srv.log_text().contains(&machine));
}
