//! `tarello-bench mixed`: the mixed-load benchmark. Seeds
//! workspaces through the API, drives the mixed workload through HTTP with
//! wrk (`bench/wrk/mixed.lua`), replays the same transactions with pgbench
//! (`bench/pgbench/*.sql`) as the database's own ceiling, reports the ratio,
//! and times GETs of a big board. Figures are reported, never asserted.

mod pgbench;
pub mod seed;
pub mod wrk;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::args::MixedArgs;
use crate::server::{self, Server};
use crate::stats::{Summary, ms, thousands};
use seed::{Api, Seeded, Ws};

/// Server settings of the run (besides those `Server::start` sets): the
/// sign-up limits raised so one address can sign all bench people up.
pub const SERVER_ENV: &[(&str, &str)] = &[
    ("TARELLO_SIGNUP_PER_IP_PER_HOUR", "100000"),
    ("TARELLO_SIGNUP_PER_DOMAIN_PER_HOUR", "1000000"),
];
const BIG_WARMUP: usize = 5;

#[derive(Debug)]
struct Big {
    cards: usize,
    lists: usize,
    bytes: usize,
    latency: Summary,
}

#[derive(Debug)]
struct Figures {
    seeded_cards: usize,
    seed_time: Duration,
    tags_via_sql: bool,
    warmup: Option<wrk::WrkRun>,
    http: wrk::WrkRun,
    db: pgbench::PgbenchRun,
    big: Option<Big>,
}

pub async fn run(args: MixedArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let bin = args
        .bin
        .as_ref()
        .map_or_else(server::default_bin, PathBuf::from);
    eprintln!("tarello-bench mixed {args:?}");
    eprintln!("server binary: {}", bin.display());
    eprintln!("cluster dir: {}", tarello_testkit::cluster_dir().display());
    let wrk_bin = wrk::binary()?;
    let pgbench_bin = pgbench::binary()?;
    let tdb = tarello_testkit::fresh_database().await;
    let su = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(tdb.admin.clone())
        .await
        .context("superuser pool")?;
    let server_version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&su)
        .await?;
    let srv = Arc::new(Server::start_with(&bin, &tdb, SERVER_ENV).await?);
    eprintln!("server up at {}", srv.base);
    let figures = figures(&args, &srv, &tdb, &su, &wrk_bin, &pgbench_bin).await;
    let stopped = match Arc::try_unwrap(srv) {
        Ok(s) => s.stop().await,
        Err(_) => Ok("still shared; killed on drop".to_owned()),
    };
    eprintln!("server stopped: {}", stopped.as_deref().unwrap_or("?"));
    su.close().await;
    let figures = figures?;
    stopped?;
    print_table(&args, &server_version, &figures, started.elapsed());
    Ok(())
}

async fn figures(
    args: &MixedArgs,
    srv: &Arc<Server>,
    tdb: &tarello_testkit::TestDb,
    su: &sqlx::PgPool,
    wrk_bin: &std::path::Path,
    pgbench_bin: &std::path::Path,
) -> anyhow::Result<Figures> {
    let api = Api::new(&srv.base)?;
    let t = Instant::now();
    let Seeded {
        workspaces,
        big,
        tags_via_sql,
    } = seed::seed(
        &api,
        srv,
        su,
        usize::try_from(args.workspaces)?,
        usize::try_from(args.big_cards)?,
    )
    .await?;
    let seed_time = t.elapsed();
    let seeded_cards: usize = workspaces
        .iter()
        .flat_map(|w| &w.boards)
        .map(|b| b.cards.len())
        .sum();
    eprintln!(
        "seeded {} workspaces, {seeded_cards} cards in {:.1} s{}",
        workspaces.len(),
        seed_time.as_secs_f64(),
        if tags_via_sql {
            " (tags with SQL: no POST …/tags yet)"
        } else {
            ""
        }
    );

    let load = Workload::new(&api, workspaces).await?;
    let warmup = if args.warmup > 0 {
        eprintln!("wrk warm-up: {} s", args.warmup);
        let w = load
            .run(su, wrk_bin, &srv.base, args.connections, args.warmup)
            .await?;
        eprintln!("  {:.0} req/s, {} non-2xx", w.rate(), w.non_2xx());
        Some(w)
    } else {
        None
    };
    eprintln!(
        "wrk: {} connections, {} s, mixed load",
        args.connections, args.secs
    );
    let http = load
        .run(su, wrk_bin, &srv.base, args.connections, args.secs)
        .await?;
    eprintln!(
        "  {:.0} req/s, p50 {}, p99 {}, {} non-2xx",
        http.rate(),
        ms(http.p50),
        ms(http.p99),
        http.non_2xx()
    );

    eprintln!(
        "pgbench: {} clients, {} s, same transactions",
        args.connections, args.secs
    );
    let ncards = pgbench::prepare(su, &load.workspaces).await?;
    let ntags = load.workspaces.first().map_or(0, |w| w.tags.len());
    let logs = load.dir().join("pgbench");
    std::fs::create_dir_all(&logs)?;
    let db = pgbench::run(
        pgbench_bin,
        tdb,
        ncards,
        ntags,
        args.connections,
        args.secs,
        &logs,
    )
    .await?;
    eprintln!("  {:.0} tps, {} failed", db.tps, db.failed);

    let big = match &big {
        Some(ws) => Some(big_board(&api, ws, args.big_gets).await?),
        None => None,
    };
    Ok(Figures {
        seeded_cards,
        seed_time,
        tags_via_sql,
        warmup,
        http,
        db,
        big,
    })
}

