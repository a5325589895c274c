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
