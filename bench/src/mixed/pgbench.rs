//! The database's own ceiling: the same transactions as the HTTP mix,
//! replayed by pgbench (`bench/pgbench/*.sql`) as the app role, with the
//! seeded ids in a small schema of their own (`bench_mixed`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::PgPool;
use tarello_testkit::{APP_ROLE, TestDb};
use tokio::process::Command;
use uuid::Uuid;

use super::seed::{LISTS, ROLES, Ws};
use crate::stats::Summary;

/// (script, weight out of 200): the same mix as `bench/wrk/mixed.lua`.
pub const SCRIPTS: &[(&str, u32)] = &[
    ("board_get.sql", 80),
    ("card_get.sql", 40),
    ("comment_post.sql", 30),
    ("card_post.sql", 20),
    ("card_move.sql", 20),
    ("tag_add.sql", 5),
    ("tag_del.sql", 5),
];

pub fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("pgbench")
}

/// pgbench of the cluster's own PostgreSQL installation.
pub fn binary() -> anyhow::Result<PathBuf> {
    let bins = tarello_pg::PgBinaries::discover().context("finding PostgreSQL binaries")?;
    let p = bins.bindir().join("pgbench");
    if p.is_file() {
        Ok(p)
    } else {
        bail!("no pgbench at {}", p.display())
    }
}

/// The columns of `bench_mixed.pick`, one row per seeded card.
#[derive(Debug, Default)]
struct PickRows {
    n: Vec<i32>,
    ws_n: Vec<i32>,
    ws_id: Vec<Uuid>,
    ws_role: Vec<String>,
    ws_schema: Vec<String>,
    card: Vec<Uuid>,
    board: Vec<Uuid>,
    list: Vec<Uuid>,
}

/// Writes the id tables the scripts pick from; returns the number of cards
/// (the range of `:n`).
pub async fn prepare(su: &PgPool, wss: &[Ws]) -> anyhow::Result<usize> {
    for stmt in [
        "DROP SCHEMA IF EXISTS bench_mixed CASCADE",
        "CREATE SCHEMA bench_mixed",
        "CREATE TABLE bench_mixed.pick (n int PRIMARY KEY, ws_n int NOT NULL, ws_id uuid NOT NULL, \
         ws_role text NOT NULL, ws_schema text NOT NULL, card_id uuid NOT NULL, board_id uuid NOT NULL, \
         list_id uuid NOT NULL)",
        "CREATE TABLE bench_mixed.ws_user (ws_n int, k int, user_id uuid NOT NULL, PRIMARY KEY (ws_n, k))",
        "CREATE TABLE bench_mixed.board_list (board_id uuid, k int, list_id uuid NOT NULL, \
         PRIMARY KEY (board_id, k))",
        "CREATE TABLE bench_mixed.ws_tag (ws_n int, k int, tag_id uuid NOT NULL, PRIMARY KEY (ws_n, k))",
    ] {
        sqlx::query(stmt).execute(su).await?;
    }
    let mut pick = PickRows::default();
    let mut users: (Vec<i32>, Vec<i32>, Vec<Uuid>) = Default::default();
    let mut bl: (Vec<Uuid>, Vec<i32>, Vec<Uuid>) = Default::default();
    let mut tags: (Vec<i32>, Vec<i32>, Vec<Uuid>) = Default::default();
    let mut n = 0i32;
    for (w, ws) in wss.iter().enumerate() {
        let w = i32::try_from(w + 1)?;
        if ws.people.len() != ROLES.len() {
            bail!("workspace {} has {} people", ws.slug, ws.people.len());
        }
        for (k, p) in ws.people.iter().enumerate() {
            users.0.push(w);
            users.1.push(i32::try_from(k + 1)?);
            users.2.push(p.user_id);
        }
        for (k, t) in ws.tags.iter().enumerate() {
            tags.0.push(w);
            tags.1.push(i32::try_from(k + 1)?);
            tags.2.push(*t);
        }
        for b in &ws.boards {
            if b.lists.len() != LISTS {
                bail!("a board of {} has {} lists", ws.slug, b.lists.len());
            }
            for (k, l) in b.lists.iter().enumerate() {
                bl.0.push(b.id);
                bl.1.push(i32::try_from(k + 1)?);
                bl.2.push(*l);
            }
            for (c, li) in &b.cards {
                n += 1;
                pick.n.push(n);
                pick.ws_n.push(w);
                pick.ws_id.push(ws.id);
                pick.ws_role.push(ws.role());
                pick.ws_schema.push(ws.schema());
                pick.card.push(*c);
                pick.board.push(b.id);
                pick.list.push(*b.lists.get(*li).context("list index")?);
            }
        }
    }
    sqlx::query(
        "INSERT INTO bench_mixed.pick SELECT * FROM unnest($1::int[], $2::int[], $3::uuid[], \
         $4::text[], $5::text[], $6::uuid[], $7::uuid[], $8::uuid[])",
    )
    .bind(&pick.n)
    .bind(&pick.ws_n)
    .bind(&pick.ws_id)
    .bind(&pick.ws_role)
    .bind(&pick.ws_schema)
    .bind(&pick.card)
    .bind(&pick.board)
    .bind(&pick.list)
    .execute(su)
    .await?;
    sqlx::query(
        "INSERT INTO bench_mixed.ws_user SELECT * FROM unnest($1::int[], $2::int[], $3::uuid[])",
    )
    .bind(&users.0)
    .bind(&users.1)
    .bind(&users.2)
    .execute(su)
    .await?;
    sqlx::query(
        "INSERT INTO bench_mixed.board_list SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[])",
    )
    .bind(&bl.0)
    .bind(&bl.1)
    .bind(&bl.2)
    .execute(su)
    .await?;
    sqlx::query(
        "INSERT INTO bench_mixed.ws_tag SELECT * FROM unnest($1::int[], $2::int[], $3::uuid[])",
    )
    .bind(&tags.0)
    .bind(&tags.1)
    .bind(&tags.2)
    .execute(su)
    .await?;
    for stmt in [
        format!("GRANT USAGE ON SCHEMA bench_mixed TO {APP_ROLE}"),
        format!("GRANT SELECT ON ALL TABLES IN SCHEMA bench_mixed TO {APP_ROLE}"),
        "ANALYZE bench_mixed.pick, bench_mixed.ws_user, bench_mixed.board_list, bench_mixed.ws_tag"
            .to_owned(),
    ] {
        sqlx::query(&stmt).execute(su).await?;
    }
    usize::try_from(n).context("card count")
}

