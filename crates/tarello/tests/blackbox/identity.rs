//! Identity over HTTP: signup with an emailed code, password rules, and the
//! shared helpers of the `identity_*` siblings (login lockout, password
//! reset, sessions, workspaces and their tokens).

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tarello_testkit::TestDb;

use crate::common::{self, Mail, Server, Tarello};

/// A strong password (for zxcvbn) used across the identity tests.
pub const PW: &str = "correct horse battery staple 42";
pub const PW2: &str = "violet kestrel under amber 1987";

/// One running server on a fresh database, a client, and every secret the
/// test handled (passwords, codes, tokens) for the final log check.
/// Fields drop in order: the server stops before its directory goes.
pub struct Env {
    pub srv: Server,
    pub c: reqwest::Client,
    pub t: Tarello,
    pub tdb: TestDb,
    secrets: Mutex<Vec<String>>,
}

pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Insists on this status; returns the body.
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        if self.text.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }

    /// Insists on a problem+json with this status and code.
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.headers["content-type"], "application/problem+json",
            "{}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["status"], status);
        assert_eq!(body["code"], code, "{}", self.text);
        assert_eq!(body["type"], format!("/problems/{code}"));
        body
    }

    /// Insists on 429 too-many-attempts; returns the body and Retry-After.
    pub fn throttled(&self) -> (Value, i64) {
        let body = self.problem(429, "too-many-attempts");
        let retry: i64 = self
            .headers
            .get("retry-after")
            .unwrap_or_else(|| panic!("429 without Retry-After: {:?}", self.headers))
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry >= 1, "Retry-After {retry}");
        (body, retry)
    }

    /// Insists on 401 unauthenticated with a Bearer challenge.
    pub fn unauthenticated(&self) {
        self.problem(401, "unauthenticated");
        assert_eq!(self.headers["www-authenticate"], "Bearer");
    }
}

/// Tokens from login or refresh.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// Seconds until the current fixed hour window (the hourly limits') ends.
fn secs_to_hour_end() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    3600 - now % 3600
}

pub async fn start() -> Env {
    let tdb = tarello_testkit::fresh_database().await;
    let t = Tarello::external(&tdb);
    t.ok(&["migrate"]);
    let srv = t.serve().await;
    Env {
        srv,
        c: reqwest::Client::new(),
        t,
        tdb,
        secrets: Mutex::new(Vec::new()),
    }
}

impl Env {
    pub fn secret(&self, s: &str) {
        self.secrets.lock().unwrap().push(s.to_owned());
    }

