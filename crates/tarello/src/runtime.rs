//! Opening what every command needs: the data directory, the KEK, the
//! database (the embedded cluster, started for the command when it is not
//! running already) and the pools.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use tarello_crypto::{KekSet, SecretString};
use tarello_pg::{Cluster, ClusterOptions, PgBinaries};
use tarello_store::{Db, DbOptions, PgConnectOptions};

use crate::config::Config;
use crate::kekfile::{self, KekSource};

const EMBEDDED_DB: &str = "tarello";
const APP_ROLE: &str = "tarello_app";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `serve`: owns the embedded cluster for its lifetime.
    Serve,
    /// Any other command: uses a running cluster or starts one for itself.
    Command,
}

#[derive(Debug)]
pub struct Runtime {
    pub db: Db,
    pub db_options: DbOptions,
    pub keks: KekSet,
    pub kek_text: SecretString,
    pub kek_source: KekSource,
    pub data_dir: PathBuf,
    cluster: Option<Cluster>,
    mode: Mode,
}

/// Creates the data directory (0711 so the cluster's own user can reach its
/// subdirectory when we run as root; nothing in it is listable) and checks
/// that it is writable.
pub fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o711)
            .create(dir)
            .with_context(|| format!("TARELLO_DATA_DIR: cannot create {}", dir.display()))?;
    }
    let probe = dir.join(".write-probe");
    File::create(&probe)
        .and_then(|mut f| f.write_all(b"ok"))
        .with_context(|| format!("TARELLO_DATA_DIR: {} is not writable", dir.display()))?;
    let _ = fs::remove_file(probe);
    Ok(())
}

impl Runtime {
    pub async fn open(cfg: &Config, mode: Mode) -> anyhow::Result<Runtime> {
        prepare_data_dir(&cfg.data_dir)?;
        let (keks, kek_text, kek_source) = kekfile::load(cfg)?;
        let (db_options, cluster) = match (&cfg.database_url, &cfg.app_database_url) {
            (Some(admin), Some(app)) => (external(admin, app, cfg.db_pool_size)?, None),
            _ => {
                let (opts, cluster) = embedded(cfg).await?;
                (opts, Some(cluster))
            }
        };
        let db = Db::connect_lazy(&db_options)?;
        Ok(Runtime {
            db,
            db_options,
            keks,
            kek_text,
            kek_source,
            data_dir: cfg.data_dir.clone(),
            cluster,
            mode,
        })
    }

    /// Closes the pools. `serve` stops the embedded cluster; a command stops
    /// it only if it started it and no `serve` is using it.
    pub async fn close(self) {
        self.db.close().await;
        let Some(cluster) = self.cluster else { return };
        let stop = match self.mode {
            Mode::Serve => true,
            Mode::Command => cluster.started_here() && !crate::serve_lock::held(&self.data_dir),
        };
        if stop && let Err(e) = cluster.stop().await {
            tracing::warn!(error = %e, "could not stop the embedded PostgreSQL cleanly");
        }
    }
}

/// The attachment store: the S3 bucket when one is configured (checked
/// with a probe object), else files under the blob directory.
pub async fn open_blobs(
    cfg: &Config,
) -> anyhow::Result<std::sync::Arc<dyn tarello_blobs::BlobStore>> {
    if let Some(s3) = &cfg.s3 {
        let store = tarello_blobs::S3::new(s3).context("TARELLO_S3_*")?;
        store
            .check()
            .await
            .with_context(|| format!("TARELLO_S3_BUCKET: cannot use bucket {}", s3.bucket))?;
        return Ok(std::sync::Arc::new(store));
    }
    let dir = cfg.blob_dir_path();
    let store = tarello_blobs::LocalDir::new(&dir)
        .with_context(|| format!("TARELLO_BLOB_DIR: cannot use {}", dir.display()))?;
    Ok(std::sync::Arc::new(store))
}

async fn embedded(cfg: &Config) -> anyhow::Result<(DbOptions, Cluster)> {
    let bins = PgBinaries::discover_with(cfg.pg_bindir.clone())?;
    let dir = cfg.data_dir.join("postgres");
    let cluster = Cluster::ensure_running(&bins, &ClusterOptions { dir, fsync: true })
        .await
        .context("embedded PostgreSQL")?;
    let base = PgConnectOptions::new()
        .socket(cluster.socket_dir())
        .port(cluster.port())
        .database(EMBEDDED_DB)
        .application_name("tarello");
    let admin = base.clone().username(cluster.superuser());
    tarello_store::ensure_database(&admin).await?;
    let opts = DbOptions {
        admin,
        app: base.username(APP_ROLE),
        app_password: None,
        pool_size: cfg.db_pool_size,
    };
    Ok((opts, cluster))
}

fn external(admin: &SecretString, app: &SecretString, pool_size: u32) -> anyhow::Result<DbOptions> {
    // Errors name the setting, never the URL (it may hold a password).
    let admin = PgConnectOptions::from_str(admin.expose())
        .map_err(|_| anyhow::anyhow!("TARELLO_DATABASE_URL is not a valid PostgreSQL URL"))?;
    let app_opts = PgConnectOptions::from_str(app.expose())
        .map_err(|_| anyhow::anyhow!("TARELLO_APP_DATABASE_URL is not a valid PostgreSQL URL"))?;
    if app_opts.get_username() == admin.get_username() {
        bail!(
            "TARELLO_APP_DATABASE_URL must log in as its own role (e.g. tarello_app), not as the owner role"
        );
    }
    let password = url_password(app.expose());
    Ok(DbOptions {
        admin: admin.application_name("tarello"),
        app: app_opts.application_name("tarello"),
        app_password: password,
        pool_size,
    })
}

/// The password part of `postgres://user:password@host/db`, percent-decoded.
/// (sqlx decodes it for connecting; `migrate` needs it to set the app role's.)
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split_once('@')?.0;
    let pw = userinfo.split_once(':')?.1;
    let mut out = Vec::new();
    let bytes = pw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = pw
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::url_password;

    #[test]
    fn reads_the_percent_decoded_password_of_a_url() {
        assert_eq!(
            url_password("postgres://app:s%40cret%2F1@db/t").as_deref(),
            Some("s@cret/1")
        );
        assert_eq!(url_password("postgres://app@db/t"), None);
        assert_eq!(
            url_password("postgres://app:%zz@db/t").as_deref(),
            Some("%zz")
        );
    }
}
