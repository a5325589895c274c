//! Account sessions with rotating refresh tokens. Only SHA-256 hashes of
//! refresh tokens are stored. Rotation is one transaction with the session
//! row locked: the old hash moves to `spent_refresh`, so a spent token that
//! comes back is recognised and revokes the whole session (reuse detection).

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Db, StoreError};

#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct SessionRow {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub created_at: OffsetDateTime,
    pub last_used_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

const COLUMNS: &str =
    "session_id, user_id, created_at, last_used_at, expires_at, revoked_at, ip, user_agent";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    Rotated(SessionRow),
    /// Not a token we know.
    Unknown,
    /// A spent token came back: the session is now revoked.
    Reused {
        session_id: Uuid,
        user_id: Uuid,
    },
    /// The session is revoked or expired.
    Dead,
}

/// The token hashes a session is created or rotated with.
#[derive(Debug, Clone)]
pub struct TokenHashes {
    pub refresh_hash: String,
    pub access_hash: String,
    pub access_expires_at: OffsetDateTime,
}

pub async fn create(
    db: &Db,
    session_id: Uuid,
    user_id: Uuid,
    tokens: &TokenHashes,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
    client: (Option<&str>, Option<&str>),
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO control.session (session_id, user_id, refresh_hash, access_hash, access_expires_at, \
           created_at, last_used_at, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9)",
    )
    .bind(session_id)
    .bind(user_id)
    .bind(&tokens.refresh_hash)
    .bind(&tokens.access_hash)
    .bind(tokens.access_expires_at)
    .bind(now)
    .bind(expires_at)
    .bind(client.0)
    .bind(client.1)
    .execute(db.app())
    .await?;
    Ok(())
}

/// The live session an account access token belongs to.
pub async fn by_access_token(
    db: &Db,
    access_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<SessionRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM control.session WHERE access_hash = $1 AND access_expires_at > $2 \
         AND revoked_at IS NULL AND expires_at > $2"
    ))
    .bind(access_hash)
    .bind(now)
    .fetch_optional(db.app())
    .await?)
}

pub async fn rotate(
    db: &Db,
    old_hash: &str,
    new: &TokenHashes,
    now: OffsetDateTime,
) -> Result<Refresh, StoreError> {
    let mut tx = db.app().begin().await?;
    let row: Option<SessionRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM control.session WHERE refresh_hash = $1 FOR UPDATE"
    ))
    .bind(old_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        let spent: Option<(Uuid, Uuid)> = sqlx::query_as(
            "SELECT s.session_id, s.user_id FROM control.spent_refresh r \
             JOIN control.session s USING (session_id) WHERE r.refresh_hash = $1 FOR UPDATE OF s",
        )
        .bind(old_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let out = match spent {
            Some((session_id, user_id)) => {
                revoke_in(&mut tx, session_id, "refresh token reused", now).await?;
                Refresh::Reused {
                    session_id,
                    user_id,
                }
            }
            None => Refresh::Unknown,
        };
        tx.commit().await?;
        return Ok(out);
    };
    if row.revoked_at.is_some() || row.expires_at <= now {
        tx.commit().await?;
        return Ok(Refresh::Dead);
    }
    sqlx::query(
        "INSERT INTO control.spent_refresh (refresh_hash, session_id, spent_at) VALUES ($1, $2, $3)",
    )
    .bind(old_hash)
    .bind(row.session_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE control.session SET refresh_hash = $2, access_hash = $3, access_expires_at = $4, last_used_at = $5 \
         WHERE session_id = $1",
    )
    .bind(row.session_id)
    .bind(&new.refresh_hash)
    .bind(&new.access_hash)
    .bind(new.access_expires_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Refresh::Rotated(SessionRow {
        last_used_at: now,
        ..row
    }))
}

async fn revoke_in(
    tx: &mut sqlx::PgConnection,
    session_id: Uuid,
    reason: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE control.session SET revoked_at = $2, revoked_reason = $3 WHERE session_id = $1 AND revoked_at IS NULL",
    )
    .bind(session_id)
    .bind(now)
    .bind(reason)
    .execute(tx)
    .await?;
    Ok(())
}

/// Is this session live (not revoked, not expired) for this user?
pub async fn is_live(
    db: &Db,
    session_id: Uuid,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM control.session WHERE session_id = $1 AND user_id = $2 \
         AND revoked_at IS NULL AND expires_at > $3)",
    )
    .bind(session_id)
    .bind(user_id)
    .bind(now)
    .fetch_one(db.app())
    .await?)
}

pub async fn list_live(
    db: &Db,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<SessionRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM control.session WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
         ORDER BY created_at DESC"
    ))
    .bind(user_id)
    .bind(now)
    .fetch_all(db.app())
    .await?)
}

/// Revokes one of the user's sessions; false when there is no such live session.
pub async fn revoke(
    db: &Db,
    user_id: Uuid,
    session_id: Uuid,
    reason: &str,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE control.session SET revoked_at = $3, revoked_reason = $4 \
         WHERE session_id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(session_id)
    .bind(user_id)
    .bind(now)
    .bind(reason)
    .execute(db.app())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Revokes every live session of the user; returns how many.
pub async fn revoke_all(
    db: &Db,
    user_id: Uuid,
    reason: &str,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let r = sqlx::query(
        "UPDATE control.session SET revoked_at = $2, revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(now)
    .bind(reason)
    .execute(db.app())
    .await?;
    Ok(r.rows_affected())
}
