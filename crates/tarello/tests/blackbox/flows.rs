//! The account flows most black-box tests start from: sign up (code from
//! the outbox), log in, create a workspace, get its token, add a member.

use serde_json::{Value, json};

use crate::common::Tarello;

pub async fn post(
    c: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut req = c.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn signed_up(t: &Tarello, base: &str, c: &reqwest::Client, email: &str, pw: &str) {
    let (s, _) = post(
        c,
        format!("{base}/auth/signup"),
        None,
        json!({"email": email, "password": pw, "name": "Two Factor"}),
    )
    .await;
    assert_eq!(s, 202);
    let outbox = t.data_dir().join("outbox");
    let mut code = None;
    for entry in std::fs::read_dir(&outbox).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        if text.contains(&format!("To: {email}"))
            && let Some(i) = text.find("code is ")
        {
            code = Some(text[i + 8..i + 14].to_owned());
        }
    }
    let (s, _) = post(
        c,
        format!("{base}/auth/signup/verify"),
        None,
        json!({"email": email, "code": code.unwrap()}),
    )
    .await;
    assert_eq!(s, 201);
}

/// Logs in and returns the account access token.
pub async fn login(c: &reqwest::Client, base: &str, email: &str, pw: &str) -> String {
    let (s, body) = post(
        c,
        format!("{base}/auth/login"),
        None,
        json!({"email": email, "password": pw}),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// Signs up, logs in, creates workspace `slug`; returns (account token, workspace token).
pub async fn admin_of(
    t: &Tarello,
    base: &str,
    c: &reqwest::Client,
    email: &str,
    pw: &str,
    slug: &str,
) -> (String, String) {
    signed_up(t, base, c, email, pw).await;
    let access = login(c, base, email, pw).await;
    let (s, body) = post(
        c,
        format!("{base}/workspaces"),
        Some(&access),
        json!({"slug": slug, "name": slug}),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let ws = workspace_token(c, base, &access, slug).await;
    (access, ws)
}

pub async fn workspace_token(c: &reqwest::Client, base: &str, access: &str, slug: &str) -> String {
    let (s, tok) = post(
        c,
        format!("{base}/workspaces/{slug}/token"),
        Some(access),
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{tok}");
    tok["access_token"].as_str().unwrap().to_owned()
}

/// The schema of the workspace `slug` (for tests that look at rows as the
/// superuser).
pub async fn schema_of(su: &mut sqlx::PgConnection, slug: &str) -> String {
    sqlx::query_scalar("SELECT schema_name FROM control.workspace WHERE slug = $1")
        .bind(slug)
        .fetch_one(su)
        .await
        .unwrap()
}

/// Adds an existing user to a workspace directly in the database (there is
/// no invitation flow yet).
pub async fn add_member(su: &mut sqlx::PgConnection, slug: &str, email: &str, role: &str) {
    // Membership changes are audited and need an actor, even here.
    sqlx::query("SET tarello.actor_kind = 'system'")
        .execute(&mut *su)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO control.membership (workspace_id, user_id, role, active, created_at, changed_at) \
         SELECT w.workspace_id, u.user_id, $3, true, now(), date_trunc('second', now()) \
         FROM control.workspace w, control.user_account u WHERE w.slug = $1 AND u.email = $2",
    )
    .bind(slug)
    .bind(email)
    .bind(role)
    .execute(su)
    .await
    .unwrap();
}

/// A migrated database and a running `serve` on it, with a client.
pub struct Running {
    pub tdb: tarello_testkit::TestDb,
    pub t: Tarello,
    pub srv: crate::common::Server,
    pub base: String,
    pub c: reqwest::Client,
}

pub async fn running() -> Running {
    let tdb = tarello_testkit::fresh_database().await;
    let t = Tarello::external(&tdb);
    t.ok(&["migrate"]);
    let srv = t.serve().await;
    let base = srv.url("/api/v1");
    Running {
        tdb,
        t,
        srv,
        base,
        c: reqwest::Client::new(),
    }
}
