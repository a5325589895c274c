//! Failed-login throttling per account and per client IP. After
//! `threshold` consecutive failures the key is locked for 30 s, doubling
//! with each further lock up to one hour; locks expire by themselves. The
//! counter update and the lock decision are one statement.

use time::{Duration, OffsetDateTime};

use crate::{Db, StoreError};

/// Seconds of the first lock; each further lock doubles it.
pub const FIRST_LOCK_SECS: i64 = 30;
pub const MAX_LOCK_SECS: i64 = 3600;

/// The latest `locked_until` among `keys` that is still in the future.
pub async fn locked_until(
    db: &Db,
    keys: &[String],
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT max(locked_until) FROM control.login_throttle \
         WHERE throttle_key = ANY($1) AND locked_until > $2",
    )
    .bind(keys)
    .bind(now)
    .fetch_one(db.app())
    .await?)
}

/// Counts a failure; returns the new lock's end when this failure locked the key.
pub async fn record_failure(
    db: &Db,
    key: &str,
    threshold: i32,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, StoreError> {
    let (locked, lock_count): (bool, i32) = sqlx::query_as(
        "INSERT INTO control.login_throttle AS t (throttle_key, failures, lock_count, locked_until, updated_at) \
         VALUES ($1, 1, 0, NULL, $2) \
         ON CONFLICT (throttle_key) DO UPDATE SET \
           failures = CASE WHEN t.failures + 1 >= $3 THEN 0 ELSE t.failures + 1 END, \
           lock_count = CASE WHEN t.failures + 1 >= $3 THEN t.lock_count + 1 ELSE t.lock_count END, \
           locked_until = CASE WHEN t.failures + 1 >= $3 \
             THEN $2 + make_interval(secs => least($4 * power(2, t.lock_count), $5)) \
             ELSE t.locked_until END, \
           updated_at = $2 \
         RETURNING (failures = 0 AND locked_until > $2), lock_count",
    )
    .bind(key)
    .bind(now)
    .bind(threshold)
    .bind(FIRST_LOCK_SECS as f64)
    .bind(MAX_LOCK_SECS as f64)
    .fetch_one(db.app())
    .await?;
    if !locked {
        return Ok(None);
    }
    let secs = (FIRST_LOCK_SECS << (lock_count - 1).clamp(0, 16)).min(MAX_LOCK_SECS);
    Ok(Some(now + Duration::seconds(secs)))
}

/// A successful login clears the key's failures and lock history.
pub async fn reset(db: &Db, key: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM control.login_throttle WHERE throttle_key = $1")
        .bind(key)
        .execute(db.app())
        .await?;
    Ok(())
}

/// A failure count older than this is forgotten, so an office behind one
/// address does not drift towards hour-long locks over weeks of typos.
pub const FAILURE_MEMORY_SECS: i64 = 3600;
/// A lock history older than this is forgotten.
pub const LOCK_MEMORY_SECS: i64 = 24 * 3600;

/// Reserves one attempt on every key, before the (slow) credential check:
/// in one transaction with the keys' rows locked, refuses when any key is
/// locked, otherwise counts the attempt as a failure up front and locks a
/// key that reaches its threshold. So concurrent attempts cannot all slip
/// past the check before any failure is counted. On success the caller
/// calls [`settle_success`].
pub async fn begin_attempt(
    db: &Db,
    keys: &[(String, i32)],
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, StoreError> {
    let mut sorted: Vec<&(String, i32)> = keys.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<&str> = sorted.iter().map(|(k, _)| k.as_str()).collect();
    let mut tx = db.app().begin().await?;
    sqlx::query(
        "INSERT INTO control.login_throttle (throttle_key, failures, lock_count, locked_until, updated_at) \
         SELECT k, 0, 0, NULL, $2 FROM unnest($1::text[]) AS k ON CONFLICT (throttle_key) DO NOTHING",
    )
    .bind(&names)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let rows: Vec<(String, i32, i32, Option<OffsetDateTime>, OffsetDateTime)> = sqlx::query_as(
        "SELECT throttle_key, failures, lock_count, locked_until, updated_at FROM control.login_throttle \
         WHERE throttle_key = ANY($1) ORDER BY throttle_key FOR UPDATE",
    )
    .bind(&names)
    .fetch_all(&mut *tx)
    .await?;
    let locked = rows
        .iter()
        .filter_map(|r| r.3)
        .filter(|until| *until > now)
        .max();
    if locked.is_some() {
        tx.commit().await?;
        return Ok(locked);
    }
    for (key, failures, lock_count, locked_until, updated_at) in rows {
        let threshold = sorted
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, t)| *t)
            .unwrap_or(1);
        let failures = if now - updated_at > Duration::seconds(FAILURE_MEMORY_SECS) {
            0
        } else {
            failures
        };
        let lock_count = match locked_until {
            Some(until) if now - until > Duration::seconds(LOCK_MEMORY_SECS) => 0,
            _ => lock_count,
        };
        let (failures, lock_count, locked_until) = if failures + 1 >= threshold {
            let secs = (FIRST_LOCK_SECS << lock_count.clamp(0, 16)).min(MAX_LOCK_SECS);
            (0, lock_count + 1, Some(now + Duration::seconds(secs)))
        } else {
            (failures + 1, lock_count, locked_until)
        };
        sqlx::query(
            "UPDATE control.login_throttle SET failures = $2, lock_count = $3, locked_until = $4, updated_at = $5 \
             WHERE throttle_key = $1",
        )
        .bind(&key)
        .bind(failures)
        .bind(lock_count)
        .bind(locked_until)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(None)
}

/// The reserved attempt succeeded: the account's history is cleared and
/// the attempt taken back from the other keys (e.g. the client IP).
pub async fn settle_success(db: &Db, clear: &str, give_back: &[String]) -> Result<(), StoreError> {
    reset(db, clear).await?;
    sqlx::query(
        "UPDATE control.login_throttle SET failures = greatest(failures - 1, 0) WHERE throttle_key = ANY($1)",
    )
    .bind(give_back)
    .execute(db.app())
    .await?;
    Ok(())
}
