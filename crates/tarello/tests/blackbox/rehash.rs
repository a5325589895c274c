//! Password hashes follow the configured Argon2id parameters (ACC-1).

use crate::common::Tarello;
use crate::flows::{login, signed_up};

// proves: ACC-1
#[tokio::test]
async fn raising_the_argon2_parameters_upgrades_a_hash_at_the_next_login() {
    let tdb = tarello_testkit::fresh_database().await;
    let t = Tarello::external(&tdb);
    t.ok(&["migrate"]);
    let (email, pw) = ("old.hash@example.com", "walnut cipher glacier 2");
    let c = reqwest::Client::new();
    {
        let srv = t.serve().await;
        signed_up(&t, &srv.url("/api/v1"), &c, email, pw).await;
    }
    let stored = || async {
        let mut su = tdb.superuser().await;
        sqlx::query_scalar::<_, String>(
            "SELECT password_hash FROM control.user_account WHERE email = $1",
        )
        .bind(email)
        .fetch_one(&mut su)
        .await
        .unwrap()
    };
    let before = stored().await;
    assert!(
        before.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{before}"
    );

    // The operator raises the cost; the next login re-hashes with it.
    let stronger = t.with("TARELLO_PASSWORD_T", "3");
    let srv = stronger.serve().await;
    login(&c, &srv.url("/api/v1"), email, pw).await;
    let after = stored().await;
    assert!(
        after.starts_with("$argon2id$v=19$m=19456,t=3,p=1$"),
        "{after}"
    );
    assert_ne!(before, after);
    // And the new hash still verifies.
    login(&c, &srv.url("/api/v1"), email, pw).await;
    // A wrong password never rewrites the hash.
    let r = c
        .post(srv.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": "not it at all"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(stored().await, after);
}