/// The seeded workspaces with a workspace token for each of their people
/// (10-minute lifetime, fetched by [`Workload::new`]), and a temporary
/// directory for wrk's data file.
#[derive(Debug)]
pub struct Workload {
    pub workspaces: Vec<Ws>,
    tokens: Vec<Vec<String>>,
    tmp: tempfile::TempDir,
}

impl Workload {
    /// Fresh workspace tokens for everyone: call it just before the load.
    pub async fn new(api: &Api, workspaces: Vec<Ws>) -> anyhow::Result<Workload> {
        let mut tokens = Vec::new();
        for ws in &workspaces {
            tokens.push(seed::workspace_tokens(api, &ws.slug, &ws.people).await?);
        }
        let tmp = tempfile::Builder::new()
            .prefix("tarello-mixedbench-")
            .tempdir()?;
        Ok(Workload {
            workspaces,
            tokens,
            tmp,
        })
    }

    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// One wrk run of the mixed script for `secs`. The data file is written
    /// first from the cards' current versions and tags (as read from the
    /// database), so a run starts from what the previous one left.
    pub async fn run(
        &self,
        su: &PgPool,
        wrk_bin: &Path,
        base: &str,
        connections: u64,
        secs: u64,
    ) -> anyhow::Result<wrk::WrkRun> {
        let data = self.dir().join("data.lua");
        std::fs::write(
            &data,
            wrk::data_file(
                &self.workspaces,
                &self.tokens,
                &wrk::card_states(su, &self.workspaces).await?,
            )?,
        )?;
        wrk::run(wrk_bin, base, &data, connections, secs).await
    }
}

/// Sequential GETs of the big board: latency and size.
async fn big_board(api: &Api, ws: &seed::Ws, gets: u64) -> anyhow::Result<Big> {
    let board = ws.boards.first().context("no big board")?;
    let token = seed::workspace_tokens(api, &ws.slug, &ws.people)
        .await?
        .into_iter()
        .next()
        .context("no token")?;
    let url = format!("{}/workspaces/{}/boards/{}", api.base, ws.slug, board.id);
    eprintln!("GET of the big board: {BIG_WARMUP} warm-ups, {gets} timed");
    let mut lat = Vec::new();
    let mut bytes = 0;
    let mut cards = 0;
    let mut lists = 0;
    for i in 0..(BIG_WARMUP + usize::try_from(gets)?) {
        let t = Instant::now();
        let r = api.c.get(&url).bearer_auth(&token).send().await?;
        let status = r.status().as_u16();
        let body = r.bytes().await?;
        let took = t.elapsed();
        if status != 200 {
            anyhow::bail!("GET big board: {status}");
        }
        if i == 0 {
            let v: serde_json::Value = serde_json::from_slice(&body)?;
            let ls = v["lists"].as_array().cloned().unwrap_or_default();
            lists = ls.len();
            cards = ls
                .iter()
                .map(|l| l["cards"].as_array().map_or(0, Vec::len))
                .sum();
        }
        bytes = body.len();
        if i >= BIG_WARMUP {
            lat.push(took);
        }
    }
    let latency = Summary::of(&lat).context("no samples")?;
    eprintln!(
        "  p50 {}, p99 {}, {} bytes",
        ms(latency.median),
        ms(latency.p99),
        bytes
    );
    Ok(Big {
        cards,
        lists,
        bytes,
        latency,
    })
}

fn share(n: u64, total: u64) -> String {
    if total == 0 {
        return "0%".to_owned();
    }
    format!("{:.1}%", n as f64 * 100.0 / total as f64)
}

