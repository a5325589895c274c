//! `tarello-bench`: the scale figures of the multi-tenant store, printed as a
//! Markdown table; `tarello-bench auth`: login throughput and authenticated
//! GET latency under a bad-login flood, against the real server binary;
//! `tarello-bench mixed`: the mixed work-model load through HTTP (wrk) and
//! the same transactions straight to PostgreSQL (pgbench), as a ratio;
//! `tarello-bench history`: the audit history's write overhead, query
//! latency at scale, export rate and sealer/verifier rates.
//! Figures are reported, never asserted; comparisons are ratios measured in
//! the same run. See `bench/README.md`.
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, reason = "the table on stdout is the product")]

mod args;
mod auth;
mod begin;
mod diag;
mod fleet;
mod history;
mod migration;
mod mixed;
mod progress;
mod server;
mod stats;

use std::time::{Duration, Instant};

use anyhow::Context;
use tarello_crypto::KekSet;
use tarello_store::migrate::{self, MigrationSet};
use tarello_store::{Db, DbOptions, NoProgress, keyring, list_workspaces};
use time::OffsetDateTime;

use crate::args::{Args, AuthArgs, HistoryArgs, MixedArgs, USAGE};
use crate::fleet::Fleet;
use crate::stats::{Summary, ms, ratio, thousands, us};

#[derive(Debug)]
struct Creation {
    present: u64,
    summary: Summary,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut raw = std::env::args().skip(1).peekable();
    if raw.peek().is_some_and(|a| a == "auth") {
        raw.next();
        let Some(args) = AuthArgs::parse(raw)? else {
            eprint!("{USAGE}");
            return Ok(());
        };
        return auth::run(args).await;
    }
    if raw.peek().is_some_and(|a| a == "mixed") {
        raw.next();
        let Some(args) = MixedArgs::parse(raw)? else {
            eprint!("{USAGE}");
            return Ok(());
        };
        return mixed::run(args).await;
    }
    if raw.peek().is_some_and(|a| a == "history") {
        raw.next();
        let Some(args) = HistoryArgs::parse(raw)? else {
            eprint!("{USAGE}");
            return Ok(());
        };
        return history::run(args).await;
    }
    let Some(args) = Args::parse(raw)? else {
        eprint!("{USAGE}");
        return Ok(());
    };
    let started = Instant::now();
    eprintln!("tarello-bench {args:?}");
    eprintln!("cluster dir: {}", tarello_testkit::cluster_dir().display());

    let tdb = tarello_testkit::fresh_database().await;
    let db = Db::connect_lazy(&DbOptions {
        admin: tdb.admin.clone(),
        app: tdb.app.clone(),
        app_password: None,
        pool_size: begin::POOL,
    })?;
    migrate::migrate(&db, &MigrationSet::builtin(), 2, None, &NoProgress)
        .await
        .context("initial migrate")?;
    let keks = KekSet::parse(KekSet::generate_key_text().expose())?;
    keyring::verify_kek(&db, &keks, OffsetDateTime::now_utc()).await?;
    let pools = begin::Pools::new(&db, &tdb);
    let server_version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&pools.owner)
        .await?;

    let mut fleet = Fleet {
        db: db.clone(),
        keks,
        set: MigrationSet::builtin(),
        count: 0,
    };
    let mut checkpoints = args.levels.clone();
    checkpoints.push(args.migrate_at);
    checkpoints.sort_unstable();
    checkpoints.dedup();

    let mut creations = Vec::new();
    let mut migrations = Vec::new();
    let mut grants = Vec::new();
    for &cp in &checkpoints {
        fleet.fill_to(cp).await?;
        if args.levels.contains(&cp) {
            eprintln!(
                "timing {} creations with {} workspaces present",
                args.samples, fleet.count
            );
            let present = fleet.count;
            let samples = fleet.time_creations(args.samples).await?;
            let last = fleet.create_one().await?;
            grants.push(diag::grants(&pools.owner, &last, db.app_role(), fleet.count, 20).await?);
            let summary = Summary::of(&samples).context("no samples")?;
            eprintln!(
                "  median {} p95 {} mean {}",
                ms(summary.median),
                ms(summary.p95),
                ms(summary.mean)
            );
            creations.push(Creation { present, summary });
        }
        if cp == args.migrate_at {
            migrations = migration::figures(&mut fleet).await?;
        }
    }

    let all = list_workspaces(&db).await?;
    let hot = all.first().context("no workspace")?.clone();
    let k = usize::try_from(args.begins)
        .unwrap_or(usize::MAX)
        .min(all.len().saturating_sub(1))
        .max(1);
    let many: Vec<_> = all.iter().skip(1).take(k).cloned().collect();
    let many = if many.is_empty() {
        vec![hot.clone()]
    } else {
        many
    };
    let (pairs, thr) = begin::figures(&pools, &hot, &many, args.begins).await?;

    print_table(
        &args,
        &server_version,
        fleet.count,
        &creations,
        &migrations,
        &pairs,
        &thr,
        &grants,
        started.elapsed(),
    );
    pools.app.close().await;
    pools.owner.close().await;
    db.close().await;
    Ok(())
}

