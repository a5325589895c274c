//! `tarello workspace create|list`.

use clap::Subcommand;
use tarello_domain::Slug;
use tarello_store::migrate::{self, MigrationSet};

use super::UsageError;
use crate::config::Config;
use crate::runtime::{Mode, Runtime};

#[derive(Debug, Subcommand)]
pub enum WorkspaceCmd {
    /// Create a workspace: its schema, its database role, its tables and its data key, atomically.
    Create {
        /// URL name: 2-40 of a-z, 0-9 and single hyphens, starting with a letter.
        slug: String,
        /// Display name (defaults to the slug).
        #[arg(long)]
        name: Option<String>,
    },
    /// List workspaces with their schema version.
    List,
}

pub async fn run(cfg: Config, cmd: WorkspaceCmd) -> anyhow::Result<()> {
    // Validate before touching the database.
    let parsed = match &cmd {
        WorkspaceCmd::Create { slug, name } => {
            let slug = Slug::parse(slug).map_err(|e| UsageError(format!("invalid slug: {e}")))?;
            let name = name.clone().unwrap_or_else(|| slug.to_string());
            let len = name.trim().chars().count();
            if !(1..=200).contains(&len) {
                return Err(UsageError("a workspace name has 1 to 200 characters".into()).into());
            }
            Some((slug, name.trim().to_owned()))
        }
        WorkspaceCmd::List => None,
    };
    let rt = Runtime::open(&cfg, Mode::Command).await?;
    let result = async {
        let set = MigrationSet::builtin();
        migrate::ensure_current(&rt.db, &set).await?;
        tarello_store::keyring::verify_kek(&rt.db, &rt.keks, super::now()).await?;
        match parsed {
            Some((slug, name)) => {
                let ws = tarello_store::create_workspace(
                    &rt.db,
                    &rt.keks,
                    &set,
                    &slug,
                    &name,
                    super::now(),
                )
                .await?;
                println!(
                    "created workspace {} (id {}, schema {}, role {})",
                    ws.slug, ws.id, ws.schema_name, ws.role_name
                );
            }
            None => {
                let all = tarello_store::list_workspaces(&rt.db).await?;
                println!(
                    "{:<40} {:<36} {:<34} {:>7}",
                    "SLUG", "ID", "SCHEMA", "VERSION"
                );
                for ws in &all {
                    println!(
                        "{:<40} {:<36} {:<34} {:>7}",
                        ws.slug, ws.id, ws.schema_name, ws.schema_version
                    );
                }
                eprintln!("{} workspace(s)", all.len());
            }
        }
        Ok(())
    }
    .await;
    rt.close().await;
    result
}