#[derive(Debug, Clone)]
pub struct PgbenchRun {
    pub clients: u64,
    pub tps: f64,
    pub transactions: u64,
    pub failed: u64,
    pub aborted: bool,
    /// Per-transaction latencies from the `-l` log.
    pub latency: Option<Summary>,
    /// Transactions per script, in `SCRIPTS` order.
    pub per_script: Vec<u64>,
}

fn number_after(text: &str, prefix: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let rest = l.trim().strip_prefix(prefix)?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Reads pgbench's summary and its per-transaction logs (`<prefix>*`).
pub fn parse(stdout: &str, log_dir: &Path, clients: u64) -> anyhow::Result<PgbenchRun> {
    let tps = number_after(stdout, "tps =").context("pgbench printed no tps")?;
    let transactions =
        number_after(stdout, "number of transactions actually processed:").unwrap_or(0.0) as u64;
    let failed = number_after(stdout, "number of failed transactions:").unwrap_or(0.0) as u64;
    let aborted = stdout.contains("aborted");
    let mut lat = Vec::new();
    let mut per_script = vec![0u64; SCRIPTS.len()];
    for entry in std::fs::read_dir(log_dir)? {
        let path = entry?.path();
        if !path
            .file_name()
            .is_some_and(|f| f.to_string_lossy().starts_with("pgbench_log"))
        {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        for line in text.lines() {
            // client_id transaction_no time script_no time_epoch time_us
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(t), Some(s)) = (f.get(2), f.get(3)) else {
                continue;
            };
            if let (Ok(t), Ok(s)) = (t.parse::<u64>(), s.parse::<usize>()) {
                lat.push(Duration::from_micros(t));
                if let Some(c) = per_script.get_mut(s) {
                    *c += 1;
                }
            }
        }
    }
    Ok(PgbenchRun {
        clients,
        tps,
        transactions,
        failed,
        aborted,
        latency: Summary::of(&lat),
        per_script,
    })
}

pub async fn run(
    pgbench: &Path,
    tdb: &TestDb,
    ncards: usize,
    ntags: usize,
    clients: u64,
    secs: u64,
    log_dir: &Path,
) -> anyhow::Result<PgbenchRun> {
    let dir = script_dir();
    let mut cmd = Command::new(pgbench);
    cmd.arg("-n")
        .arg("-M")
        .arg("prepared")
        .arg("-c")
        .arg(clients.to_string())
        .arg("-j")
        .arg(clients.min(2).to_string())
        .arg("-T")
        .arg(secs.to_string())
        .arg("-D")
        .arg(format!("ncards={ncards}"))
        .arg("-D")
        .arg(format!("nlists={LISTS}"))
        .arg("-D")
        .arg(format!("ntags={}", ntags.max(1)))
        .arg("-l")
        .arg(format!(
            "--log-prefix={}",
            log_dir.join("pgbench_log").display()
        ));
    for (file, weight) in SCRIPTS {
        cmd.arg("-f")
            .arg(format!("{}@{weight}", dir.join(file).display()));
    }
    cmd.arg("-h")
        .arg(&tdb.socket_dir)
        .arg("-p")
        .arg(tdb.port.to_string())
        .arg("-U")
        .arg(APP_ROLE)
        .arg(&tdb.name)
        .kill_on_drop(true);
    let out = cmd.output().await.context("running pgbench")?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        bail!("pgbench failed ({}):\n{stdout}\n{stderr}", out.status);
    }
    let all = format!("{stdout}\n{stderr}");
    parse(&all, log_dir, clients).with_context(|| format!("pgbench output:\n{all}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_summary() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pgbench_log.12"),
            "0 1 1500 0 1700000000 1\n1 1 2500 3 1700000000 2\n",
        )
        .unwrap();
        let out = "transaction type: multiple scripts\n\
            number of transactions actually processed: 2\n\
            number of failed transactions: 0 (0.000%)\n\
            latency average = 2.000 ms\n\
            tps = 1234.567890 (without initial connection time)\n";
        let r = parse(out, dir.path(), 32).unwrap();
        assert!((r.tps - 1234.56789).abs() < 1e-6);
        assert_eq!((r.transactions, r.failed, r.aborted), (2, 0, false));
        assert_eq!(r.per_script[..4], [1, 0, 0, 1]);
        assert_eq!(r.latency.unwrap().n, 2);
    }
}
