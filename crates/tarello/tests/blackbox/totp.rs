//! Two-factor authentication end to end (ACC-6).

use serde_json::{Value, json};
use tarello_crypto::TotpSecret;

use crate::flows::{Running, add_member, login, post, running, signed_up};

fn code(secret: &TotpSecret, offset_steps: i64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() + offset_steps * 30;
    secret
        .code_at(u64::try_from(now).unwrap())
        .unwrap()
        .expose()
        .clone()
}

// proves: ACC-6
#[tokio::test]
async fn totp_enrol_confirm_login_replay_recovery_and_disable() {
    let Running {
        tdb,
        t,
        srv,
        base,
        c,
    } = running().await;
    let (email, pw) = ("totp.user@example.com", "violet staple lantern 42");
    signed_up(&t, &base, &c, email, pw).await;
    let (s, login) = post(
        &c,
        format!("{base}/auth/login"),
        None,
        json!({"email": email, "password": pw}),
    )
    .await;
    assert_eq!(s, 200);
    let access = login["access_token"].as_str().unwrap().to_owned();

    let (s, enrol) = post(&c, format!("{base}/me/totp"), Some(&access), json!({})).await;
    assert_eq!(s, 200, "{enrol}");
    let secret = TotpSecret::from_base32(enrol["secret"].as_str().unwrap()).unwrap();
    assert!(
        enrol["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    // The secret is stored encrypted.
    let mut su = tdb.superuser().await;
    let stored: String =
        sqlx::query_scalar("SELECT totp_secret FROM control.user_account WHERE email = $1")
            .bind(email)
            .fetch_one(&mut su)
            .await
            .unwrap();
    assert!(stored.starts_with("f1:") && !stored.contains(enrol["secret"].as_str().unwrap()));

    let (s, _) = post(
        &c,
        format!("{base}/me/totp/confirm"),
        Some(&access),
        json!({"code": "000000"}),
    )
    .await;
    assert_eq!(s, 400, "a wrong code does not turn TOTP on");
    let (s, confirmed) = post(
        &c,
        format!("{base}/me/totp/confirm"),
        Some(&access),
        json!({"code": code(&secret, 0)}),
    )
    .await;
    assert_eq!(s, 200, "{confirmed}");
    let recovery: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);

    // The password alone is no longer enough, and says so only after a right password.
    let (s, body) = post(
        &c,
        format!("{base}/auth/login"),
        None,
        json!({"email": email, "password": pw}),
    )
    .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (401, Some("second-factor-required"))
    );
    let (s, body) = post(
        &c,
        format!("{base}/auth/login"),
        None,
        json!({"email": email, "password": "wrong password here"}),
    )
    .await;
    assert_eq!((s, body["code"].as_str()), (401, Some("bad-credentials")));
    let (s, body) = post(
        &c,
        format!("{base}/auth/login"),
        None,
        json!({"email": email, "password": pw, "totp_code": "123456"}),
    )
    .await;
    assert_eq!((s, body["code"].as_str()), (401, Some("bad-credentials")));

    // A code of the next step (within the ±1 skew) works once; its replay is refused.
    let next = code(&secret, 1);
    let (s, _) = post(
        &c,
        format!("{base}/auth/login"),
        None,
        json!({"email": email, "password": pw, "totp_code": next}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = post(
        &c,
        format!("{base}/auth/login"),
        None,
        json!({"email": email, "password": pw, "totp_code": next}),
    )
    .await;
    assert_eq!(s, 401, "a TOTP code is accepted once");

    // Recovery codes: each works once.
    let (s, _) = post(
        &c,
        format!("{base}/auth/login"),
        None,
        json!({"email": email, "password": pw, "recovery_code": recovery[0]}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = post(
        &c,
        format!("{base}/auth/login"),
        None,
        json!({"email": email, "password": pw, "recovery_code": recovery[0]}),
    )
    .await;
    assert_eq!(s, 401, "a recovery code is single-use");
    let hashes: Vec<String> = sqlx::query_scalar(
        "SELECT r.code_hash FROM control.recovery_code r JOIN control.user_account u USING (user_id) WHERE u.email = $1",
    )
    .bind(email)
    .fetch_all(&mut su)
    .await
    .unwrap();
    assert_eq!(hashes.len(), 10);
    assert!(
        hashes
            .iter()
            .all(|h| !recovery.iter().any(|r| h.contains(r.as_str())))
    );

    // Disabling needs the password and a code.
    let del = |body: Value| {
        let c = c.clone();
        let url = format!("{base}/me/totp");
        let access = access.clone();
        async move {
            c.delete(url)
                .bearer_auth(access)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        del(json!({"password": "not the password", "code": recovery[1]})).await,
        401
    );
    assert_eq!(del(json!({"password": pw, "code": recovery[1]})).await, 204);
    let (s, _) = post(
        &c,
        format!("{base}/auth/login"),
        None,
        json!({"email": email, "password": pw}),
    )
    .await;
    assert_eq!(s, 200, "after disabling, the password is enough again");
    let log = srv.log_text();
    assert!(!log.contains(enrol["secret"].as_str().unwrap()) && !log.contains(&recovery[2]));
}

// proves: ACC-6
#[tokio::test]
async fn a_workspace_can_require_two_factor_of_its_members() {
    let Running {
        tdb,
        t,
        srv: _srv,
        base,
        c,
    } = running().await;
    let (admin_email, pw) = ("strict.admin@example.com", "granite orchard beacon 3");
    signed_up(&t, &base, &c, admin_email, pw).await;
    let access = login(&c, &base, admin_email, pw).await;
    let (s, _) = post(
        &c,
        format!("{base}/workspaces"),
        Some(&access),
        json!({"slug": "strict", "name": "Strict"}),
    )
    .await;
    assert_eq!(s, 201);
    let (_, tok) = post(
        &c,
        format!("{base}/workspaces/strict/token"),
        Some(&access),
        json!({}),
    )
    .await;
    let admin_ws = tok["access_token"].as_str().unwrap().to_owned();
    let patch = |token: String, body: Value| {
        let c = c.clone();
        let url = format!("{base}/workspaces/strict");
        async move {
            let r = c
                .patch(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // An admin without two-factor cannot require it (they would lock themselves out).
    assert_eq!(
        patch(admin_ws.clone(), json!({"require_2fa": true}))
            .await
            .0,
        409
    );
    let (_, enrol) = post(&c, format!("{base}/me/totp"), Some(&access), json!({})).await;
    let secret = TotpSecret::from_base32(enrol["secret"].as_str().unwrap()).unwrap();
    let (s, _) = post(
        &c,
        format!("{base}/me/totp/confirm"),
        Some(&access),
        json!({"code": code(&secret, 0)}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        patch(admin_ws.clone(), json!({"require_2fa": true}))
            .await
            .0,
        200
    );

    // A member without two-factor gets no workspace token, and is told what to do.
    let member = "relaxed.member@example.com";
    signed_up(&t, &base, &c, member, "harbor cobalt willow 8").await;
    let mut su = tdb.superuser().await;
    add_member(&mut su, "strict", member, "member").await;
    let member_access = login(&c, &base, member, "harbor cobalt willow 8").await;
    let (s, body) = post(
        &c,
        format!("{base}/workspaces/strict/token"),
        Some(&member_access),
        json!({}),
    )
    .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (403, Some("two-factor-required")),
        "{body}"
    );
    assert!(body["detail"].as_str().unwrap().contains("/api/v1/me/totp"));
    // A member may not change the setting back (settings are admin work).
    sqlx::query("UPDATE control.workspace SET require_2fa = false WHERE slug = 'strict'")
        .execute(&mut su)
        .await
        .unwrap();
    let (_, tok) = post(
        &c,
        format!("{base}/workspaces/strict/token"),
        Some(&member_access),
        json!({}),
    )
    .await;
    let member_ws = tok["access_token"].as_str().unwrap().to_owned();
    assert_eq!(patch(member_ws, json!({"require_2fa": false})).await.0, 403);
    // The admin, with two-factor, still gets tokens.
    sqlx::query("UPDATE control.workspace SET require_2fa = true WHERE slug = 'strict'")
        .execute(&mut su)
        .await
        .unwrap();
    let (s, _) = post(
        &c,
        format!("{base}/workspaces/strict/token"),
        Some(&access),
        json!({}),
    )
    .await;
    assert_eq!(s, 200);
}
