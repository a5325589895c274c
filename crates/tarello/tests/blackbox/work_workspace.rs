//! Workspace settings and invitations.

use reqwest::Method;
use serde_json::{Value, json};

use crate::flows::{login, signed_up};
use crate::personas::{PW, call, world};

fn outbox_code(dir: &std::path::Path, to: &str, marker: &str) -> Option<String> {
    let mut found = None;
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        if text.contains(&format!("To: {to}"))
            && let Some(i) = text.find(marker)
        {
            let rest = &text[i + marker.len()..];
            found = Some(rest.split_whitespace().next().unwrap().to_owned());
        }
    }
    found
}

#[tokio::test]
async fn settings_have_defaults_admins_change_them_and_bad_values_are_422() {
    let w = world().await;
    let (s, ws) = w
        .call(Method::GET, "/workspaces/acme", &w.member, None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(ws["timezone"], "Europe/Brussels");
    assert_eq!(ws["currency"], "EUR");
    assert_eq!(ws["plan"], "free");
    let (s, ws) = w
        .call(
            Method::PATCH,
            "/workspaces/acme",
            &w.admin,
            Some(json!({"name": "Acme Ltd", "plan": "business", "timezone": "America/New_York", "currency": "USD"})),
        )
        .await;
    assert_eq!(s, 200, "{ws}");
    assert_eq!(ws["name"], "Acme Ltd");
    assert_eq!(ws["timezone"], "America/New_York");
    for (body, field) in [
        (json!({"timezone": "Mars/Olympus"}), "timezone"),
        (json!({"currency": "eur"}), "currency"),
        (json!({"plan": "enterprise"}), "plan"),
        (json!({"name": ""}), "name"),
        (json!({"colour": "red"}), "colour"),
    ] {
        let (s, p) = w
            .call(
                Method::PATCH,
                "/workspaces/acme",
                &w.admin,
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, 422, "{body} {p}");
        assert!(p.to_string().contains(field), "{p}");
    }
    for who in [&w.member, &w.observer, &w.machine_write] {
        let (s, _) = w
            .call(
                Method::PATCH,
                "/workspaces/acme",
                who,
                Some(json!({"plan": "free"})),
            )
            .await;
        assert_eq!(s, 403);
    }
    let (_, ws) = w
        .call(Method::GET, "/workspaces/acme", &w.admin, None)
        .await;
    assert_eq!(ws["plan"], "business");
}

#[tokio::test]
async fn an_invitation_makes_a_membership_for_the_invited_address_only_once() {
    let w = world().await;
    let outbox = w.r.t.data_dir().join("outbox");
    // Only admins invite.
    for who in [&w.member, &w.machine_write] {
        let (s, _) = w
            .call(
                Method::POST,
                "/workspaces/acme/invitations",
                who,
                Some(json!({"email": "new@acme.test", "role": "member"})),
            )
            .await;
        assert_eq!(s, 403);
    }
    let (s, p) = w
        .call(
            Method::POST,
            "/workspaces/acme/invitations",
            &w.admin,
            Some(json!({"email": "new@acme.test", "role": "boss"})),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    let (s, inv) = w
        .call(
            Method::POST,
            "/workspaces/acme/invitations",
            &w.admin,
            Some(json!({"email": "New@Acme.test", "role": "observer"})),
        )
        .await;
    assert_eq!(s, 201, "{inv}");
    assert_eq!(inv["email"], "new@acme.test");
    assert!(
        !inv.to_string().contains("tri_"),
        "the code is only in the mail"
    );
    let code = outbox_code(&outbox, "new@acme.test", "Invitation code: ").unwrap();
    assert!(code.starts_with("tri_") && code.len() > 40);

    // Already a member → 409.
    let (s, _) = w
        .call(
            Method::POST,
            "/workspaces/acme/invitations",
            &w.admin,
            Some(json!({"email": "member@acme.test", "role": "member"})),
        )
        .await;
    assert_eq!(s, 409);

    // Someone else with the code gets 404; the invited person joins.
    let (s, _) = call(
        &w.r,
        Method::POST,
        "/invitations/accept",
        w.outsider.access.as_deref(),
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(s, 404);
    signed_up(&w.r.t, &w.r.base, &w.r.c, "new@acme.test", PW).await;
    let access = login(&w.r.c, &w.r.base, "new@acme.test", PW).await;
    let (s, joined) = call(
        &w.r,
        Method::POST,
        "/invitations/accept",
        Some(&access),
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(s, 201, "{joined}");
    assert_eq!(joined["slug"], "acme");
    assert_eq!(joined["role"], "observer");
    // Single use.
    let (s, _) = call(
        &w.r,
        Method::POST,
        "/invitations/accept",
        Some(&access),
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(s, 404);
    let (_, members) = w
        .call(Method::GET, "/workspaces/acme/members", &w.admin, None)
        .await;
    let roles: Vec<&Value> = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["email"] == "new@acme.test")
        .map(|m| &m["role"])
        .collect();
    assert_eq!(roles, [&json!("observer")]);
}
