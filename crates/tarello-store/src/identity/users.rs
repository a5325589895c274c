//! Users: global, unique by normalised email.

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Db, StoreError};

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub totp_enabled: bool,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str =
    "user_id, email, name, password_hash, totp_enabled, totp_secret, totp_last_step, created_at";

/// Inserts a user; `Ok(false)` when the email is taken.
pub async fn insert(
    db: &Db,
    user_id: Uuid,
    email: &str,
    name: &str,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "INSERT INTO control.user_account (user_id, email, name, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING",
    )
    .bind(user_id)
    .bind(email)
    .bind(name)
    .bind(password_hash)
    .bind(now)
    .execute(db.app())
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn by_email(db: &Db, email: &str) -> Result<Option<UserRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM control.user_account WHERE email = $1 AND deleted_at IS NULL"
    ))
    .bind(email)
    .fetch_optional(db.app())
    .await?)
}

pub async fn by_id(db: &Db, user_id: Uuid) -> Result<Option<UserRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM control.user_account WHERE user_id = $1 AND deleted_at IS NULL"
    ))
    .bind(user_id)
    .fetch_optional(db.app())
    .await?)
}

pub async fn set_password_hash(db: &Db, user_id: Uuid, phc: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE control.user_account SET password_hash = $2 WHERE user_id = $1")
        .bind(user_id)
        .bind(phc)
        .execute(db.app())
        .await?;
    Ok(())
}

/// Stores (or replaces) a pending signup's encrypted payload.
pub async fn put_pending_signup(
    db: &Db,
    email: &str,
    payload: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO control.pending_signup (email, payload, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (email) DO UPDATE SET payload = EXCLUDED.payload, created_at = EXCLUDED.created_at",
    )
    .bind(email)
    .bind(payload)
    .bind(now)
    .execute(db.app())
    .await?;
    Ok(())
}

/// Takes a pending signup out (at most one caller gets it).
pub async fn take_pending_signup(db: &Db, email: &str) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("DELETE FROM control.pending_signup WHERE email = $1 RETURNING payload")
            .bind(email)
            .fetch_optional(db.app())
            .await?,
    )
}
