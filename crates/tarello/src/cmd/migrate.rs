//! `tarello migrate`.

use tarello_store::migrate::{self, MigrationSet};

use crate::config::Config;
use crate::progress::Bar;
use crate::runtime::{Mode, Runtime};

pub async fn run(cfg: Config) -> anyhow::Result<()> {
    let rt = Runtime::open(&cfg, Mode::Command).await?;
    let result = async {
        let set = MigrationSet::builtin();
        let report = migrate::migrate(
            &rt.db,
            &set,
            cfg.migrate_parallelism,
            rt.db_options.app_password.as_deref(),
            &Bar::new(),
        )
        .await?;
        tarello_store::keyring::verify_kek(&rt.db, &rt.keks, super::now()).await?;
        println!(
            "control schema at version {} ({} applied now); {} of {} workspace(s) migrated to version {}",
            set.control_latest(),
            report.control_applied.len(),
            report.workspaces_migrated,
            report.workspaces_total,
            set.workspace_latest()
        );
        Ok(())
    }
    .await;
    rt.close().await;
    result
}
