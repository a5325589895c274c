//! `tarello audit seal|verify|purge`, and the server's background sealing
//! and retention.

use std::time::Duration;

use clap::Subcommand;
use tarello_crypto::KekSet;
use tarello_domain::Slug;
use tarello_store::audit::{self, seal, verify};
use tarello_store::{Db, NoProgress, Progress, Workspace};

use super::{UsageError, now, with_runtime};
use crate::config::Config;
use crate::progress::Bar;
use crate::runtime::Runtime;

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Chain the committed history events not chained yet (`serve` does it every few seconds).
    Seal {
        /// Only this workspace.
        #[arg(long, value_name = "SLUG")]
        workspace: Option<String>,
    },
    /// Recompute each workspace's history chain; print the first broken link and exit 1 if any.
    Verify {
        /// Only this workspace.
        #[arg(long, value_name = "SLUG")]
        workspace: Option<String>,
        /// A head printed by an earlier verify (`POS:LINK`, kept outside the database): the
        /// chain must still pass through it. Needs --workspace.
        #[arg(long, value_name = "POS:LINK", requires = "workspace")]
        head: Option<String>,
    },
    /// Remove history older than the plan keeps (free 90 days, pro 1 year, business 3 years). Resumable.
    Purge,
}

/// The chain was found broken (exit code 1, after every workspace was checked).
#[derive(Debug, thiserror::Error)]
#[error("the history of {0} workspace(s) does not match its chain")]
pub struct Broken(usize);

pub async fn run(cfg: Config, cmd: AuditCmd) -> anyhow::Result<()> {
    match cmd {
        AuditCmd::Seal { workspace } => {
            let only = parse(workspace)?;
            with_runtime(&cfg, move |rt| Box::pin(seal_cmd(rt, only))).await
        }
        AuditCmd::Verify { workspace, head } => {
            let only = parse(workspace)?;
            let known = head.as_deref().map(parse_head).transpose()?;
            with_runtime(&cfg, move |rt| Box::pin(verify_cmd(rt, only, known))).await
        }
        AuditCmd::Purge => with_runtime(&cfg, |rt| Box::pin(purge_cmd(rt))).await,
    }
}

fn parse(slug: Option<String>) -> anyhow::Result<Option<Slug>> {
    Ok(match slug {
        Some(s) => Some(Slug::parse(&s).map_err(|e| UsageError(format!("invalid slug: {e}")))?),
        None => None,
    })
}

/// `POS:LINK` (the link as 64 hex digits).
fn parse_head(s: &str) -> anyhow::Result<(i64, Vec<u8>)> {
    let bad = || {
        UsageError(format!(
            "--head {s}: expected POS:LINK as printed by audit verify"
        ))
    };
    let (pos, link) = s.split_once(':').ok_or_else(bad)?;
    let pos: i64 = pos.parse().map_err(|_| bad())?;
    if link.len() != 64 || pos < 1 {
        return Err(bad().into());
    }
    let bytes = (0..32)
        .map(|i| u8::from_str_radix(link.get(2 * i..2 * i + 2).unwrap_or(""), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    Ok((pos, bytes))
}

async fn workspaces(rt: &Runtime, only: Option<Slug>) -> anyhow::Result<Vec<Workspace>> {
    Ok(match only {
        Some(slug) => vec![tarello_store::find_workspace(&rt.db, &slug).await?],
        None => tarello_store::list_workspaces(&rt.db).await?,
    })
}

async fn seal_cmd(rt: &Runtime, only: Option<Slug>) -> anyhow::Result<()> {
    let all = workspaces(rt, only).await?;
    let mut events = 0;
    let bar = Bar::new();
    bar.start("sealing", u64::try_from(all.len()).unwrap_or(0));
    for ws in &all {
        events += seal::seal_all(&rt.db, &rt.keks, ws.id, audit::SEAL_BATCH, now())
            .await?
            .events;
        bar.advance(1);
    }
    bar.finish("sealed");
    println!("{events} event(s) sealed in {} workspace(s)", all.len());
    Ok(())
}

async fn verify_cmd(
    rt: &Runtime,
    only: Option<Slug>,
    known: Option<(i64, Vec<u8>)>,
) -> anyhow::Result<()> {
    let mut broken = 0;
    for ws in workspaces(rt, only).await? {
        let v = verify::verify_with(&rt.db, &rt.keks, ws.id, known.clone(), &Bar::new()).await?;
        match &v.broken {
            None => println!(
                "{}: ok, {} event(s) verified, head {}:{}, {} not sealed yet",
                ws.slug, v.events, v.head, v.head_hash, v.pending
            ),
            Some(b) => {
                broken += 1;
                println!(
                    "{}: BROKEN: {b} ({} event(s) verified before it)",
                    ws.slug, v.events
                );
            }
        }
    }
    if broken > 0 {
        return Err(Broken(broken).into());
    }
    Ok(())
}

async fn purge_cmd(rt: &Runtime) -> anyhow::Result<()> {
    let p = audit::purge_by_plan(&rt.db, &rt.keks, now(), &Bar::new()).await?;
    println!(
        "{} history event(s) and {} capability record(s) older than their plan keeps removed",
        p.events, p.calls
    );
    Ok(())
}

/// `serve`'s background work: seal every few seconds, purge every few
/// hours. Errors are logged and retried on the next round.
pub async fn background(db: Db, keks: KekSet) {
    const SEAL_EVERY: Duration = Duration::from_secs(5);
    const PURGE_EVERY: u32 = 6 * 60 * 60 / 5;
    let mut round: u32 = 0;
    let mut sealer = audit::rounds::Sealer::new();
    loop {
        tokio::time::sleep(SEAL_EVERY).await;
        match sealer.round(&db, &keks, now()).await {
            Ok(r) => {
                for (slug, e) in &r.failed {
                    tracing::warn!(workspace = %slug, error = %e, "sealing history failed; retrying next round");
                }
            }
            Err(e) => tracing::warn!(error = %e, "sealing history failed; retrying next round"),
        }
        round = round.wrapping_add(1);
        if round.is_multiple_of(PURGE_EVERY)
            && let Err(e) = audit::purge_by_plan(&db, &keks, now(), &NoProgress).await
        {
            tracing::warn!(error = %e, "history retention failed; retrying next round");
        }
    }
}
