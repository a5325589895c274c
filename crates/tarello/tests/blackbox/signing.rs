//! Per-workspace signing keys rotate without breaking tokens in flight (ACC-8).

use base64::Engine as _;
use serde_json::{Value, json};

use crate::flows::{Running, admin_of, post, running};

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    v["kid"].as_str().unwrap().to_owned()
}

// proves: ACC-8
#[tokio::test]
async fn signing_keys_rotate_and_old_tokens_run_out_instead_of_failing() {
    let Running {
        tdb,
        t,
        srv: _srv,
        base,
        c,
    } = running().await;
    let (email, pw) = ("keys.owner@example.com", "amber pylon trellis 9");
    let (access, old) = admin_of(&t, &base, &c, email, pw, "acme").await;

    let r = t.ok(&["keys", "rotate-signing", "--workspace", "acme"]);
    assert!(r.stdout.contains("new signing key"), "{}", r.stdout);

    let jwks: Value = c
        .get(format!("{base}/workspaces/acme/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2, "{jwks}");
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("d").is_none()),
        "no private parts"
    );
    let (_, tok) = post(
        &c,
        format!("{base}/workspaces/acme/token"),
        Some(&access),
        json!({}),
    )
    .await;
    let new = tok["access_token"].as_str().unwrap().to_owned();
    assert_ne!(kid_of(&old), kid_of(&new));
    assert!(kids.contains(&kid_of(&old).as_str()) && kids.contains(&kid_of(&new).as_str()));
    for token in [&old, &new] {
        let r = c
            .get(format!("{base}/workspaces/acme"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // The private keys are stored encrypted.
    let mut su = tdb.superuser().await;
    let stored: Vec<String> = sqlx::query_scalar("SELECT private_key FROM control.signing_key")
        .fetch_all(&mut su)
        .await
        .unwrap();
    assert!(stored.iter().all(|k| k.starts_with("f1:")));
}
