//! Versioned migrations for the control schema and for every workspace
//! schema.
//!
//! - Control migrations are recorded in `control.schema_migration` with a
//!   checksum; an applied migration that was edited afterwards is refused.
//! - Each workspace records its own version in `control.workspace.schema_version`,
//!   updated in the same transaction as its DDL: a run killed midway leaves
//!   every workspace either migrated or untouched, and the next run resumes.
//! - New workspaces do not replay history: they run `schema.sql`, the whole
//!   current schema (a test keeps it equal to the replayed migrations).
//! - Migrations run on direct connections (session advisory lock).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection};
use tarello_domain::WorkspaceId;
use uuid::Uuid;

use crate::ident;
use crate::{Db, Progress, StoreError};

/// Arbitrary constant: the advisory lock that serialises `migrate` runs.
const MIGRATE_LOCK: i64 = 0x7461_7265_6c6c_6f01;

#[derive(Debug, Clone)]
pub struct Migration {
    pub version: i32,
    pub name: String,
    pub sql: String,
}

impl Migration {
    fn new(version: i32, name: &str, sql: &str) -> Migration {
        Migration {
            version,
            name: name.to_owned(),
            sql: sql.to_owned(),
        }
    }

    fn checksum(&self) -> String {
        let digest = Sha256::digest(self.sql.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Everything `migrate` applies. [`MigrationSet::builtin`] is what ships; the
/// bench extends it with a throw-away migration.
#[derive(Debug, Clone)]
pub struct MigrationSet {
    pub control: Vec<Migration>,
    pub workspace: Vec<Migration>,
    /// The current workspace schema in one script, for new workspaces.
    pub workspace_schema: String,
}

impl MigrationSet {
    pub fn builtin() -> MigrationSet {
        MigrationSet {
            control: vec![
                Migration::new(
                    1,
                    "init",
                    include_str!("../migrations/control/0001_init.sql"),
                ),
                Migration::new(
                    2,
                    "identity",
                    include_str!("../migrations/control/0002_identity.sql"),
                ),
                Migration::new(
                    3,
                    "work",
                    include_str!("../migrations/control/0003_work.sql"),
                ),
                Migration::new(
                    4,
                    "membership history",
                    include_str!("../migrations/control/0004_membership_history.sql"),
                ),
            ],
            workspace: vec![
                Migration::new(
                    1,
                    "init",
                    include_str!("../migrations/workspace/0001_init.sql"),
                ),
                Migration::new(
                    2,
                    "work",
                    include_str!("../migrations/workspace/0002_work.sql"),
                ),
                Migration::new(
                    3,
                    "history",
                    include_str!("../migrations/workspace/0003_history.sql"),
                ),
                Migration::new(
                    4,
                    "audit",
                    include_str!("../migrations/workspace/0004_audit.sql"),
                ),
            ],
            workspace_schema: include_str!("../migrations/workspace/schema.sql").to_owned(),
        }
    }

    pub fn control_latest(&self) -> i32 {
        self.control.iter().map(|m| m.version).max().unwrap_or(0)
    }

    pub fn workspace_latest(&self) -> i32 {
        self.workspace.iter().map(|m| m.version).max().unwrap_or(0)
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MigrateReport {
    pub control_applied: Vec<i32>,
    pub workspaces_total: usize,
    pub workspaces_migrated: usize,
}

/// Where the database stands against a migration set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    pub control_version: i32,
    pub workspaces_behind: i64,
    pub workspaces_ahead: i64,
}

/// Every table of the current workspace schema. Grants name them one by
/// one: `GRANT … ON ALL TABLES IN SCHEMA` scans the whole of `pg_class`,
/// which with 10,000 workspaces made each grant ~35 ms (measured in
/// `bench/`). A test checks this list against a fresh workspace. Tables
/// that must stay append-only are granted separately.
pub const WORKSPACE_TABLES: &[&str] = &[
    "board",
    "integration",
    "board_member",
    "list",
    "card",
    "comment",
    "tag",
    "card_tag",
    "card_viewer",
    "time_entry",
    "attachment",
];

/// Tables the workspace role may only read and append to (never update or
/// delete): the history and the capability log.
pub const APPEND_ONLY_TABLES: &[&str] = &["history", "capability_log"];

/// Tables the workspace role gets no right on at all: the chain over the
/// history is written and read by the sealer and `audit verify` only.
pub const SEAL_TABLES: &[&str] = &["history_seal", "history_checkpoint"];

/// The grants a workspace role gets on its own schema, and nothing else.
/// One place, used when a workspace is created and after each migration.
pub(crate) fn workspace_grants(ws: WorkspaceId, app_role: &str) -> Result<String, StoreError> {
    let schema = ws.schema_name();
    let role = ws.role_name();
    let app = ident::checked(app_role)?;
    let mut tables = Vec::with_capacity(WORKSPACE_TABLES.len());
    for t in WORKSPACE_TABLES {
        tables.push(format!("{schema}.{}", ident::checked(t)?));
    }
    let mut append_only = Vec::with_capacity(APPEND_ONLY_TABLES.len());
    for t in APPEND_ONLY_TABLES {
        append_only.push(format!("{schema}.{}", ident::checked(t)?));
    }
    Ok(format!(
        "REVOKE ALL ON SCHEMA {schema} FROM PUBLIC;\n\
         GRANT USAGE ON SCHEMA {schema} TO {role};\n\
         GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {role};\n\
         GRANT SELECT, INSERT ON {} TO {role};\n\
         GRANT {role} TO {app};\n",
        tables.join(", "),
        append_only.join(", ")
    ))
}

/// Brings control and every workspace to the latest version.
pub async fn migrate(
    db: &Db,
    set: &MigrationSet,
    parallelism: usize,
    app_password: Option<&str>,
    progress: &dyn Progress,
) -> Result<MigrateReport, StoreError> {
    let mut conn = db.admin_direct().await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATE_LOCK)
        .execute(&mut conn)
        .await?;
    let result = migrate_locked(db, &mut conn, set, parallelism, app_password, progress).await;
    // Closing the connection releases the session lock even on error.
    let _ = conn.close().await;
    result
}

async fn migrate_locked(
    db: &Db,
    conn: &mut PgConnection,
    set: &MigrationSet,
    parallelism: usize,
    app_password: Option<&str>,
    progress: &dyn Progress,
) -> Result<MigrateReport, StoreError> {
    let mut report = MigrateReport::default();
    bootstrap(conn, db.app_role(), app_password).await?;

    let applied: Vec<(i32, String, String)> =
        sqlx::query_as("SELECT version, name, checksum FROM control.schema_migration")
            .fetch_all(&mut *conn)
            .await?;
    for m in &set.control {
        match applied.iter().find(|(v, _, _)| *v == m.version) {
            Some((_, _, sum)) if *sum != m.checksum() => {
                return Err(StoreError::ChecksumMismatch {
                    version: m.version,
                    name: m.name.clone(),
                });
            }
            Some(_) => {}
            None => {
                let mut tx = conn.begin().await?;
                sqlx::raw_sql(&m.sql).execute(&mut *tx).await?;
                sqlx::query(
                    "INSERT INTO control.schema_migration (version, name, checksum) VALUES ($1, $2, $3)",
                )
                .bind(m.version)
                .bind(&m.name)
                .bind(m.checksum())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                report.control_applied.push(m.version);
            }
        }
    }
    grant_control(conn, db.app_role()).await?;

    let latest = set.workspace_latest();
    let pending: Vec<Uuid> = sqlx::query_scalar(
        "SELECT workspace_id FROM control.workspace WHERE schema_version < $1 ORDER BY workspace_id",
    )
    .bind(latest)
    .fetch_all(&mut *conn)
    .await?;
    report.workspaces_total = usize::try_from(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM control.workspace")
            .fetch_one(&mut *conn)
            .await?,
    )
    .unwrap_or(0);
    progress.start("migrating workspaces", pending.len() as u64);
    report.workspaces_migrated =
        migrate_workspaces(db, set, pending, parallelism, progress).await?;
    progress.finish(&format!(
        "{} of {} workspace(s) migrated to version {latest}",
        report.workspaces_migrated, report.workspaces_total
    ));
    Ok(report)
}

/// The schema, the migration table and the app role, idempotently. The app
/// role's properties are re-asserted on every run so a manual change to
/// them does not survive the next migrate. Roles are shared by every
/// database of the cluster, so two migrates of different databases can
/// touch the role at once: the role is altered only when it differs, and a
/// concurrent-update error is retried.
async fn bootstrap(
    conn: &mut PgConnection,
    app_role: &str,
    app_password: Option<&str>,
) -> Result<(), StoreError> {
    let mut attempt = 0u64;
    loop {
        match bootstrap_once(conn, app_role, app_password).await {
            Err(StoreError::Db(sqlx::Error::Database(e)))
                if attempt < 5
                    && matches!(e.code().as_deref(), Some("XX000" | "23505" | "42710")) =>
            {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
            }
            other => return other,
        }
    }
}

async fn bootstrap_once(
    conn: &mut PgConnection,
    app_role: &str,
    app_password: Option<&str>,
) -> Result<(), StoreError> {
    let app = ident::checked(app_role)?;
    // (exists, already exactly as we want it)
    let (exists, as_wanted): (bool, bool) = sqlx::query_as(
        "SELECT count(*) > 0, coalesce(bool_and(rolcanlogin AND NOT rolinherit AND NOT rolsuper AND NOT rolcreatedb \
                AND NOT rolcreaterole AND NOT rolbypassrls \
                AND rolconfig @> ARRAY['search_path=pg_catalog']), false) \
         FROM pg_roles WHERE rolname = $1",
    )
    .bind(app)
    .fetch_one(&mut *conn)
    .await?;
    let mut sql = String::new();
    if !exists {
        sql.push_str(&format!("CREATE ROLE {app} LOGIN NOINHERIT;\n"));
    }
    if !as_wanted {
        sql.push_str(&format!(
            "ALTER ROLE {app} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;\n\
             ALTER ROLE {app} SET search_path TO pg_catalog;\n"
        ));
    }
    if let Some(pw) = app_password {
        sql.push_str(&format!(
            "ALTER ROLE {app} PASSWORD {};\n",
            ident::literal(pw)?
        ));
    }
    sql.push_str(
        "CREATE SCHEMA IF NOT EXISTS control;\n\
         REVOKE ALL ON SCHEMA control FROM PUBLIC;\n\
         CREATE TABLE IF NOT EXISTS control.schema_migration (\n\
             version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,\n\
             applied_at timestamptz NOT NULL DEFAULT now());\n",
    );
    let mut tx = conn.begin().await?;
    sqlx::raw_sql(&sql).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

async fn grant_control(conn: &mut PgConnection, app_role: &str) -> Result<(), StoreError> {
    let app = ident::checked(app_role)?;
    sqlx::raw_sql(&format!(
        "GRANT USAGE ON SCHEMA control TO {app};\n\
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA control TO {app};\n\
         REVOKE INSERT, UPDATE, DELETE ON control.schema_migration FROM {app};\n"
    ))
    .execute(conn)
    .await?;
    Ok(())
}

async fn migrate_workspaces(
    db: &Db,
    set: &MigrationSet,
    pending: Vec<Uuid>,
    parallelism: usize,
    progress: &dyn Progress,
) -> Result<usize, StoreError> {
    let queue = Arc::new(Mutex::new(VecDeque::from(pending)));
    let workers = (0..parallelism.max(1)).map(|_| {
        let queue = Arc::clone(&queue);
        async move {
            let mut done = 0usize;
            let mut conn: Option<PgConnection> = None;
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(id) = next else { break };
                let c = match conn.as_mut() {
                    Some(c) => c,
                    None => conn.insert(db.admin_direct().await?),
                };
                if migrate_one(c, set, WorkspaceId(id), db.app_role()).await? {
                    done += 1;
                }
                progress.advance(1);
            }
            if let Some(c) = conn {
                let _ = c.close().await;
            }
            Ok::<usize, StoreError>(done)
        }
    });
    let results = futures::future::join_all(workers).await;
    let mut total = 0;
    for r in results {
        total += r?;
    }
    Ok(total)
}

/// Migrates one workspace in one transaction. Returns false when another
/// run got there first.
async fn migrate_one(
    conn: &mut PgConnection,
    set: &MigrationSet,
    ws: WorkspaceId,
    app_role: &str,
) -> Result<bool, StoreError> {
    let mut tx = conn.begin().await?;
    let at: Option<i32> = sqlx::query_scalar(
        "SELECT schema_version FROM control.workspace WHERE workspace_id = $1 FOR UPDATE",
    )
    .bind(ws.0)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(at) = at else { return Ok(false) };
    let steps: Vec<&Migration> = set.workspace.iter().filter(|m| m.version > at).collect();
    let Some(last) = steps.last().map(|m| m.version) else {
        return Ok(false);
    };
    sqlx::raw_sql(&format!(
        "SET LOCAL lock_timeout = '30s'; SET LOCAL search_path TO {}",
        ws.schema_name()
    ))
    .execute(&mut *tx)
    .await?;
    for m in steps {
        sqlx::raw_sql(&m.sql).execute(&mut *tx).await?;
    }
    sqlx::raw_sql(&workspace_grants(ws, app_role)?)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE control.workspace SET schema_version = $2 WHERE workspace_id = $1")
        .bind(ws.0)
        .bind(last)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Reads where the database stands. Works as the app role (for `/readyz`).
pub async fn status(db: &Db, set: &MigrationSet) -> Result<SchemaStatus, StoreError> {
    let control: Result<Option<i32>, sqlx::Error> =
        sqlx::query_scalar("SELECT max(version) FROM control.schema_migration")
            .fetch_one(db.app())
            .await;
    let control_version = match control {
        Ok(v) => v.unwrap_or(0),
        // No control schema yet, or no rights on it yet: nothing is migrated.
        Err(sqlx::Error::Database(e))
            if matches!(e.code().as_deref(), Some("42P01" | "3F000" | "42501")) =>
        {
            return Ok(SchemaStatus {
                control_version: 0,
                workspaces_behind: 0,
                workspaces_ahead: 0,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let (behind, ahead): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE schema_version < $1), count(*) FILTER (WHERE schema_version > $1) FROM control.workspace",
    )
    .bind(set.workspace_latest())
    .fetch_one(db.app())
    .await?;
    Ok(SchemaStatus {
        control_version,
        workspaces_behind: behind,
        workspaces_ahead: ahead,
    })
}

/// Refuses a database that is not exactly at this build's versions.
pub async fn ensure_current(db: &Db, set: &MigrationSet) -> Result<(), StoreError> {
    let s = status(db, set).await?;
    if s.control_version > set.control_latest() || s.workspaces_ahead > 0 {
        return Err(StoreError::TooNew {
            found: s.control_version,
            known: set.control_latest(),
        });
    }
    if s.control_version < set.control_latest() || s.workspaces_behind > 0 {
        return Err(StoreError::OutOfDate {
            control_at: s.control_version,
            expected: set.control_latest(),
            workspaces_behind: s.workspaces_behind,
        });
    }
    Ok(())
}
