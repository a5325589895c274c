//! Workspaces and their tokens over HTTP: a token is signed by its own
//! workspace's key with `aud` = that workspace (ACC-8, ISO-3), and the
//! membership row and the session are read on every request (RBAC-5).

use serde_json::{Value, json};

use crate::common::b64url_decode;
use crate::identity::{Env, PW, start};

fn segment(token: &str, i: usize) -> Value {
    let part = token.split('.').nth(i).unwrap();
    serde_json::from_slice(&b64url_decode(part)).unwrap()
}

async fn create(e: &Env, access: &str, slug: &str, name: &str) -> Value {
    e.post_auth(
        "/api/v1/workspaces",
        access,
        Some(json!({ "slug": slug, "name": name })),
    )
    .await
    .expect(201)
}

async fn ws_token(e: &Env, access: &str, slug: &str) -> String {
    let body = e
        .post_auth(&format!("/api/v1/workspaces/{slug}/token"), access, None)
        .await
        .expect(200);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    let t = body["access_token"].as_str().unwrap().to_owned();
    e.secret(&t);
    t
}

/// The same token with one byte of its signature changed.
fn flip_signature(token: &str) -> String {
    let (head, sig) = token.rsplit_once('.').unwrap();
    let mut sig: Vec<u8> = sig.bytes().collect();
    sig[10] = if sig[10] == b'A' { b'B' } else { b'A' };
    format!("{head}.{}", String::from_utf8(sig).unwrap())
}

// proves: ACC-8, ISO-3
#[tokio::test]
async fn a_workspace_token_is_signed_for_its_workspace_only() {
    let e = start().await;
    let a_id = e.register("ada@example.com", PW, "Ada Lovelace").await;
    e.register("bob@example.com", PW, "Bob Builder").await;
    let a = e.login("ada@example.com", PW).await;
    let b = e.login("bob@example.com", PW).await;

    let acme = create(&e, &a.access, "acme", "Acme Corp").await;
    assert_eq!(acme["slug"], "acme");
    assert_eq!(acme["name"], "Acme Corp");
    assert_eq!(acme["role"], "admin");
    let acme_id = acme["id"].as_str().unwrap().to_owned();
    let globex = create(&e, &b.access, "globex", "Globex").await;
    let globex_id = globex["id"].as_str().unwrap().to_owned();
    assert_ne!(acme_id, globex_id);
    // A bad slug, a taken slug, no token.
    let r = e
        .post_auth(
            "/api/v1/workspaces",
            &b.access,
            Some(json!({ "slug": "Not A Slug!", "name": "x" })),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    e.post_auth(
        "/api/v1/workspaces",
        &b.access,
        Some(json!({ "slug": "acme", "name": "Mine now" })),
    )
    .await
    .problem(409, "conflict");
    e.send(
        e.c.post(e.srv.url("/api/v1/workspaces"))
            .json(&json!({ "slug": "initech", "name": "Initech" })),
    )
    .await
    .unauthenticated();
    // Each sees only their own.
    let mine = e
        .get_auth("/api/v1/workspaces", &a.access)
        .await
        .expect(200);
    assert_eq!(mine["items"], json!([acme]));
    let theirs = e
        .get_auth("/api/v1/workspaces", &b.access)
        .await
        .expect(200);
    assert_eq!(theirs["items"], json!([globex]));

    // A's token for acme: EdDSA, aud = acme's id, kid in acme's JWKS.
    let token = ws_token(&e, &a.access, "acme").await;
    assert_eq!(token.split('.').count(), 3);
    let header = segment(&token, 0);
    let claims = segment(&token, 1);
    assert_eq!(header["alg"], "EdDSA");
    let kid = header["kid"].as_str().unwrap().to_owned();
    assert_eq!(claims["aud"], acme_id.as_str());
    assert_eq!(claims["sub"], a_id.as_str());
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
    let jwks = e
        .send(e.c.get(e.srv.url("/api/v1/workspaces/acme/jwks.json")))
        .await
        .expect(200);
    let keys = jwks["keys"].as_array().unwrap();
    let key = keys
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("kid {kid} not in {jwks}"));
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    for k in keys {
        assert!(k.get("d").is_none(), "a private key is published: {k}");
    }
    let globex_jwks = e
        .send(e.c.get(e.srv.url("/api/v1/workspaces/globex/jwks.json")))
        .await
        .expect(200);
    assert!(
        globex_jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["kid"] != kid.as_str()),
        "each workspace has its own key"
    );

    let show = e
        .get_auth("/api/v1/workspaces/acme", &token)
        .await
        .expect(200);
    for (k, v) in [
        ("id", acme_id.as_str()),
        ("slug", "acme"),
        ("name", "Acme Corp"),
        ("role", "admin"),
    ] {
        assert_eq!(show[k], v, "{show}");
    }
    // On another workspace, the token is nothing.
    e.get_auth("/api/v1/workspaces/globex", &token)
        .await
        .unauthenticated();
    // A flipped signature byte, a token with no signature, garbage.
    e.get_auth("/api/v1/workspaces/acme", &flip_signature(&token))
        .await
        .unauthenticated();
    let (unsigned, _) = token.rsplit_once('.').unwrap();
    e.get_auth("/api/v1/workspaces/acme", &format!("{unsigned}."))
        .await
        .unauthenticated();
    e.get_auth("/api/v1/workspaces/acme", "not.a.jwt")
        .await
        .unauthenticated();
    e.send(e.c.get(e.srv.url("/api/v1/workspaces/acme")))
        .await
        .unauthenticated();

    // B cannot get a token for acme: 404, as for a workspace that does not exist.
    let foreign = e
        .post_auth("/api/v1/workspaces/acme/token", &b.access, None)
        .await;
    let missing = e
        .post_auth("/api/v1/workspaces/nowhere/token", &b.access, None)
        .await;
    assert_eq!(
        foreign.problem(404, "not-found"),
        missing.problem(404, "not-found")
    );
    // B's globex token works on globex and not on acme.
    let b_token = ws_token(&e, &b.access, "globex").await;
    assert_eq!(segment(&b_token, 1)["aud"], globex_id.as_str());
    e.get_auth("/api/v1/workspaces/globex", &b_token)
        .await
        .expect(200);
    e.get_auth("/api/v1/workspaces/acme", &b_token)
        .await
        .unauthenticated();

    // A token outlives nothing: after logout, the session behind it is over.
    e.post_auth("/api/v1/auth/logout", &a.access, None)
        .await
        .expect(204);
    e.get_auth("/api/v1/workspaces/acme", &token)
        .await
        .unauthenticated();
    e.assert_log_clean().await;
}

