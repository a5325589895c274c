//! One-time codes, stored hashed. The attempt cap is one atomic decrement
//! (`UPDATE … SET attempts_left = attempts_left - 1 WHERE attempts_left > 0
//! RETURNING …`): under any number of concurrent guesses, at most
//! `attempts` of them ever get to compare.

use time::OffsetDateTime;

use crate::{Db, StoreError};

/// What a guess may be compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// This caller holds one of the attempts; compare against `code_hash`.
    Compare {
        code_hash: String,
        attempts_left: i32,
    },
    /// No live code (never issued, expired, or already used).
    NoCode,
    /// The code exists but its attempts are spent.
    Exhausted,
}

/// Issues a code, replacing any earlier one for the same purpose and subject.
pub async fn put(
    db: &Db,
    purpose: &str,
    subject: &str,
    code_hash: &str,
    attempts: i32,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO control.one_time_code (purpose, subject, code_hash, attempts_left, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (purpose, subject) DO UPDATE SET code_hash = EXCLUDED.code_hash, \
           attempts_left = EXCLUDED.attempts_left, expires_at = EXCLUDED.expires_at, created_at = EXCLUDED.created_at",
    )
    .bind(purpose)
    .bind(subject)
    .bind(code_hash)
    .bind(attempts)
    .bind(expires_at)
    .bind(now)
    .execute(db.app())
    .await?;
    Ok(())
}

/// Spends one attempt, atomically.
pub async fn attempt(
    db: &Db,
    purpose: &str,
    subject: &str,
    now: OffsetDateTime,
) -> Result<Attempt, StoreError> {
    let spent: Option<(String, i32)> = sqlx::query_as(
        "UPDATE control.one_time_code SET attempts_left = attempts_left - 1 \
         WHERE purpose = $1 AND subject = $2 AND attempts_left > 0 AND expires_at > $3 \
         RETURNING code_hash, attempts_left",
    )
    .bind(purpose)
    .bind(subject)
    .bind(now)
    .fetch_optional(db.app())
    .await?;
    if let Some((code_hash, attempts_left)) = spent {
        return Ok(Attempt::Compare {
            code_hash,
            attempts_left,
        });
    }
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM control.one_time_code WHERE purpose = $1 AND subject = $2 AND expires_at > $3)",
    )
    .bind(purpose)
    .bind(subject)
    .bind(now)
    .fetch_one(db.app())
    .await?;
    Ok(if exists {
        Attempt::Exhausted
    } else {
        Attempt::NoCode
    })
}

/// Consumes the code after a match; false when another request consumed
/// it first (so a code is used at most once).
pub async fn consume(
    db: &Db,
    purpose: &str,
    subject: &str,
    code_hash: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "DELETE FROM control.one_time_code WHERE purpose = $1 AND subject = $2 AND code_hash = $3",
    )
    .bind(purpose)
    .bind(subject)
    .bind(code_hash)
    .execute(db.app())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Counts a hit in a fixed window; returns the hits in the window including
/// this one. Used for "at most N per hour" limits.
pub async fn count_hit(
    db: &Db,
    bucket: &str,
    window_start: OffsetDateTime,
) -> Result<i32, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO control.rate_window (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = control.rate_window.hits + 1 \
         RETURNING hits",
    )
    .bind(bucket)
    .bind(window_start)
    .fetch_one(db.app())
    .await?)
}
