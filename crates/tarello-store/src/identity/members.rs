//! Memberships: the row is the authority, read on every request.

use tarello_domain::WorkspaceId;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Db, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Membership {
    pub role: String,
    pub active: bool,
}

pub async fn add(
    db: &Db,
    ws: WorkspaceId,
    user_id: Uuid,
    role: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO control.membership (workspace_id, user_id, role, active, created_at) VALUES ($1, $2, $3, true, $4) \
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = EXCLUDED.role, active = true",
    )
    .bind(ws.0)
    .bind(user_id)
    .bind(role)
    .bind(now)
    .execute(db.app())
    .await?;
    Ok(())
}

pub async fn find(
    db: &Db,
    ws: WorkspaceId,
    user_id: Uuid,
) -> Result<Option<Membership>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT role, active FROM control.membership WHERE workspace_id = $1 AND user_id = $2",
    )
    .bind(ws.0)
    .bind(user_id)
    .fetch_optional(db.app())
    .await?)
}

pub async fn remove(db: &Db, ws: WorkspaceId, user_id: Uuid) -> Result<bool, StoreError> {
    let r = sqlx::query("DELETE FROM control.membership WHERE workspace_id = $1 AND user_id = $2")
        .bind(ws.0)
        .bind(user_id)
        .execute(db.app())
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The workspaces a user is an active member of: (id, slug, name, role).
pub async fn workspaces_of(
    db: &Db,
    user_id: Uuid,
) -> Result<Vec<(Uuid, String, String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT w.workspace_id, w.slug, w.name, m.role FROM control.membership m \
         JOIN control.workspace w USING (workspace_id) WHERE m.user_id = $1 AND m.active ORDER BY w.slug",
    )
    .bind(user_id)
    .fetch_all(db.app())
    .await?)
}
