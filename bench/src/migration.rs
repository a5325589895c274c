//! Timing `migrate` over every workspace present.

use std::time::{Duration, Instant};

use anyhow::Context;
use tarello_store::migrate::{MigrateReport, Migration, MigrationSet, migrate};

use crate::fleet::Fleet;
use crate::progress;

#[derive(Debug)]
pub struct Timed {
    pub label: String,
    pub parallelism: usize,
    pub report: MigrateReport,
    pub elapsed: Duration,
}

/// A copy of `set` with one more workspace migration (also folded into the
/// create-from-scratch script, as a real migration would be).
pub fn with_migration(set: &MigrationSet, name: &str, sql: &str) -> MigrationSet {
    let mut set = set.clone();
    let version = set.workspace_latest() + 1;
    set.workspace.push(Migration {
        version,
        name: name.to_owned(),
        sql: sql.to_owned(),
    });
    set.workspace_schema.push_str(&format!("\n{sql};\n"));
    set
}

pub async fn run(
    fleet: &Fleet,
    set: &MigrationSet,
    label: &str,
    parallelism: usize,
) -> anyhow::Result<Timed> {
    eprintln!(
        "migrate ({label}, parallelism {parallelism}) over {} workspaces",
        fleet.count
    );
    let p = progress::Stderr::new(500);
    let t = Instant::now();
    let report = migrate(&fleet.db, set, parallelism, None, &p)
        .await
        .with_context(|| format!("migrate ({label}, parallelism {parallelism})"))?;
    Ok(Timed {
        label: label.to_owned(),
        parallelism,
        report,
        elapsed: t.elapsed(),
    })
}

/// No-op runs at parallelism 2 and 4, then one add-column migration at each.
/// Leaves `fleet.set` at the extended set so later creations match.
pub async fn figures(fleet: &mut Fleet) -> anyhow::Result<Vec<Timed>> {
    let mut out = Vec::new();
    let base = fleet.set.clone();
    for par in [2, 4] {
        out.push(run(fleet, &base, "no-op", par).await?);
    }
    let colour = with_migration(
        &base,
        "bench_colour",
        "ALTER TABLE board ADD COLUMN colour text",
    );
    out.push(run(fleet, &colour, "add column `board.colour text`", 2).await?);
    let position = with_migration(
        &colour,
        "bench_position",
        "ALTER TABLE board ADD COLUMN position integer",
    );
    out.push(run(fleet, &position, "add column `board.position integer`", 4).await?);
    fleet.set = position;
    Ok(out)
}
