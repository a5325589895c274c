//! Creating a workspace: its control row, its wrapped data key, its NOLOGIN
//! role and its schema, in one transaction. Either all of it exists
//! afterwards or none of it (CREATE ROLE and CREATE SCHEMA are
//! transactional in PostgreSQL).

use tarello_crypto::{DataKey, KekSet, KeyContext};
use tarello_domain::{Slug, WorkspaceId};
use time::OffsetDateTime;

use crate::migrate::{MigrationSet, workspace_grants};
use crate::{Db, StoreError, Workspace};

pub async fn create_workspace(
    db: &Db,
    keks: &KekSet,
    set: &MigrationSet,
    slug: &Slug,
    name: &str,
    now: OffsetDateTime,
) -> Result<Workspace, StoreError> {
    let id = WorkspaceId::new_v7();
    let wrapped = keks.wrap(
        &DataKey::generate(),
        &KeyContext {
            workspace_id: id.0,
            version: 1,
        },
    )?;
    let ws = Workspace {
        id,
        slug: slug.to_string(),
        name: name.to_owned(),
        schema_name: id.schema_name(),
        role_name: id.role_name(),
        schema_version: set.workspace_latest(),
        created_at: now,
    };

    let mut tx = db.admin().begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO control.workspace (workspace_id, slug, name, schema_name, role_name, schema_version, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (slug) DO NOTHING",
    )
    .bind(id.0)
    .bind(&ws.slug)
    .bind(&ws.name)
    .bind(&ws.schema_name)
    .bind(&ws.role_name)
    .bind(ws.schema_version)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(StoreError::SlugTaken(ws.slug));
    }
    sqlx::query(
        "INSERT INTO control.workspace_key (workspace_id, version, kek_id, wrapped, created_at) \
         VALUES ($1, 1, $2, $3, $4)",
    )
    .bind(id.0)
    .bind(&wrapped.kek_id)
    .bind(&wrapped.blob)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let ddl = format!(
        "CREATE ROLE {role} NOLOGIN NOINHERIT;\n\
         CREATE SCHEMA {schema};\n\
         SET LOCAL search_path TO {schema};\n\
         {script}\n\
         {grants}",
        role = ws.role_name,
        schema = ws.schema_name,
        script = set.workspace_schema,
        grants = workspace_grants(id, db.app_role())?,
    );
    sqlx::Executor::execute(&mut *tx, sqlx::raw_sql(&ddl)).await?;
    tx.commit().await?;
    Ok(ws)
}
