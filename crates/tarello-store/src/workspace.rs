//! Control-plane reads of workspaces.

use sqlx::FromRow;
use tarello_domain::{Slug, WorkspaceId};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Db, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub slug: String,
    pub name: String,
    pub schema_name: String,
    pub role_name: String,
    pub schema_version: i32,
    pub created_at: OffsetDateTime,
}

#[derive(FromRow)]
struct Row {
    workspace_id: Uuid,
    slug: String,
    name: String,
    schema_name: String,
    role_name: String,
    schema_version: i32,
    created_at: OffsetDateTime,
}

impl From<Row> for Workspace {
    fn from(r: Row) -> Self {
        Workspace {
            id: WorkspaceId(r.workspace_id),
            slug: r.slug,
            name: r.name,
            schema_name: r.schema_name,
            role_name: r.role_name,
            schema_version: r.schema_version,
            created_at: r.created_at,
        }
    }
}

const COLUMNS: &str =
    "workspace_id, slug, name, schema_name, role_name, schema_version, created_at";

pub async fn find_workspace(db: &Db, slug: &Slug) -> Result<Workspace, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM control.workspace WHERE slug = $1"
    ))
    .bind(slug.as_str())
    .fetch_optional(db.app())
    .await?;
    row.map(Workspace::from)
        .ok_or_else(|| StoreError::UnknownWorkspace(slug.to_string()))
}

pub async fn find_workspace_by_id(
    db: &Db,
    id: WorkspaceId,
) -> Result<Option<Workspace>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM control.workspace WHERE workspace_id = $1"
    ))
    .bind(id.0)
    .fetch_optional(db.app())
    .await?;
    Ok(row.map(Workspace::from))
}

pub async fn list_workspaces(db: &Db) -> Result<Vec<Workspace>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM control.workspace ORDER BY slug"
    ))
    .fetch_all(db.app())
    .await?;
    Ok(rows.into_iter().map(Workspace::from).collect())
}

/// Does the workspace require two-factor authentication?
pub async fn requires_2fa(db: &Db, ws: tarello_domain::WorkspaceId) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT require_2fa FROM control.workspace WHERE workspace_id = $1")
            .bind(ws.0)
            .fetch_optional(db.app())
            .await?
            .unwrap_or(false),
    )
}

pub async fn set_require_2fa(
    db: &Db,
    ws: tarello_domain::WorkspaceId,
    on: bool,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE control.workspace SET require_2fa = $2 WHERE workspace_id = $1")
        .bind(ws.0)
        .bind(on)
        .execute(db.app())
        .await?;
    Ok(())
}

/// A workspace's settings (control plane).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct Settings {
    pub name: String,
    pub plan: String,
    pub require_2fa: bool,
    pub timezone: String,
    pub currency: String,
}

pub async fn settings(db: &Db, ws: tarello_domain::WorkspaceId) -> Result<Settings, StoreError> {
    sqlx::query_as(
        "SELECT name, plan, require_2fa, timezone, currency FROM control.workspace \
         WHERE workspace_id = $1",
    )
    .bind(ws.0)
    .fetch_optional(db.app())
    .await?
    .ok_or_else(|| StoreError::UnknownWorkspace(ws.to_string()))
}

/// Changes the given settings (None = keep) and returns them all.
#[derive(Debug, Clone, Default)]
pub struct SettingsPatch<'a> {
    pub name: Option<&'a str>,
    pub plan: Option<&'a str>,
    pub require_2fa: Option<bool>,
    pub timezone: Option<&'a str>,
    pub currency: Option<&'a str>,
}

pub async fn update_settings(
    db: &Db,
    ws: tarello_domain::WorkspaceId,
    p: &SettingsPatch<'_>,
) -> Result<Settings, StoreError> {
    sqlx::query_as(
        "UPDATE control.workspace SET name = COALESCE($2, name), plan = COALESCE($3, plan), \
         require_2fa = COALESCE($4, require_2fa), timezone = COALESCE($5, timezone), \
         currency = COALESCE($6, currency) WHERE workspace_id = $1 \
         RETURNING name, plan, require_2fa, timezone, currency",
    )
    .bind(ws.0)
    .bind(p.name)
    .bind(p.plan)
    .bind(p.require_2fa)
    .bind(p.timezone)
    .bind(p.currency)
    .fetch_optional(db.app())
    .await?
    .ok_or_else(|| StoreError::UnknownWorkspace(ws.to_string()))
}

/// Is `name` an IANA time zone PostgreSQL knows?
pub async fn timezone_exists(db: &Db, name: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = $1)",
    )
    .bind(name)
    .fetch_one(db.app())
    .await?)
}