// proves: RBAC-5
#[tokio::test]
async fn membership_is_read_on_every_request() {
    let e = start().await;
    let a_id = e.register("ada@example.com", PW, "Ada Lovelace").await;
    e.register("bob@example.com", PW, "Bob Builder").await;
    let a = e.login("ada@example.com", PW).await;
    let b = e.login("bob@example.com", PW).await;
    let acme = create(&e, &a.access, "acme", "Acme").await;
    create(&e, &b.access, "globex", "Globex").await;
    let acme_id: uuid::Uuid = acme["id"].as_str().unwrap().parse().unwrap();
    let a_uuid: uuid::Uuid = a_id.parse().unwrap();
    let token = ws_token(&e, &a.access, "acme").await;
    e.get_auth("/api/v1/workspaces/acme", &token)
        .await
        .expect(200);

    let mut su = e.tdb.superuser().await;
    sqlx::query("SET tarello.actor_kind = 'system'")
        .execute(&mut su)
        .await
        .unwrap();
    let set_active = |active: bool| {
        sqlx::query(
            "UPDATE control.membership SET active = $3 WHERE workspace_id = $1 AND user_id = $2",
        )
        .bind(acme_id)
        .bind(a_uuid)
        .bind(active)
    };
    // Deactivated: the very next request is refused, and no new token.
    let n = set_active(false)
        .execute(&mut su)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(n, 1);
    e.get_auth("/api/v1/workspaces/acme", &token)
        .await
        .unauthenticated();
    e.post_auth("/api/v1/workspaces/acme/token", &a.access, None)
        .await
        .problem(404, "not-found");
    let listed = e
        .get_auth("/api/v1/workspaces", &a.access)
        .await
        .expect(200);
    assert_eq!(listed["items"], json!([]));
    // Reactivated: the same token works again (the row is the authority).
    set_active(true).execute(&mut su).await.unwrap();
    e.get_auth("/api/v1/workspaces/acme", &token)
        .await
        .expect(200);
    // Removed: refused on the very next request.
    let n = sqlx::query("DELETE FROM control.membership WHERE workspace_id = $1 AND user_id = $2")
        .bind(acme_id)
        .bind(a_uuid)
        .execute(&mut su)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(n, 1);
    e.get_auth("/api/v1/workspaces/acme", &token)
        .await
        .unauthenticated();
    e.post_auth("/api/v1/workspaces/acme/token", &a.access, None)
        .await
        .problem(404, "not-found");

    // The wrong kind of token, both ways.
    e.get_auth("/api/v1/workspaces/globex", &b.access)
        .await
        .unauthenticated();
    let b_token = ws_token(&e, &b.access, "globex").await;
    e.get_auth("/api/v1/workspaces/globex", &b_token)
        .await
        .expect(200);
    e.me(&b_token).await.unauthenticated();
    e.get_auth("/api/v1/me/sessions", &b_token)
        .await
        .unauthenticated();
    e.post_auth("/api/v1/workspaces/globex/token", &b_token, None)
        .await
        .unauthenticated();
    // Revoking B's sessions ends the workspace token too.
    e.delete_auth("/api/v1/me/sessions", &b.access)
        .await
        .expect(204);
    e.get_auth("/api/v1/workspaces/globex", &b_token)
        .await
        .unauthenticated();
    e.assert_log_clean().await;
}
