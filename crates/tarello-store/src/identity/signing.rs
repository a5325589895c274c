//! Per-workspace token signing keys. The private key is stored encrypted
//! under the workspace's data key (bound to this table, column and kid);
//! the public JWK is plain, for `/workspaces/{ws}/jwks.json`.

use serde_json::Value;
use tarello_domain::WorkspaceId;
use time::OffsetDateTime;

use crate::{Db, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub private_key: String,
    pub public_jwk: Value,
    pub created_at: OffsetDateTime,
    pub retired_at: Option<OffsetDateTime>,
}

pub async fn insert(
    db: &Db,
    ws: WorkspaceId,
    kid: &str,
    private_key_enc: &str,
    public_jwk: &Value,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO control.signing_key (workspace_id, kid, private_key, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(ws.0)
    .bind(kid)
    .bind(private_key_enc)
    .bind(public_jwk)
    .bind(now)
    .execute(db.app())
    .await?;
    Ok(())
}

/// Keys still published (not retired, or retired less than `keep` ago so
/// tokens signed with them can run out), newest first.
pub async fn published(
    db: &Db,
    ws: WorkspaceId,
    retired_after: OffsetDateTime,
) -> Result<Vec<SigningKeyRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT kid, private_key, public_jwk, created_at, retired_at FROM control.signing_key \
         WHERE workspace_id = $1 AND (retired_at IS NULL OR retired_at > $2) ORDER BY created_at DESC",
    )
    .bind(ws.0)
    .bind(retired_after)
    .fetch_all(db.app())
    .await?)
}

/// Retires every live key of the workspace but `keep_kid`.
pub async fn retire_others(
    db: &Db,
    ws: WorkspaceId,
    keep_kid: &str,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let r = sqlx::query(
        "UPDATE control.signing_key SET retired_at = $3 WHERE workspace_id = $1 AND kid <> $2 AND retired_at IS NULL",
    )
    .bind(ws.0)
    .bind(keep_kid)
    .bind(now)
    .execute(db.app())
    .await?;
    Ok(r.rows_affected())
}
