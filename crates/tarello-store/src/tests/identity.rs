//! Identity state in the store, with explicit times: the login throttle's
//! escalating locks (ACC-3), the one-time-code attempt cap under concurrent
//! guesses (ACC-4) and refresh-token reuse detection (ACC-10).

use futures::future::join_all;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{env, env_with_pool};
use crate::identity::codes::{self, Attempt};
use crate::identity::sessions::{self, Refresh, TokenHashes};
use crate::identity::{throttle, users};

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
}

async fn locked_until(db: &crate::Db, key: &str, now: OffsetDateTime) -> Option<OffsetDateTime> {
    throttle::locked_until(db, &[key.to_owned()], now)
        .await
        .unwrap()
}

/// Four failures at `now` (no lock), then the fifth; returns its lock.
async fn five_failures(db: &crate::Db, key: &str, now: OffsetDateTime) -> OffsetDateTime {
    for i in 1..=4 {
        assert_eq!(
            throttle::record_failure(db, key, 5, now).await.unwrap(),
            None,
            "failure {i} does not lock"
        );
        assert_eq!(locked_until(db, key, now).await, None);
    }
    throttle::record_failure(db, key, 5, now)
        .await
        .unwrap()
        .expect("the 5th failure locks")
}

// proves: ACC-3
#[tokio::test]
async fn failures_lock_at_the_fifth_for_30_s_then_doubling_up_to_an_hour() {
    let e = env().await;
    let key = "account:ada@example.com";
    let mut now = t0();
    let mut expected = Vec::new();
    for lock in 0..10 {
        let until = five_failures(&e.db, key, now).await;
        let secs = (30i64 << lock).min(3600);
        expected.push(secs);
        assert_eq!(until, now + Duration::seconds(secs), "lock {}", lock + 1);
        // What is stored agrees with what was returned.
        assert_eq!(locked_until(&e.db, key, now).await, Some(until));
        assert_eq!(
            locked_until(&e.db, key, until - Duration::seconds(1)).await,
            Some(until)
        );
        // The lock passes by itself.
        assert_eq!(locked_until(&e.db, key, until).await, None);
        assert_eq!(
            locked_until(&e.db, key, until + Duration::seconds(1)).await,
            None
        );
        now = until + Duration::seconds(1);
    }
    assert_eq!(
        expected,
        [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    );

    // Other keys are untouched; the latest lock among several keys counts.
    let ip = "ip:127.0.0.1";
    assert_eq!(locked_until(&e.db, ip, now).await, None);
    let account_until = five_failures(&e.db, key, now).await;
    assert_eq!(account_until, now + Duration::seconds(3600));
    let ip_until = five_failures(&e.db, ip, now).await;
    assert_eq!(ip_until, now + Duration::seconds(30));
    let both = throttle::locked_until(&e.db, &[key.to_owned(), ip.to_owned()], now)
        .await
        .unwrap();
    assert_eq!(both, Some(account_until));
    let after_ip = ip_until + Duration::seconds(1);
    let both = throttle::locked_until(&e.db, &[ip.to_owned()], after_ip)
        .await
        .unwrap();
    assert_eq!(both, None);

    // reset clears the lock and its history: the next lock is 30 s again.
    throttle::reset(&e.db, key).await.unwrap();
    assert_eq!(locked_until(&e.db, key, now).await, None);
    let until = five_failures(&e.db, key, now).await;
    assert_eq!(until, now + Duration::seconds(30));
    // Resetting a key that has no row is fine.
    throttle::reset(&e.db, "account:nobody@example.com")
        .await
        .unwrap();
}

// proves: ACC-3
#[tokio::test]
async fn a_success_between_failures_starts_the_count_again() {
    let e = env().await;
    let key = "account:bob@example.com";
    let now = t0();
    for _ in 0..4 {
        assert_eq!(
            throttle::record_failure(&e.db, key, 5, now).await.unwrap(),
            None
        );
    }
    throttle::reset(&e.db, key).await.unwrap();
    for _ in 0..4 {
        assert_eq!(
            throttle::record_failure(&e.db, key, 5, now).await.unwrap(),
            None
        );
    }
    assert_eq!(locked_until(&e.db, key, now).await, None);
    assert!(
        throttle::record_failure(&e.db, key, 5, now)
            .await
            .unwrap()
            .is_some()
    );
}

// proves: ACC-3
#[tokio::test]
async fn concurrent_failures_are_all_counted() {
    let e = env_with_pool(8).await;
    let key = "ip:192.0.2.1";
    let now = t0();
    let locks = join_all((0..40).map(|_| throttle::record_failure(&e.db, key, 20, now))).await;
    let locks: Vec<_> = locks.into_iter().map(Result::unwrap).collect();
    // 40 failures at threshold 20: exactly two locks (30 s, then 60 s).
    let mut got: Vec<OffsetDateTime> = locks.into_iter().flatten().collect();
    got.sort();
    assert_eq!(
        got,
        [now + Duration::seconds(30), now + Duration::seconds(60)]
    );
}

// proves: ACC-4
#[tokio::test]
async fn a_code_is_compared_at_most_its_attempts_under_concurrency() {
    let e = env_with_pool(10).await;
    let now = t0();
    let expires = now + Duration::minutes(15);
    codes::put(&e.db, "reset", "ada@example.com", "hash-1", 5, expires, now)
        .await
        .unwrap();
    let tries =
        join_all((0..60).map(|_| codes::attempt(&e.db, "reset", "ada@example.com", now))).await;
    let mut compared = Vec::new();
    let mut exhausted = 0;
    for t in tries {
        match t.unwrap() {
            Attempt::Compare {
                code_hash,
                attempts_left,
            } => {
                assert_eq!(code_hash, "hash-1");
                compared.push(attempts_left);
            }
            Attempt::Exhausted => exhausted += 1,
            Attempt::NoCode => panic!("the code exists"),
        }
    }
    compared.sort_unstable();
    assert_eq!(compared, [0, 1, 2, 3, 4], "each attempt handed out once");
    assert_eq!(exhausted, 55);

    // Expired: no code at all, whatever its attempts.
    codes::put(&e.db, "reset", "bob@example.com", "hash-2", 5, expires, now)
        .await
        .unwrap();
    assert_eq!(
        codes::attempt(&e.db, "reset", "bob@example.com", expires)
            .await
            .unwrap(),
        Attempt::NoCode
    );
    // Purposes are separate; a code is consumed once; a new one replaces it
    // with fresh attempts.
    assert_eq!(
        codes::attempt(&e.db, "signup", "ada@example.com", now)
            .await
            .unwrap(),
        Attempt::NoCode
    );
    assert!(
        codes::consume(&e.db, "reset", "ada@example.com", "hash-1")
            .await
            .unwrap()
    );
    assert!(
        !codes::consume(&e.db, "reset", "ada@example.com", "hash-1")
            .await
            .unwrap()
    );
    assert_eq!(
        codes::attempt(&e.db, "reset", "ada@example.com", now)
            .await
            .unwrap(),
        Attempt::NoCode
    );
    codes::put(&e.db, "reset", "ada@example.com", "hash-3", 5, expires, now)
        .await
        .unwrap();
    assert_eq!(
        codes::attempt(&e.db, "reset", "ada@example.com", now)
            .await
            .unwrap(),
        Attempt::Compare {
            code_hash: "hash-3".into(),
            attempts_left: 4
        }
    );
    // A consume with a stale hash does nothing.
    assert!(
        !codes::consume(&e.db, "reset", "ada@example.com", "hash-1")
            .await
            .unwrap()
    );
}

fn hashes(n: u32, now: OffsetDateTime) -> TokenHashes {
    TokenHashes {
        refresh_hash: format!("refresh-{n}"),
        access_hash: format!("access-{n}"),
        access_expires_at: now + Duration::minutes(15),
    }
}

// proves: ACC-10
#[tokio::test]
async fn a_spent_refresh_token_coming_back_revokes_the_session() {
    let e = env().await;
    let now = OffsetDateTime::now_utc();
    let user = Uuid::now_v7();
    assert!(
        users::insert(
            &e.db,
            user,
            "ada@example.com",
            "Ada",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            now
        )
        .await
        .unwrap()
    );
    let sid = Uuid::now_v7();
    sessions::create(
        &e.db,
        sid,
        user,
        &hashes(1, now),
        now,
        now + Duration::days(30),
        (Some("127.0.0.1"), None),
    )
    .await
    .unwrap();
    assert!(
        sessions::by_access_token(&e.db, "access-1", now)
            .await
            .unwrap()
            .is_some()
    );
    let Refresh::Rotated(row) = sessions::rotate(&e.db, "refresh-1", &hashes(2, now), now)
        .await
        .unwrap()
    else {
        panic!("a live token rotates")
    };
    assert_eq!(row.session_id, sid);
    assert!(
        sessions::by_access_token(&e.db, "access-1", now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        sessions::by_access_token(&e.db, "access-2", now)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        sessions::rotate(&e.db, "refresh-1", &hashes(3, now), now)
            .await
            .unwrap(),
        Refresh::Reused {
            session_id: sid,
            user_id: user
        }
    );
    assert!(!sessions::is_live(&e.db, sid, user, now).await.unwrap());
    assert!(
        sessions::by_access_token(&e.db, "access-2", now)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        sessions::rotate(&e.db, "refresh-2", &hashes(4, now), now)
            .await
            .unwrap(),
        Refresh::Dead
    );
    assert_eq!(
        sessions::rotate(&e.db, "refresh-unknown", &hashes(5, now), now)
            .await
            .unwrap(),
        Refresh::Unknown
    );
}