    /// Tests that count against an hourly window must not straddle two
    /// windows: when fewer than two minutes are left, wait for the next.
    pub async fn within_one_hour_window(&self) {
        let left = secs_to_hour_end();
        if left < 120 {
            tokio::time::sleep(Duration::from_secs(left + 1)).await;
        }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let r = req.send().await.unwrap();
        Reply {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            text: r.text().await.unwrap(),
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(self.c.post(self.srv.url(path)).json(&body)).await
    }

    pub async fn post_auth(&self, path: &str, token: &str, body: Option<Value>) -> Reply {
        let mut req = self.c.post(self.srv.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> Reply {
        self.send(self.c.get(self.srv.url(path)).bearer_auth(token))
            .await
    }

    pub async fn delete_auth(&self, path: &str, token: &str) -> Reply {
        self.send(self.c.delete(self.srv.url(path)).bearer_auth(token))
            .await
    }

    pub fn mails(&self) -> Vec<Mail> {
        common::outbox(&self.t.data_dir())
    }

    pub fn mails_to(&self, to: &str) -> Vec<Mail> {
        self.mails().into_iter().filter(|m| m.to == to).collect()
    }

    pub async fn signup(&self, email: &str, password: &str, name: &str) -> Reply {
        self.post(
            "/api/v1/auth/signup",
            json!({ "email": email, "password": password, "name": name }),
        )
        .await
    }

    /// The code of the newest sign-up mail to `to`.
    pub fn signup_code(&self, to: &str) -> String {
        let mail = self
            .mails_to(to)
            .into_iter()
            .rev()
            .find(|m| m.subject == "Your Tarello sign-up code")
            .unwrap_or_else(|| panic!("no sign-up mail to {to}"));
        let code = common::code_in(&mail.body).unwrap();
        self.secret(&code);
        code
    }

    /// Signs up and verifies; returns the user id.
    pub async fn register(&self, email: &str, password: &str, name: &str) -> String {
        self.secret(password);
        self.signup(email, password, name).await.expect(202);
        let code = self.signup_code(email);
        let body = self
            .post(
                "/api/v1/auth/signup/verify",
                json!({ "email": email, "code": code }),
            )
            .await
            .expect(201);
        body["user"]["id"].as_str().unwrap().to_owned()
    }

    pub async fn try_login(&self, email: &str, password: &str) -> Reply {
        self.post(
            "/api/v1/auth/login",
            json!({ "email": email, "password": password }),
        )
        .await
    }

    pub fn tokens(&self, body: &Value) -> Tokens {
        let access = body["access_token"].as_str().unwrap().to_owned();
        let refresh = body["refresh_token"].as_str().unwrap().to_owned();
        assert!(access.starts_with("tra_"), "{access}");
        assert!(refresh.starts_with("trr_"), "{refresh}");
        assert_ne!(access, refresh);
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["expires_in"].as_i64().unwrap() > 0);
        self.secret(&access);
        self.secret(&refresh);
        Tokens { access, refresh }
    }

    pub async fn login(&self, email: &str, password: &str) -> Tokens {
        let body = self.try_login(email, password).await.expect(200);
        self.tokens(&body)
    }

    pub async fn refresh(&self, refresh: &str) -> Reply {
        self.post("/api/v1/auth/refresh", json!({ "refresh_token": refresh }))
            .await
    }

    pub async fn me(&self, access: &str) -> Reply {
        self.get_auth("/api/v1/me", access).await
    }

    /// ENC-6: after the flows, the serve log holds none of the secrets the
    /// test used. Waits first for the last request's id to be logged.
    pub async fn assert_log_clean(&self) {
        let r = self.send(self.c.get(self.srv.url("/healthz"))).await;
        let id = r.headers["x-request-id"].to_str().unwrap().to_owned();
        self.srv.wait_log_contains(&id).await;
        let log = self.srv.log_text();
        assert!(!log.is_empty());
        for s in self.secrets.lock().unwrap().iter() {
            assert!(
                !contains_word(&log, s),
                "the serve log holds a secret ({}…)",
                &s[..4.min(s.len())]
            );
        }
    }
}

/// `needle` occurs in `hay`; a short numeric code only counts when not
/// glued to other letters or digits (not inside a timestamp or a UUID).
fn contains_word(hay: &str, needle: &str) -> bool {
    if !(needle.len() <= 8 && needle.chars().all(|c| c.is_ascii_digit())) {
        return hay.contains(needle);
    }
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    hay.match_indices(needle).any(|(i, _)| {
        !word(hay[..i].chars().next_back()) && !word(hay[i + needle.len()..].chars().next())
    })
}

/// A 6-digit code that is not `code`.
pub fn other_code(code: &str, n: u32) -> String {
    let c: u32 = code.parse().unwrap();
    format!("{:06}", (c + 1 + n) % 1_000_000)
}

// proves: ACC-5, ACC-7, EDGE-4
#[tokio::test]
async fn signup_mails_a_code_verify_creates_the_account_and_login_works() {
    let e = start().await;
    e.within_one_hour_window().await;
    e.secret(PW);
    let first = e.signup("  Ada@Example.COM ", PW, "Ada Lovelace").await;
    let answer = first.expect(202);

    let mails = e.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, "ada@example.com", "the address is normalised");
    assert_eq!(mails[0].subject, "Your Tarello sign-up code");
    assert!(!mails[0].body.contains(PW));
    let code = e.signup_code("ada@example.com");

    // The pending row holds the name and the hash only encrypted.
    let mut su = e.tdb.superuser().await;
    let payload: String =
        sqlx::query_scalar("SELECT payload FROM control.pending_signup WHERE email = $1")
            .bind("ada@example.com")
            .fetch_one(&mut su)
            .await
            .unwrap();
    assert!(payload.starts_with("f1:"), "{payload}");
    for plain in ["Ada Lovelace", "Lovelace", "$argon2", "argon2id", PW] {
        assert!(
            !payload.contains(plain),
            "the pending payload shows {plain}"
        );
    }
    assert!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM control.user_account")
            .fetch_one(&mut su)
            .await
            .unwrap()
            == 0,
        "no account before the code is verified"
    );

    // A wrong code is refused and creates nothing.
    let wrong = other_code(&code, 0);
    e.post(
        "/api/v1/auth/signup/verify",
        json!({ "email": "ada@example.com", "code": wrong }),
    )
    .await
    .problem(400, "bad-code");
    e.try_login("ada@example.com", PW)
        .await
        .problem(401, "bad-credentials");

    let created = e
        .post(
            "/api/v1/auth/signup/verify",
            json!({ "email": "ADA@example.com", "code": code }),
        )
        .await
        .expect(201);
    assert_eq!(created["user"]["email"], "ada@example.com");
    assert_eq!(created["user"]["name"], "Ada Lovelace");
    let id = created["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36);
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM control.pending_signup) + (SELECT count(*) FROM control.one_time_code)",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(left, 0, "the pending signup and its code are gone");
    // The code worked once; never again.
    e.post(
        "/api/v1/auth/signup/verify",
        json!({ "email": "ada@example.com", "code": code }),
    )
    .await
    .problem(400, "bad-code");

