//! Machine tokens of a workspace (the machine lane). Only SHA-256 hashes
//! are stored; a token is found by its hash and is live until it expires
//! or is revoked.

use tarello_domain::WorkspaceId;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Db, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiTokenRow {
    pub token_id: Uuid,
    pub workspace_id: Uuid,
    pub name: String,
    pub scope: String,
    pub created_by: Uuid,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

const COLUMNS: &str =
    "token_id, workspace_id, name, scope, created_by, created_at, expires_at, revoked_at";

pub async fn insert(db: &Db, row: &ApiTokenRow, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO control.api_token (token_id, workspace_id, name, token_hash, scope, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(row.token_id)
    .bind(row.workspace_id)
    .bind(&row.name)
    .bind(token_hash)
    .bind(&row.scope)
    .bind(row.created_by)
    .bind(row.created_at)
    .bind(row.expires_at)
    .execute(db.app())
    .await?;
    Ok(())
}

/// The live token with this hash, if it belongs to `ws`.
pub async fn find_live(
    db: &Db,
    ws: WorkspaceId,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<ApiTokenRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM control.api_token WHERE token_hash = $1 AND workspace_id = $2 \
         AND revoked_at IS NULL AND expires_at > $3"
    ))
    .bind(token_hash)
    .bind(ws.0)
    .bind(now)
    .fetch_optional(db.app())
    .await?)
}

pub async fn list(db: &Db, ws: WorkspaceId) -> Result<Vec<ApiTokenRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM control.api_token WHERE workspace_id = $1 ORDER BY created_at DESC"
    ))
    .bind(ws.0)
    .fetch_all(db.app())
    .await?)
}

/// Revokes a token of this workspace; false when there is no such live token.
pub async fn revoke(
    db: &Db,
    ws: WorkspaceId,
    token_id: Uuid,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE control.api_token SET revoked_at = $3 WHERE token_id = $1 AND workspace_id = $2 AND revoked_at IS NULL",
    )
    .bind(token_id)
    .bind(ws.0)
    .bind(now)
    .execute(db.app())
    .await?;
    Ok(r.rows_affected() == 1)
}