fn print_table(args: &MixedArgs, server_version: &str, f: &Figures, wall: Duration) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let h = &f.http;
    let d = &f.db;
    println!();
    println!(
        "## tarello-bench mixed — PostgreSQL {server_version}, {cores} cores, `tarello serve` on loopback, run took {:.0} s",
        wall.as_secs_f64()
    );
    println!();
    println!("| Figure | Result | Detail |");
    println!("|---|---|---|");
    let total: u64 = h.kinds.values().map(|k| k.n).sum();
    let mix: Vec<String> = [
        ("board", "GET board"),
        ("card", "GET card"),
        ("refresh", "GET card (version refresh)"),
        ("comment", "POST comment"),
        ("newcard", "POST card"),
        ("move", "PATCH move"),
        ("tag_add", "PUT tag"),
        ("tag_del", "DELETE tag"),
    ]
    .iter()
    .filter_map(|(k, label)| {
        h.kinds
            .get(*k)
            .map(|x| format!("{label} {} ({})", thousands(x.n), share(x.n, total)))
    })
    .collect();
    let statuses: Vec<String> = h
        .statuses
        .iter()
        .map(|(k, n)| format!("{k}: {}", thousands(*n)))
        .collect();
    let (ce, re, we, te) = h.socket_errors;
    println!(
        "| Tarello through HTTP: wrk, {} connections, {} s | **{:.0} req/s** · p50 {} · **p99 {}** · non-2xx {} | {} requests, {:.1} MB read; p90 {} · mean {} · max {}; mix: {}; non-2xx by request: {} (wrk's own count of status > 399: {}); 409 on moves: {}; socket errors connect/read/write/timeout {ce}/{re}/{we}/{te} |",
        h.connections,
        args.secs,
        h.rate(),
        ms(h.p50),
        ms(h.p99),
        thousands(h.non_2xx()),
        thousands(h.requests),
        h.bytes as f64 / 1e6,
        ms(h.p90),
        ms(h.mean),
        ms(h.max),
        mix.join(", "),
        if statuses.is_empty() {
            "none".to_owned()
        } else {
            statuses.join(", ")
        },
        thousands(h.status_errors),
        thousands(h.conflicts()),
    );
    let dtotal: u64 = d.per_script.iter().sum();
    let dmix: Vec<String> = pgbench::SCRIPTS
        .iter()
        .zip(&d.per_script)
        .map(|((file, _), n)| {
            format!(
                "{} {} ({})",
                file.trim_end_matches(".sql"),
                thousands(*n),
                share(*n, dtotal)
            )
        })
        .collect();
    let na = || "n/a".to_owned();
    println!(
        "| PostgreSQL alone: pgbench, same transactions, {} clients, {} s, `-M prepared` | **{:.0} tps** · p50 {} · p99 {} | {} transactions, {} failed{}; mix: {}; one round trip per statement |",
        d.clients,
        args.secs,
        d.tps,
        d.latency.map_or_else(na, |s| ms(s.median)),
        d.latency.map_or_else(na, |s| ms(s.p99)),
        thousands(d.transactions),
        thousands(d.failed),
        if d.aborted {
            ", some clients aborted"
        } else {
            ""
        },
        dmix.join(", "),
    );
    let ratio = if d.tps > 0.0 { h.rate() / d.tps } else { 0.0 };
    println!(
        "| Tarello req/s ÷ pgbench tps | **{ratio:.2}** | goal ≥ 0.80 and p99 < 40 ms at 32 connections (ARCHITECTURE.md, performance budget); measured in this run |"
    );
    if let Some(b) = &f.big {
        println!(
            "| `GET` of a {}-card board ({} lists) | p50 {} · p99 {} · {} bytes | {} sequential GETs after {BIG_WARMUP} warm-ups, one connection; mean {} |",
            thousands(u64::try_from(b.cards).unwrap_or(0)),
            b.lists,
            ms(b.latency.median),
            ms(b.latency.p99),
            thousands(u64::try_from(b.bytes).unwrap_or(0)),
            b.latency.n,
            ms(b.latency.mean),
        );
    }
    if let Some(w) = &f.warmup {
        println!(
            "| wrk warm-up, {} s (not counted) | {:.0} req/s · p99 {} · non-2xx {} | same script, just before the timed run |",
            args.warmup,
            w.rate(),
            ms(w.p99),
            thousands(w.non_2xx())
        );
    }
    println!(
        "| seeding through the API | {:.1} s | {} workspaces × (1 admin, 3 members, 1 observer) × {} boards × {} lists × {} cards = {} cards{}; {} comments per card and the members with SQL{} |",
        f.seed_time.as_secs_f64(),
        args.workspaces,
        seed::BOARDS,
        seed::LISTS,
        seed::CARDS_PER_LIST,
        thousands(u64::try_from(f.seeded_cards).unwrap_or(0)),
        if args.big_cards > 0 {
            format!(", plus the big board ({} cards)", thousands(args.big_cards))
        } else {
            String::new()
        },
        seed::SEED_COMMENTS,
        if f.tags_via_sql {
            "; tags with SQL (no `POST /tags` yet)"
        } else {
            ""
        },
    );
    println!();
    println!(
        "Mix out of 200: 80 GET board, 40 GET card, 30 POST comment, 20 POST card, 20 PATCH move, 10 tag add/remove. wrk latencies are its own (HdrHistogram, all responses); pgbench's from its per-transaction log (nearest rank). The server runs with its default pool of 16 connections; the database is the bench cluster (fsync off). Ratios are measured in this run, nothing asserted."
    );
}