    let tokens = e.login(" ADA@EXAMPLE.com", PW).await;
    let me = e.me(&tokens.access).await.expect(200);
    assert_eq!(
        me,
        json!({ "id": id, "email": "ada@example.com", "name": "Ada Lovelace" })
    );

    // ACC-7: the same address in any case or spacing is the same identity;
    // signing up again answers exactly as for a new address, and mails a
    // notice, never a code.
    let impostor = "another strong passphrase 77";
    e.secret(impostor);
    for variant in ["ada@example.com", "  ADA@EXAMPLE.COM  ", "Ada@Example.Com"] {
        let before = e.mails().len();
        let again = e.signup(variant, impostor, "Impostor").await;
        assert_eq!(again.status, first.status);
        assert_eq!(again.expect(202), answer, "same body as a new address");
        let new: Vec<Mail> = e.mails().split_off(before);
        assert_eq!(new.len(), 1, "{new:?}");
        assert_eq!(new[0].to, "ada@example.com");
        assert_eq!(new[0].subject, "Someone tried to sign up with your address");
        assert!(common::code_in(&new[0].body).is_none(), "{}", new[0].body);
        assert!(!new[0].body.contains("code is"));
        assert!(!new[0].body.contains(impostor));
    }
    let (users, pending): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM control.user_account), (SELECT count(*) FROM control.pending_signup)",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!((users, pending), (1, 0));
    e.try_login("ada@example.com", impostor)
        .await
        .problem(401, "bad-credentials");
    e.login("ada@example.com", PW).await;

    // The per-IP signup limit: 10 an hour; the 11th is refused.
    let done = 4; // Ada, and three attempts on her address.
    for i in done..10 {
        let r = e
            .signup(
                &format!("person{i}@example.org"),
                PW,
                &format!("Person {i}"),
            )
            .await;
        assert_eq!(r.expect(202), answer, "signup {}", i + 1);
    }
    let before = e.mails().len();
    let r = e.signup("eleventh@example.org", PW, "Eleventh").await;
    let (_, retry) = r.throttled();
    assert!(retry <= 3600, "Retry-After {retry}");
    assert_eq!(e.mails().len(), before, "a refused signup mails nothing");
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM control.pending_signup WHERE email = 'eleventh@example.org'",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(pending, 0);
    e.assert_log_clean().await;
}

// proves: ACC-2
#[tokio::test]
async fn weak_passwords_are_refused_with_the_field_and_never_echoed() {
    let e = start().await;
    let too_long = format!("{}Z", "Zq8!".repeat(64));
    assert_eq!(too_long.chars().count(), 257);
    let cases = [
        "Xk3#pq9".to_owned(),
        too_long,
        "password123".to_owned(),
        "qwertyuiop".to_owned(),
        "grace.hopper".to_owned(),
        "Grace Hopper".to_owned(),
    ];
    for pw in &cases {
        e.secret(pw);
        let r = e
            .signup("Grace.Hopper@example.com", pw, "Grace Hopper")
            .await;
        let body = r.problem(422, "invalid-body");
        assert_eq!(body["errors"][0]["field"], "password", "{pw}: {body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(
            !r.text.contains(pw.as_str()),
            "the password is echoed: {}",
            r.text
        );
    }
    assert!(e.mails().is_empty(), "a refused signup mails nothing");
    // The boundaries: 8 and 256 characters are fine.
    let eight = "Vq7#mZ2!";
    let max = format!("{}Zq8!", "Zq8!".repeat(63));
    assert_eq!(max.chars().count(), 256);
    e.secret(PW);
    for (i, pw) in [eight, max.as_str()].into_iter().enumerate() {
        e.secret(pw);
        e.signup(&format!("ok{i}@example.com"), pw, "Fine")
            .await
            .expect(202);
    }
    assert_eq!(e.mails().len(), 2);

    // A sign-up code has 5 attempts: then even the right code is refused,
    // and no account is made.
    e.signup("eve@example.com", PW, "Eve").await.expect(202);
    let code = e.signup_code("eve@example.com");
    let verify = |code: String| {
        e.post(
            "/api/v1/auth/signup/verify",
            json!({ "email": "eve@example.com", "code": code }),
        )
    };
    for i in 0..5 {
        verify(other_code(&code, i)).await.problem(400, "bad-code");
    }
    verify(code.clone()).await.throttled();
    let mut su = e.tdb.superuser().await;
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM control.user_account")
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert_eq!(users, 0);
    e.assert_log_clean().await;
}
