//! Members: the last-admin safeguard (also under concurrency) and role
//! changes ending the member's sessions in the workspace.

use serde_json::{Value, json};

use crate::common::Tarello;
use crate::flows::{Running, add_member, login, post, running, signed_up, workspace_token};

struct Person {
    access: String,
    id: String,
}

async fn person(t: &Tarello, base: &str, c: &reqwest::Client, email: &str) -> Person {
    let pw = "meadow flint sparrow 4";
    signed_up(t, base, c, email, pw).await;
    let access = login(c, base, email, pw).await;
    let me: Value = c
        .get(format!("{base}/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Person {
        access,
        id: me["id"].as_str().unwrap().to_owned(),
    }
}

async fn ws_token(c: &reqwest::Client, base: &str, p: &Person) -> String {
    workspace_token(c, base, &p.access, "acme").await
}

async fn patch(c: &reqwest::Client, url: String, token: &str, body: Value) -> (u16, Value) {
    let r = c
        .patch(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn delete(c: &reqwest::Client, url: String, token: &str) -> u16 {
    c.delete(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

// proves: RBAC-4, RBAC-8
#[tokio::test]
async fn the_last_admin_stays_and_role_changes_end_the_members_workspace_sessions() {
    let Running {
        tdb,
        t,
        srv: _srv,
        base,
        c,
    } = running().await;
    let a = person(&t, &base, &c, "admin.ann@example.com").await;
    let (s, _) = post(
        &c,
        format!("{base}/workspaces"),
        Some(&a.access),
        json!({"slug": "acme", "name": "Acme"}),
    )
    .await;
    assert_eq!(s, 201);
    let b = person(&t, &base, &c, "bob.member@example.com").await;
    let mut su = tdb.superuser().await;
    add_member(&mut su, "acme", "bob.member@example.com", "member").await;
    let ta = ws_token(&c, &base, &a).await;
    let tb = ws_token(&c, &base, &b).await;
    let m = |id: &str| format!("{base}/workspaces/acme/members/{id}");

    let list: Value = c
        .get(format!("{base}/workspaces/acme/members"))
        .bearer_auth(&tb)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    // The only admin can neither step down, be deactivated, nor leave.
    for body in [
        json!({"role": "member"}),
        json!({"active": false}),
        json!({"role": "observer"}),
    ] {
        let (s, p) = patch(&c, m(&a.id), &ta, body).await;
        assert_eq!((s, p["code"].as_str()), (409, Some("last-admin")), "{p}");
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("another member admin")
        );
    }
    assert_eq!(delete(&c, m(&a.id), &ta).await, 409);
    // A member cannot manage members, and gets no data about why beyond the rule.
    let (s, p) = patch(&c, m(&a.id), &tb, json!({"role": "member"})).await;
    assert_eq!((s, p["code"].as_str()), (403, Some("forbidden")));
    let (s, p) = patch(&c, m(&a.id), &ta, json!({"role": "owner"})).await;
    assert_eq!((s, p["errors"][0]["field"].as_str()), (422, Some("role")));

    // A role change ends the member's workspace sessions: the old token is refused.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (s, _) = patch(&c, m(&b.id), &ta, json!({"role": "admin"})).await;
    assert_eq!(s, 204);
    let r = c
        .get(format!("{base}/workspaces/acme"))
        .bearer_auth(&tb)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "a token from before the role change is refused"
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let tb = ws_token(&c, &base, &b).await;
    let me: Value = c
        .get(format!("{base}/workspaces/acme"))
        .bearer_auth(&tb)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "admin");
    let ta = ws_token(&c, &base, &a).await;

    // Two admins, 100 concurrent requests in which each demotes itself or
    // removes the other: one admin always remains.
    let mut reqs = Vec::new();
    for i in 0..100 {
        let c = c.clone();
        let (url, token, remove) = match i % 4 {
            0 => (m(&a.id), ta.clone(), false),
            1 => (m(&b.id), tb.clone(), false),
            2 => (m(&b.id), ta.clone(), true),
            _ => (m(&a.id), tb.clone(), true),
        };
        reqs.push(async move {
            if remove {
                c.delete(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            } else {
                c.patch(url)
                    .bearer_auth(token)
                    .json(&json!({"role": "member"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        });
    }
    let statuses = futures::future::join_all(reqs).await;
    assert!(
        statuses.iter().all(|s| [204, 401, 404, 409].contains(s)),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&409),
        "the safeguard refused some: {statuses:?}"
    );
    let admins: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM control.membership m JOIN control.workspace w USING (workspace_id) \
         WHERE w.slug = 'acme' AND m.role = 'admin' AND m.active",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(admins, 1, "exactly one active admin is left: {statuses:?}");
}
