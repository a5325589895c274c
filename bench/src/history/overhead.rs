//! The history's write overhead: the mixed load through HTTP with the
//! history triggers on, off, and on again, in one run.

use std::path::Path;

use sqlx::PgPool;

use super::events::AUDITED;
use crate::mixed::Workload;
use crate::mixed::seed::Ws;
use crate::mixed::wrk::WrkRun;
use crate::stats::ms;

/// One timed wrk run and the history rows written during it.
#[derive(Debug)]
pub struct Run {
    pub label: &'static str,
    pub wrk: WrkRun,
    pub events: i64,
}

#[derive(Debug)]
pub struct Overhead {
    pub warmup: Option<WrkRun>,
    /// On, off, on again.
    pub runs: Vec<Run>,
}

/// `ALTER TABLE … ENABLE|DISABLE TRIGGER <table>_history` on every
/// audited table of `wss`, as the superuser, in one transaction.
pub async fn set_triggers(su: &PgPool, wss: &[Ws], on: bool) -> anyhow::Result<()> {
    let verb = if on { "ENABLE" } else { "DISABLE" };
    let mut tx = su.begin().await?;
    for ws in wss {
        for t in AUDITED {
            sqlx::query(&format!(
                "ALTER TABLE {}.{t} {verb} TRIGGER {t}_history",
                ws.schema()
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// History rows of all of `wss`.
async fn events(su: &PgPool, wss: &[Ws]) -> anyhow::Result<i64> {
    let mut n = 0;
    for ws in wss {
        n += super::events::count(su, ws).await?;
    }
    Ok(n)
}

/// Warm-up (history on), then on, off, on: `secs` each.
pub async fn figures(
    su: &PgPool,
    load: &Workload,
    wrk_bin: &Path,
    base: &str,
    connections: u64,
    secs: u64,
    warmup: u64,
) -> anyhow::Result<Overhead> {
    let warmup = if warmup > 0 {
        eprintln!("wrk warm-up (history on): {warmup} s");
        let w = load.run(su, wrk_bin, base, connections, warmup).await?;
        eprintln!("  {:.0} req/s, {} non-2xx", w.rate(), w.non_2xx());
        Some(w)
    } else {
        None
    };
    let mut runs = Vec::new();
    for (label, on) in [
        ("history on", true),
        ("history off", false),
        ("history on, again", true),
    ] {
        set_triggers(su, &load.workspaces, on).await?;
        let before = events(su, &load.workspaces).await?;
        eprintln!("wrk: {label}, {connections} connections, {secs} s, mixed load");
        let wrk = load.run(su, wrk_bin, base, connections, secs).await?;
        let written = events(su, &load.workspaces).await? - before;
        eprintln!(
            "  {:.0} req/s, p50 {}, p99 {}, {} non-2xx, {written} history events",
            wrk.rate(),
            ms(wrk.p50),
            ms(wrk.p99),
            wrk.non_2xx()
        );
        runs.push(Run {
            label,
            wrk,
            events: written,
        });
    }
    set_triggers(su, &load.workspaces, true).await?;
    Ok(Overhead { warmup, runs })
}
