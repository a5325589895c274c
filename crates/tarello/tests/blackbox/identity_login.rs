//! Login lockout over HTTP (ACC-3): per account and per client IP, the same
//! answers whether or not the account exists, spoofed forwarding headers
//! ignored, and no way around the cap by racing.

use futures::future::join_all;
use serde_json::json;

use crate::identity::{PW, start};

const WRONG: &str = "not the right password 9";

// proves: ACC-3
#[tokio::test]
async fn five_wrong_passwords_lock_the_account_even_for_the_right_one() {
    let e = start().await;
    e.secret(WRONG);
    e.register("ada@example.com", PW, "Ada Lovelace").await;

    // 4 wrong, 1 right (resets), 4 wrong: still only 401s.
    let mut bad = None;
    for _ in 0..4 {
        let r = e.try_login("ada@example.com", WRONG).await;
        let body = r.problem(401, "bad-credentials");
        assert!(r.headers.get("retry-after").is_none());
        assert_eq!(*bad.get_or_insert_with(|| body.clone()), body);
    }
    let bad = bad.unwrap();
    e.login("ada@example.com", PW).await;
    for _ in 0..4 {
        let r = e.try_login("ada@example.com", WRONG).await;
        assert_eq!(r.problem(401, "bad-credentials"), bad, "not locked yet");
    }
    // The 5th consecutive failure locks; the attempt after it, even with
    // the right password, is refused with Retry-After.
    assert_eq!(
        e.try_login("ada@example.com", WRONG)
            .await
            .problem(401, "bad-credentials"),
        bad
    );
    let locked = e.try_login("ada@example.com", PW).await;
    let (locked_body, retry) = locked.throttled();
    assert!(retry <= 30, "the first lock is 30 s, not {retry}");
    assert!(!locked.text.contains("access_token"));
    // Any spelling of the address is the same account.
    let (b, _) = e.try_login("  ADA@Example.com", PW).await.throttled();
    assert_eq!(b, locked_body);

    // An unknown address: the very same 401 body, then the same 429.
    for i in 0..5 {
        let r = e.try_login("nobody@example.com", WRONG).await;
        assert_eq!(r.status, 401, "attempt {}", i + 1);
        assert_eq!(
            r.json(),
            bad,
            "an unknown email answers like a wrong password"
        );
        assert_eq!(r.headers["content-type"], "application/problem+json");
    }
    let r = e.try_login("nobody@example.com", WRONG).await;
    let (ghost_body, ghost_retry) = r.throttled();
    assert_eq!(ghost_body, locked_body, "locked looks the same either way");
    assert!((1..=30).contains(&ghost_retry), "{ghost_retry}");

    // The lock is per account: another account from the same IP still
    // logs in (14 IP failures so far, under the IP threshold).
    e.register("bob@example.com", PW, "Bob Builder").await;
    e.login("bob@example.com", PW).await;
    e.assert_log_clean().await;
}

// proves: ACC-3
#[tokio::test]
async fn spoofed_forwarding_headers_neither_reset_nor_dodge_the_limits() {
    let e = start().await;
    e.secret(WRONG);
    e.register("ada@example.com", PW, "Ada Lovelace").await;
    e.register("carol@example.com", PW, "Carol Shaw").await;

    let spoof = |i: u32| {
        let ip = format!("203.0.113.{i}");
        [
            ("x-forwarded-for", ip.clone()),
            ("x-real-ip", ip.clone()),
            ("forwarded", format!("for={ip}")),
            ("true-client-ip", ip.clone()),
            ("cf-connecting-ip", ip),
        ]
    };
    let login = |email: &str, pw: &str, i: u32| {
        let mut req =
            e.c.post(e.srv.url("/api/v1/auth/login"))
                .json(&json!({ "email": email, "password": pw }));
        for (h, v) in spoof(i) {
            req = req.header(h, v);
        }
        e.send(req)
    };

    // Per account: five failures "from five addresses" are five failures.
    for i in 1..=5 {
        login("ada@example.com", WRONG, i)
            .await
            .problem(401, "bad-credentials");
    }
    let (_, retry) = login("ada@example.com", PW, 99).await.throttled();
    assert!(retry <= 30);

    // Per IP: 20 failures in all from this socket lock it, for every
    // account, whatever the headers claim. Ada's 5 count; 15 more here.
    for i in 0..15 {
        login(&format!("ghost{i}@example.com"), WRONG, 100 + i)
            .await
            .problem(401, "bad-credentials");
    }
    login("newcomer@example.com", WRONG, 200).await.throttled();
    let (_, retry) = login("carol@example.com", PW, 201).await.throttled();
    assert!(retry <= 30, "{retry}");
    // Without any forwarding header, the same.
    e.try_login("carol@example.com", PW).await.throttled();
    e.assert_log_clean().await;
}

/// The cap holds under concurrency: attempts sent together must not all be
/// checked against the password because none of them has failed *yet*.
// proves: ACC-3
#[tokio::test]
async fn concurrent_wrong_passwords_cannot_outrun_the_lockout() {
    let e = start().await;
    e.secret(WRONG);
    e.register("dan@example.com", PW, "Dan Bricklin").await;
    // 14 wrong guesses and the right one last, all at once (14 IP failures
    // stay under the IP threshold, so only the account lock is in play).
    let mut guesses: Vec<&str> = vec![WRONG; 14];
    guesses.push(PW);
    let replies = join_all(guesses.iter().map(|pw| e.try_login("dan@example.com", pw))).await;
    let judged = replies
        .iter()
        .filter(|r| r.status == 401 || r.status == 200)
        .count();
    let refused = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!(
        judged + refused,
        15,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        judged <= 5,
        "{judged} of 15 concurrent guesses were checked against the password \
         (at most 5 may be); the right one got {}",
        replies[14].status
    );
    e.assert_log_clean().await;
}
