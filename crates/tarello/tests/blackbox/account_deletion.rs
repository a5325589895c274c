//! Deleting one's account: refused while last admin (RBAC-4), then
//! memberships, sessions and personal fields go; the workspace keeps its
//! other admin.

use reqwest::Method;
use serde_json::json;

use crate::personas::{PW, call, world};

// proves: RBAC-4
#[tokio::test]
async fn the_last_admin_cannot_delete_their_account_until_another_admin_exists() {
    let w = world().await;
    let admin_access = w.admin.access.clone().unwrap();
    let del = |access: String, body: serde_json::Value| {
        let r = &w.r;
        async move { call(r, Method::DELETE, "/me", Some(&access), Some(body)).await }
    };
    let (s, _) = del(admin_access.clone(), json!({"password": "not it at all"})).await;
    assert_eq!(s, 401);
    let (s, p) = del(admin_access.clone(), json!({"password": PW})).await;
    assert_eq!(s, 409, "{p}");
    assert!(p["type"].as_str().unwrap().ends_with("last-admin"), "{p}");
    // Still there, still admin.
    let (s, ws) = w
        .call(Method::GET, "/workspaces/acme", &w.admin, None)
        .await;
    assert_eq!((s, ws["role"].as_str()), (200, Some("admin")));

    // With a second admin, the account goes.
    let (s, _) = w
        .call(
            Method::PATCH,
            &format!("/workspaces/acme/members/{}", w.member.id),
            &w.admin,
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = del(admin_access.clone(), json!({"password": PW})).await;
    assert_eq!(s, 204);
    // Its tokens stop working and its email no longer logs in.
    let (s, _) = call(&w.r, Method::GET, "/me", Some(&admin_access), None).await;
    assert_eq!(s, 401);
    let (s, _) = w
        .call(Method::GET, "/workspaces/acme", &w.admin, None)
        .await;
    assert_eq!(s, 401);
    let (s, _) = call(
        &w.r,
        Method::POST,
        "/auth/login",
        None,
        Some(json!({"email": "admin@acme.test", "password": PW})),
    )
    .await;
    assert_eq!(s, 401);
    // The workspace keeps exactly one active admin: the promoted member.
    let member_access = w.member.access.clone().unwrap();
    let token = crate::flows::workspace_token(&w.r.c, &w.r.base, &member_access, "acme").await;
    let (_, members) = call(
        &w.r,
        Method::GET,
        "/workspaces/acme/members",
        Some(&token),
        None,
    )
    .await;
    let admins: Vec<_> = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "admin" && m["active"] == true)
        .collect();
    assert_eq!(admins.len(), 1, "{members}");
    assert!(!members.to_string().contains("admin@acme.test"));
}
