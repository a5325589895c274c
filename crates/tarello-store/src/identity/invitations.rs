//! Invitations: an email, a role, and a code stored only as its SHA-256
//! (the code has 256 random bits; a hash is enough, no pepper needed).

use tarello_domain::WorkspaceId;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Actor, Db, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Invitation {
    pub invitation_id: Uuid,
    pub workspace_id: Uuid,
    pub email: String,
    pub role: String,
    pub expires_at: OffsetDateTime,
}

/// Stores an invitation, replacing any pending one for the same address.
pub async fn create(
    db: &Db,
    ws: WorkspaceId,
    inv: &Invitation,
    code_hash: &[u8],
    invited_by: Uuid,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.app().begin().await?;
    sqlx::query(
        "DELETE FROM control.invitation WHERE workspace_id = $1 AND email = $2 AND accepted_at IS NULL",
    )
    .bind(ws.0)
    .bind(&inv.email)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO control.invitation (invitation_id, workspace_id, email, role, code_hash, \
         invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(inv.invitation_id)
    .bind(ws.0)
    .bind(&inv.email)
    .bind(&inv.role)
    .bind(code_hash)
    .bind(invited_by)
    .bind(now)
    .bind(inv.expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks the invitation with this code accepted — if it is pending,
/// unexpired and addressed to `email` — and makes `user_id` a member with
/// its role, in one transaction. The conditional update means two
/// concurrent accepts cannot both succeed.
pub async fn accept(
    db: &Db,
    code_hash: &[u8],
    email: &str,
    user_id: Uuid,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<Option<Invitation>, StoreError> {
    let mut tx = db.app().begin().await?;
    crate::tenant::name_actor(&mut tx, actor).await?;
    let inv: Option<Invitation> = sqlx::query_as(
        "UPDATE control.invitation SET accepted_at = $3 WHERE code_hash = $1 AND email = $2 \
         AND accepted_at IS NULL AND expires_at > $3 \
         RETURNING invitation_id, workspace_id, email, role, expires_at",
    )
    .bind(code_hash)
    .bind(email)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(inv) = &inv {
        let ws = WorkspaceId(inv.workspace_id);
        super::members::add_on(&mut tx, ws, user_id, &inv.role, now).await?;
    }
    tx.commit().await?;
    Ok(inv)
}
