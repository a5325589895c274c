//! Connection pools. Two roles reach the database:
//! - the *admin* role owns the control schema and every workspace schema; it
//!   runs migrations and creates workspaces, on direct connections or a
//!   small pool;
//! - the *app* role (login, NOINHERIT, default `search_path` = pg_catalog)
//!   serves requests; on its own it can read no tenant data at all.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection};

use crate::StoreError;
use crate::ident;

#[derive(Debug, Clone)]
pub struct DbOptions {
    /// The owner role: migrations and workspace creation.
    pub admin: PgConnectOptions,
    /// The request-serving role (created by `migrate` when missing).
    pub app: PgConnectOptions,
    /// Password to give the app role when `migrate` creates it (external databases).
    pub app_password: Option<String>,
    pub pool_size: u32,
}

/// A handle on the database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    app: PgPool,
    admin: PgPool,
    admin_opts: PgConnectOptions,
    app_role: String,
}

impl Db {
    /// Connects both pools lazily; nothing is sent until first use.
    pub fn connect_lazy(opts: &DbOptions) -> Result<Db, StoreError> {
        let app_role = ident::checked(opts.app.get_username())?.to_owned();
        let quiet = |o: &PgConnectOptions| o.clone().disable_statement_logging();
        let app = PgPoolOptions::new()
            .max_connections(opts.pool_size.max(1))
            .acquire_timeout(Duration::from_secs(10))
            // Recycle connections: per-connection catalog caches grow with
            // the number of schemas a connection has touched.
            .max_lifetime(Duration::from_secs(30 * 60))
            .connect_lazy_with(quiet(&opts.app));
        let admin = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(30))
            .connect_lazy_with(quiet(&opts.admin));
        Ok(Db {
            app,
            admin,
            admin_opts: quiet(&opts.admin),
            app_role,
        })
    }

    /// The pool of the app role.
    pub(crate) fn app(&self) -> &PgPool {
        &self.app
    }

    /// The small pool of the owner role (workspace creation, key rotation).
    pub(crate) fn admin(&self) -> &PgPool {
        &self.admin
    }

    /// A fresh, unpooled connection of the owner role (migrations hold
    /// session advisory locks, which a transaction pooler would break).
    pub(crate) async fn admin_direct(&self) -> Result<PgConnection, StoreError> {
        Ok(PgConnection::connect_with(&self.admin_opts).await?)
    }

    pub fn app_role(&self) -> &str {
        &self.app_role
    }

    /// `SELECT 1` as the app role: used by `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.app).await?;
        Ok(())
    }

    /// Closes both pools once every connection is back: a dropped
    /// connection returns to its pool in a background task, and closing
    /// under it would make that task report a broken connection.
    pub async fn close(&self) {
        for pool in [&self.app, &self.admin] {
            let deadline = std::time::Instant::now() + Duration::from_secs(2);
            while pool.size() as usize > pool.num_idle() && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            pool.close().await;
        }
    }
}

/// Creates `database` (owned by the admin role) when missing, connecting to
/// the `postgres` maintenance database. Used for the embedded cluster.
pub async fn ensure_database(admin: &PgConnectOptions) -> Result<(), StoreError> {
    let Some(name) = admin.get_database().map(str::to_owned) else {
        return Ok(());
    };
    let maint = admin
        .clone()
        .database("postgres")
        .disable_statement_logging();
    let mut conn = PgConnection::connect_with(&maint).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        let name = ident::checked(&name)?;
        sqlx::query(&format!("CREATE DATABASE {name} ENCODING 'UTF8'"))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(())
}
