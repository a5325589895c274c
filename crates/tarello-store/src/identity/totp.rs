//! TOTP state of a user. Replay protection is one conditional update: a
//! step is accepted only if it is newer than the last accepted one, so the
//! same code cannot be used twice, even by two concurrent logins.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Db, StoreError};

/// Stores a new (not yet confirmed) secret, replacing any unconfirmed one.
pub async fn set_pending_secret(
    db: &Db,
    user_id: Uuid,
    secret_enc: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE control.user_account SET totp_secret = $2, totp_last_step = NULL \
         WHERE user_id = $1 AND NOT totp_enabled",
    )
    .bind(user_id)
    .bind(secret_enc)
    .execute(db.app())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Accepts `step` if it is newer than the last one; with `enable`, also
/// turns TOTP on. False means a replay (or an older step).
pub async fn accept_step(
    db: &Db,
    user_id: Uuid,
    step: i64,
    enable: bool,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE control.user_account SET totp_last_step = $2, totp_enabled = totp_enabled OR $3 \
         WHERE user_id = $1 AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $2)",
    )
    .bind(user_id)
    .bind(step)
    .bind(enable)
    .execute(db.app())
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn disable(db: &Db, user_id: Uuid) -> Result<(), StoreError> {
    let mut tx = db.app().begin().await?;
    sqlx::query(
        "UPDATE control.user_account SET totp_enabled = false, totp_secret = NULL, totp_last_step = NULL WHERE user_id = $1",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM control.recovery_code WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the user's recovery codes.
pub async fn set_recovery_codes(
    db: &Db,
    user_id: Uuid,
    hashes: &[String],
) -> Result<(), StoreError> {
    let mut tx = db.app().begin().await?;
    sqlx::query("DELETE FROM control.recovery_code WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO control.recovery_code (user_id, code_hash) SELECT $1, unnest($2::text[])",
    )
    .bind(user_id)
    .bind(hashes)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Uses a recovery code once; false when unknown or already used.
pub async fn use_recovery_code(
    db: &Db,
    user_id: Uuid,
    code_hash: &str,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE control.recovery_code SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(user_id)
    .bind(code_hash)
    .bind(now)
    .execute(db.app())
    .await?;
    Ok(r.rows_affected() == 1)
}
