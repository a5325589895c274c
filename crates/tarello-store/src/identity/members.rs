//! Memberships: the row is the authority, read on every request.

use tarello_domain::WorkspaceId;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::tenant::name_actor;
use crate::{Actor, Db, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Membership {
    pub role: String,
    pub active: bool,
    pub changed_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberRow {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub active: bool,
}

/// Why a membership change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Done,
    NoSuchMember,
    /// It would leave the workspace without an active admin.
    LastAdmin,
}

/// Memberships are audited (a trigger writes the workspace's history), so
/// every change names its actor.
pub async fn add(
    db: &Db,
    ws: WorkspaceId,
    user_id: Uuid,
    role: &str,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.app().begin().await?;
    name_actor(&mut tx, actor).await?;
    add_on(&mut tx, ws, user_id, role, now).await?;
    tx.commit().await?;
    Ok(())
}

/// `add` on a given connection (inside the caller's transaction, which has
/// named its actor).
pub(crate) async fn add_on(
    conn: &mut sqlx::PgConnection,
    ws: WorkspaceId,
    user_id: Uuid,
    role: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    // Tokens carry whole seconds (`iat`); a new membership counts from the
    // start of its second so a token asked for right after is not refused.
    let now = now.replace_nanosecond(0).unwrap_or(now);
    sqlx::query(
        "INSERT INTO control.membership (workspace_id, user_id, role, active, created_at, changed_at) VALUES ($1, $2, $3, true, $4, $4) \
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = EXCLUDED.role, active = true, changed_at = EXCLUDED.changed_at",
    )
    .bind(ws.0)
    .bind(user_id)
    .bind(role)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(
    db: &Db,
    ws: WorkspaceId,
    user_id: Uuid,
) -> Result<Option<Membership>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT role, active, changed_at FROM control.membership WHERE workspace_id = $1 AND user_id = $2",
    )
    .bind(ws.0)
    .bind(user_id)
    .fetch_optional(db.app())
    .await?)
}

/// The membership of `user_id`, but only while `session_id` is a live
/// session of that user: one round trip for every workspace request.
pub async fn find_with_live_session(
    db: &Db,
    ws: WorkspaceId,
    user_id: Uuid,
    session_id: Uuid,
    now: OffsetDateTime,
) -> Result<Option<Membership>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT m.role, m.active, m.changed_at FROM control.membership m \
         WHERE m.workspace_id = $1 AND m.user_id = $2 AND EXISTS (SELECT 1 FROM control.session s \
         WHERE s.session_id = $3 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $4)",
    )
    .bind(ws.0)
    .bind(user_id)
    .bind(session_id)
    .bind(now)
    .fetch_optional(db.app())
    .await?)
}

pub async fn remove(
    db: &Db,
    ws: WorkspaceId,
    user_id: Uuid,
    actor: &Actor,
) -> Result<bool, StoreError> {
    let mut tx = db.app().begin().await?;
    name_actor(&mut tx, actor).await?;
    let r = sqlx::query("DELETE FROM control.membership WHERE workspace_id = $1 AND user_id = $2")
        .bind(ws.0)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
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

pub async fn list(db: &Db, ws: WorkspaceId) -> Result<Vec<MemberRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT m.user_id, u.email, u.name, m.role, m.active FROM control.membership m \
         JOIN control.user_account u USING (user_id) WHERE m.workspace_id = $1 ORDER BY u.email",
    )
    .bind(ws.0)
    .fetch_all(db.app())
    .await?)
}

/// What [`change`] does to a membership.
#[derive(Debug, Clone, Copy, Default)]
pub struct Edit<'a> {
    pub role: Option<&'a str>,
    pub active: Option<bool>,
    pub remove: bool,
}

/// Changes a member's role and/or active flag, or removes them (`remove`),
/// refusing anything that would leave no active admin. Every change of a
/// workspace's memberships takes the workspace row's lock first, so the
/// admin count read next is exact even under concurrent requests.
pub async fn change(
    db: &Db,
    ws: WorkspaceId,
    user_id: Uuid,
    what: Edit<'_>,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<Change, StoreError> {
    let Edit {
        role,
        active,
        remove,
    } = what;
    let mut tx = db.app().begin().await?;
    name_actor(&mut tx, actor).await?;
    sqlx::query("SELECT 1 FROM control.workspace WHERE workspace_id = $1 FOR UPDATE")
        .bind(ws.0)
        .execute(&mut *tx)
        .await?;
    let current: Option<(String, bool)> = sqlx::query_as(
        "SELECT role, active FROM control.membership WHERE workspace_id = $1 AND user_id = $2",
    )
    .bind(ws.0)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((cur_role, cur_active)) = current else {
        return Ok(Change::NoSuchMember);
    };
    let new_role = role.unwrap_or(&cur_role);
    let new_active = active.unwrap_or(cur_active);
    let was_admin = cur_role == "admin" && cur_active;
    let stays_admin = !remove && new_role == "admin" && new_active;
    if was_admin && !stays_admin {
        let admins: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM control.membership WHERE workspace_id = $1 AND role = 'admin' AND active",
        )
        .bind(ws.0)
        .fetch_one(&mut *tx)
        .await?;
        if admins <= 1 {
            return Ok(Change::LastAdmin);
        }
    }
    if remove {
        sqlx::query("DELETE FROM control.membership WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.0)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    } else if new_role != cur_role || new_active != cur_active {
        // `changed_at` refuses the member's older workspace tokens: only a
        // real change moves it (an empty PATCH must not log anyone out).
        sqlx::query(
            "UPDATE control.membership SET role = $3, active = $4, changed_at = $5 WHERE workspace_id = $1 AND user_id = $2",
        )
        .bind(ws.0)
        .bind(user_id)
        .bind(new_role)
        .bind(new_active)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Change::Done)
}
