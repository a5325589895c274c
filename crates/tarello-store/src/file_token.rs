//! Attachment download tokens in control: only their SHA-256 is stored, each
//! names one attachment of one workspace and expires. A [`Redeemed`] token
//! is the only way to read an attachment without a grant (the download link
//! has no login), and only [`redeem`] makes one.

use tarello_domain::WorkspaceId;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Db, StoreError};

/// Proof that a live token for this attachment was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redeemed {
    workspace: WorkspaceId,
    attachment_id: Uuid,
}

impl Redeemed {
    pub fn workspace(&self) -> WorkspaceId {
        self.workspace
    }

    pub fn attachment_id(&self) -> Uuid {
        self.attachment_id
    }
}

/// Stores the hashes of freshly issued tokens, one per attachment, and
/// drops the expired ones, in one statement.
pub async fn issue(
    db: &Db,
    ws: WorkspaceId,
    tokens: &[([u8; 32], Uuid)],
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    if tokens.is_empty() {
        return Ok(());
    }
    let hashes: Vec<Vec<u8>> = tokens.iter().map(|(h, _)| h.to_vec()).collect();
    let ids: Vec<Uuid> = tokens.iter().map(|(_, id)| *id).collect();
    sqlx::query(
        "WITH expired AS (DELETE FROM control.file_token WHERE expires_at <= $5) \
         INSERT INTO control.file_token (token_hash, workspace_id, attachment_id, expires_at) \
         SELECT h, $3, a, $4 FROM unnest($1::bytea[], $2::uuid[]) AS t(h, a)",
    )
    .bind(hashes)
    .bind(ids)
    .bind(ws.0)
    .bind(expires_at)
    .bind(now)
    .execute(db.app())
    .await?;
    Ok(())
}

/// The attachment a live token names; `None` for unknown or expired.
pub async fn redeem(
    db: &Db,
    hash: &[u8; 32],
    now: OffsetDateTime,
) -> Result<Option<Redeemed>, StoreError> {
    let row: Option<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT workspace_id, attachment_id FROM control.file_token \
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(hash.as_slice())
    .bind(now)
    .fetch_optional(db.app())
    .await?;
    Ok(row.map(|(w, a)| Redeemed {
        workspace: WorkspaceId(w),
        attachment_id: a,
    }))
}

/// Forgets every token of a deleted attachment.
pub async fn revoke(db: &Db, ws: WorkspaceId, attachment_id: Uuid) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM control.file_token WHERE workspace_id = $1 AND attachment_id = $2")
        .bind(ws.0)
        .bind(attachment_id)
        .execute(db.app())
        .await?;
    Ok(())
}

/// Drops expired tokens (indexed by expiry); returns how many.
pub async fn purge_expired(db: &Db, now: OffsetDateTime) -> Result<u64, StoreError> {
    Ok(
        sqlx::query("DELETE FROM control.file_token WHERE expires_at <= $1")
            .bind(now)
            .execute(db.app())
            .await?
            .rows_affected(),
    )
}
