//! Password reset over HTTP (ACC-4): the same answer for any address, a
//! mailed code that works once and ends every session, an attempt cap that
//! holds under 100 concurrent guesses, and an hourly cap on codes.

use futures::future::join_all;
use serde_json::json;

use crate::common;
use crate::identity::{PW, PW2, other_code, start};

const RESET_SUBJECT: &str = "Your Tarello password reset code";

// proves: ACC-4
#[tokio::test]
async fn a_reset_code_works_once_ends_every_session_and_resists_guessing() {
    let e = start().await;
    e.within_one_hour_window().await;
    e.secret(PW2);
    e.register("ada@example.com", PW, "Ada Lovelace").await;
    let s1 = e.login("ada@example.com", PW).await;
    let s2 = e.login("ada@example.com", PW).await;
    let before = e.mails().len();

    // Known, unknown and malformed addresses: the same answer.
    let known = e
        .post(
            "/api/v1/auth/password-reset",
            json!({ "email": "ADA@example.com " }),
        )
        .await;
    let unknown = e
        .post(
            "/api/v1/auth/password-reset",
            json!({ "email": "nobody@example.com" }),
        )
        .await;
    let malformed = e
        .post(
            "/api/v1/auth/password-reset",
            json!({ "email": "not an address" }),
        )
        .await;
    assert_eq!(known.status, 202);
    for r in [&unknown, &malformed] {
        assert_eq!(r.status, known.status);
        assert_eq!(r.text, known.text);
        assert_eq!(r.headers["content-type"], known.headers["content-type"]);
    }
    let new = e.mails().split_off(before);
    assert_eq!(new.len(), 1, "one mail, to the known address: {new:?}");
    assert_eq!(new[0].to, "ada@example.com");
    assert_eq!(new[0].subject, RESET_SUBJECT);
    assert!(!new[0].body.contains(PW), "a mail never holds a password");
    let code = common::code_in(&new[0].body).expect("a 6-digit code");
    e.secret(&code);

    let confirm = |code: String, pw: &'static str| {
        e.post(
            "/api/v1/auth/password-reset/confirm",
            json!({ "email": "ada@example.com", "code": code, "new_password": pw }),
        )
    };
    // A weak new password: 422 on the field, the code not spent.
    let r = confirm(code.clone(), "password123").await;
    let body = r.problem(422, "invalid-body");
    assert_eq!(body["errors"][0]["field"], "password");
    assert!(!r.text.contains("password123"));
    // A wrong code: 400, nothing changes.
    confirm(other_code(&code, 0), PW2)
        .await
        .problem(400, "bad-code");
    e.me(&s1.access).await.expect(200);

    // The right code: 204; the old password is dead, the new one works,
    // and every session that existed is over.
    let r = confirm(code.clone(), PW2).await;
    assert_eq!(r.status, 204, "{}", r.text);
    e.try_login("ada@example.com", PW)
        .await
        .problem(401, "bad-credentials");
    let s3 = e.login("ada@example.com", PW2).await;
    for s in [&s1, &s2] {
        e.me(&s.access).await.unauthenticated();
        e.refresh(&s.refresh).await.unauthenticated();
    }
    e.me(&s3.access).await.expect(200);
    // The code worked once.
    confirm(code.clone(), PW2).await.problem(400, "bad-code");
    let notice = e.mails_to("ada@example.com");
    let last = notice.last().unwrap();
    assert_eq!(last.subject, "Your Tarello password was changed");
    assert!(!last.body.contains(PW2));

    // 100 concurrent wrong guesses at a fresh code: exactly 5 are compared
    // (400), the other 95 find the attempts spent (429).
    e.post(
        "/api/v1/auth/password-reset",
        json!({ "email": "ada@example.com" }),
    )
    .await
    .expect(202);
    let mail = e.mails_to("ada@example.com");
    let mail = mail
        .iter()
        .rev()
        .find(|m| m.subject == RESET_SUBJECT)
        .unwrap();
    let code2 = common::code_in(&mail.body).unwrap();
    e.secret(&code2);
    assert_ne!(code2, code);
    let guesses: Vec<String> = (0..100).map(|i| other_code(&code2, i)).collect();
    assert!(!guesses.contains(&code2));
    let replies = join_all(guesses.into_iter().map(|g| confirm(g, PW))).await;
    let bad = replies.iter().filter(|r| r.status == 400).count();
    let spent = replies.iter().filter(|r| r.status == 429).count();
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!((bad, spent), (5, 95), "{statuses:?}");
    for r in &replies {
        if r.status == 400 {
            r.problem(400, "bad-code");
        } else {
            r.throttled();
        }
    }
    // Now even the right code is refused, and the password is unchanged.
    confirm(code2.clone(), PW).await.throttled();
    e.try_login("ada@example.com", PW)
        .await
        .problem(401, "bad-credentials");
    e.login("ada@example.com", PW2).await;

    // At most 3 codes an hour: the 3rd request mails, the 4th does not,
    // and answers the same.
    let codes_sent = || {
        e.mails_to("ada@example.com")
            .iter()
            .filter(|m| m.subject == RESET_SUBJECT)
            .count()
    };
    assert_eq!(codes_sent(), 2);
    let third = e
        .post(
            "/api/v1/auth/password-reset",
            json!({ "email": "ada@example.com" }),
        )
        .await;
    assert_eq!(third.text, known.text);
    assert_eq!(codes_sent(), 3);
    let fourth = e
        .post(
            "/api/v1/auth/password-reset",
            json!({ "email": "ada@example.com" }),
        )
        .await;
    assert_eq!(
        (fourth.status, fourth.text.as_str()),
        (202, known.text.as_str())
    );
    assert_eq!(codes_sent(), 3, "a 4th code within the hour is not sent");
    for m in e
        .mails_to("ada@example.com")
        .iter()
        .filter(|m| m.subject == RESET_SUBJECT)
    {
        let c = common::code_in(&m.body).unwrap();
        e.secret(&c);
        assert!(!m.body.contains(PW) && !m.body.contains(PW2));
    }
    e.assert_log_clean().await;
}
