//! The subcommands. Each opens what it needs through [`crate::runtime`].

pub mod audit;
pub mod keys;
pub mod migrate;
pub mod serve;
pub mod workspace;

/// Bad input on the command line (exit code 2, like clap's own errors).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Wall-clock now. The one place commands read the clock.
pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

use crate::config::Config;
use crate::runtime::{Mode, Runtime};
use tarello_store::keyring;
use tarello_store::migrate::MigrationSet;

type Job<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + 'a>>;

/// Opens the runtime for a command (migrations current, KEK checked), runs
/// `f`, closes it.
pub async fn with_runtime<F>(cfg: &Config, f: F) -> anyhow::Result<()>
where
    F: for<'a> FnOnce(&'a Runtime) -> Job<'a>,
{
    let rt = Runtime::open(cfg, Mode::Command).await?;
    let result = async {
        tarello_store::migrate::ensure_current(&rt.db, &MigrationSet::builtin()).await?;
        keyring::verify_kek(&rt.db, &rt.keks, now()).await?;
        f(&rt).await
    }
    .await;
    rt.close().await;
    result
}