#[allow(clippy::too_many_arguments, reason = "one call site, all figures")]
fn print_table(
    args: &Args,
    server_version: &str,
    total: u64,
    creations: &[Creation],
    migrations: &[migration::Timed],
    pairs: &[begin::Pair],
    thr: &begin::Throughput,
    grants: &[diag::Grants],
    wall: Duration,
) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "## tarello-bench — PostgreSQL {server_version}, {cores} cores, {} workspaces at the end, run took {:.0} s",
        thousands(total),
        wall.as_secs_f64()
    );
    println!();
    println!("| Figure | Result | Detail |");
    println!("|---|---|---|");
    for c in creations {
        println!(
            "| workspace creation, {} present | median {} · p95 {} · mean {} | {} creations timed one after another |",
            thousands(c.present),
            ms(c.summary.median),
            ms(c.summary.p95),
            ms(c.summary.mean),
            c.summary.n
        );
    }
    if let (Some(first), Some(last)) = (creations.first(), creations.last())
        && creations.len() > 1
    {
        println!(
            "| creation median, {} vs {} present | {} | ratio in this run |",
            thousands(last.present),
            thousands(first.present),
            ratio(last.summary.median, first.summary.median)
        );
    }
    for m in migrations {
        let secs = m.elapsed.as_secs_f64();
        let rate = if m.report.workspaces_migrated > 0 && secs > 0.0 {
            format!(
                " · {:.0} workspaces/s",
                m.report.workspaces_migrated as f64 / secs
            )
        } else {
            String::new()
        };
        println!(
            "| `migrate` {}, {} workspaces, parallelism {} | {secs:.2} s{rate} | {} migrated |",
            m.label,
            thousands(m.report.workspaces_total as u64),
            m.parallelism,
            thousands(m.report.workspaces_migrated as u64),
        );
    }
    for p in pairs {
        println!(
            "| {}: tenant vs plain | median {} vs {} (**{}**) · mean {} vs {} ({}) · p95 {} vs {} | {} sequential pairs; {} |",
            p.label,
            us(p.tenant.median),
            us(p.plain.median),
            ratio(p.tenant.median, p.plain.median),
            us(p.tenant.mean),
            us(p.plain.mean),
            ratio(p.tenant.mean, p.plain.mean),
            us(p.tenant.p95),
            us(p.plain.p95),
            p.tenant.n,
            p.detail
        );
    }
    let per = |d: Duration| d / u32::try_from(thr.ops).unwrap_or(u32::MAX).max(1);
    println!(
        "| begin+commit, {} concurrent tasks on a pool of {}: tenant vs plain | {} vs {} per transaction (**{}**) | {} transactions per side, wall time / count |",
        begin::POOL,
        begin::POOL,
        us(per(thr.tenant)),
        us(per(thr.plain)),
        ratio(thr.tenant, thr.plain),
        thousands(thr.ops)
    );
    for g in grants {
        println!(
            "| grant script statements, {} present ({} pg_class rows) | ALL TABLES IN SCHEMA {} · ALL SEQUENCES IN SCHEMA {} · named tables {} · role TO app {} | medians of {}, as the owner, rolled back |",
            thousands(g.present),
            thousands(u64::try_from(g.pg_class_rows).unwrap_or(0)),
            ms(g.all_tables.median),
            ms(g.all_sequences.median),
            ms(g.named_tables.median),
            ms(g.role_to_app.median),
            g.all_tables.n
        );
    }
    println!();
    println!(
        "Levels {:?}, {} samples per level, migrate at {}; ratios are tenant ÷ plain (or later ÷ earlier), measured in this run.",
        args.levels, args.samples, args.migrate_at
    );
}
