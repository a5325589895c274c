//! `tarello-bench history`: figures of the audit history (issue 5).
//!
//! 1. Write overhead: the mixed load through HTTP (wrk), history triggers
//!    on, off, on again (`overhead`).
//! 2. Query latency at scale: one workspace with `--events` synthetic
//!    events; sequential `GET …/history?entity_type=card&entity_id=…` and
//!    `GET …/cards/{id}/activity` (`query`).
//! 3. Export: `GET …/history/export?format=csv|json` of a second workspace
//!    with `--export-events` events, streamed; rows/s, bytes, the server's
//!    memory (`export`).
//! 4. Sealer and verifier rates on that workspace, called from the store
//!    while no server runs (`chain`).
//!
//! The server runs twice with the same KEK (`TARELLO_KEK`): for the load,
//! then, after the events are inserted and sealed with no server running,
//! for the reads. Figures are reported, never asserted.

mod chain;
mod events;
mod export;
mod overhead;
mod query;
mod table;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tarello_crypto::KekSet;
use tarello_store::{Db, DbOptions};
use tarello_testkit::TestDb;

use crate::args::HistoryArgs;
use crate::mixed::seed::{self, Api, Person, Seeded, Ws};
use crate::mixed::{SERVER_ENV, Workload};
use crate::server::{self, Server};
use crate::stats::thousands;

const QUERY_SLUG: &str = "hist-query";
const EXPORT_SLUG: &str = "hist-export";

/// What the first server run leaves for the rest.
#[derive(Debug)]
struct Seeding {
    admin: Person,
    query_ws: Ws,
    export_ws: Ws,
    seed_time: Duration,
    seeded_cards: usize,
}

#[derive(Debug)]
struct Inserted {
    query_time: Duration,
    export_time: Duration,
    query_rows: i64,
    export_rows: i64,
}

#[derive(Debug)]
pub struct Figures {
    seeded_cards: usize,
    seed_time: Duration,
    overhead: overhead::Overhead,
    inserted: Inserted,
    chain: chain::Chain,
    history_gets: Option<query::Gets>,
    activity_gets: Option<query::Gets>,
    exports: Vec<export::Export>,
}

pub async fn run(args: HistoryArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let bin = args
        .bin
        .as_ref()
        .map_or_else(server::default_bin, PathBuf::from);
    eprintln!("tarello-bench history {args:?}");
    eprintln!("server binary: {}", bin.display());
    eprintln!("cluster dir: {}", tarello_testkit::cluster_dir().display());
    let wrk_bin = crate::mixed::wrk::binary()?;
    let tdb = tarello_testkit::fresh_database().await;
    let su = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(tdb.admin.clone())
        .await
        .context("superuser pool")?;
    let server_version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&su)
        .await?;
    // One KEK for both server runs and the bench's own sealing.
    let kek = KekSet::generate_key_text();
    let keks = KekSet::parse(kek.expose())?;
    let mut env: Vec<(&str, &str)> = SERVER_ENV.to_vec();
    env.push(("TARELLO_KEK", kek.expose()));

    let figures = all(&args, &bin, &wrk_bin, &tdb, &su, &keks, &env).await;
    su.close().await;
    let figures = figures?;
    table::print(&args, &server_version, &figures, started.elapsed());
    Ok(())
}

async fn stop(srv: Arc<Server>) -> anyhow::Result<()> {
    let stopped = match Arc::try_unwrap(srv) {
        Ok(s) => s.stop().await?,
        Err(_) => "still shared; killed on drop".to_owned(),
    };
    eprintln!("server stopped: {stopped}");
    Ok(())
}

async fn all(
    args: &HistoryArgs,
    bin: &Path,
    wrk_bin: &Path,
    tdb: &TestDb,
    su: &PgPool,
    keks: &KekSet,
    env: &[(&str, &str)],
) -> anyhow::Result<Figures> {
    // 1. The load, history on / off / on.
    let srv = Arc::new(Server::start_with(bin, tdb, env).await?);
    eprintln!("server up at {}", srv.base);
    let first = load_phase(args, &srv, su, wrk_bin).await;
    stop(srv).await?;
    let (seeding, overhead) = first?;

    // 2. Events, with no server running; then seal and verify the export
    //    workspace, so no background sealer races the figures.
    let actor = seeding.admin.user_id;
    eprintln!(
        "inserting {} history events into {QUERY_SLUG} ({} per statement)",
        thousands(args.events),
        thousands(events::BATCH)
    );
    let query_time = events::insert(su, &seeding.query_ws, actor, args.events).await?;
    eprintln!(
        "inserting {} history events into {EXPORT_SLUG}",
        thousands(args.export_events)
    );
    let export_time = events::insert(su, &seeding.export_ws, actor, args.export_events).await?;
    eprintln!("ANALYZE");
    events::analyze(su, &seeding.query_ws).await?;
    events::analyze(su, &seeding.export_ws).await?;
    events::business_plan(su, &seeding.export_ws).await?;
    let inserted = Inserted {
        query_time,
        export_time,
        query_rows: events::count(su, &seeding.query_ws).await?,
        export_rows: events::count(su, &seeding.export_ws).await?,
    };
    let db = Db::connect_lazy(&DbOptions {
        admin: tdb.admin.clone(),
        app: tdb.app.clone(),
        app_password: None,
        pool_size: 2,
    })?;
    let chain = chain::figures(&db, keks, seeding.export_ws.id).await;
    db.close().await;
    let chain = chain?;

    // 3. The reads, against a second server run. The query workspace's
    //    events are not sealed: its chain table stays locked meanwhile, so
    //    the server's background sealer waits instead of working through
    //    the backlog during the timed requests.
    let srv = Arc::new(Server::start_with(bin, tdb, env).await?);
    eprintln!("server up again at {}", srv.base);
    let mut lock = su.begin().await?;
    sqlx::query(&format!(
        "LOCK TABLE {}.history_seal IN EXCLUSIVE MODE",
        seeding.query_ws.schema()
    ))
    .execute(&mut *lock)
    .await
    .context("locking the query workspace's chain")?;
    let reads = read_phase(args, &srv, su, &seeding).await;
    stop(srv).await?;
    lock.rollback().await?;
    let (history_gets, activity_gets, exports) = reads?;
    Ok(Figures {
        seeded_cards: seeding.seeded_cards,
        seed_time: seeding.seed_time,
        overhead,
        inserted,
        chain,
        history_gets,
        activity_gets,
        exports,
    })
}

/// Seeds the mixed workload and the two history workspaces, then runs the
/// load with history on, off, on again.
async fn load_phase(
    args: &HistoryArgs,
    srv: &Arc<Server>,
    su: &PgPool,
    wrk_bin: &Path,
) -> anyhow::Result<(Seeding, overhead::Overhead)> {
    let api = Api::new(&srv.base)?;
    let t = Instant::now();
    let Seeded { workspaces, .. } =
        seed::seed(&api, srv, su, usize::try_from(args.workspaces)?, 0).await?;
    let admin = workspaces
        .first()
        .and_then(|w| w.people.first())
        .context("no admin")?
        .clone();
    eprintln!("creating {QUERY_SLUG} and {EXPORT_SLUG}");
    let query_ws = events::create(&api, &admin, QUERY_SLUG).await?;
    let export_ws = events::create(&api, &admin, EXPORT_SLUG).await?;
    let seed_time = t.elapsed();
    let seeded_cards = workspaces
        .iter()
        .flat_map(|w| &w.boards)
        .map(|b| b.cards.len())
        .sum();
    eprintln!(
        "seeded {} workspaces, {seeded_cards} cards in {:.1} s",
        workspaces.len(),
        seed_time.as_secs_f64()
    );
    let load = Workload::new(&api, workspaces).await?;
    let overhead = overhead::figures(
        su,
        &load,
        wrk_bin,
        &srv.base,
        args.connections,
        args.secs,
        args.warmup,
    )
    .await?;
    Ok((
        Seeding {
            admin,
            query_ws,
            export_ws,
            seed_time,
            seeded_cards,
        },
        overhead,
    ))
}

type Reads = (
    Option<query::Gets>,
    Option<query::Gets>,
    Vec<export::Export>,
);

async fn read_phase(
    args: &HistoryArgs,
    srv: &Arc<Server>,
    su: &PgPool,
    s: &Seeding,
) -> anyhow::Result<Reads> {
    let api = Api::new(&srv.base)?;
    // A fresh login: the first server run's tokens are not reused.
    let mut admin = s.admin.clone();
    admin.account = seed::login(&api, &admin.email).await?;
    let token = |ws: &Ws| {
        let api = api.clone();
        let admin = admin.clone();
        let slug = ws.slug.clone();
        async move {
            seed::workspace_tokens(&api, &slug, std::slice::from_ref(&admin))
                .await?
                .into_iter()
                .next()
                .context("no workspace token")
        }
    };
    let n = usize::try_from(args.queries)? + query::WARMUP;

    let q = &s.query_ws;
    let qtoken = token(q).await?;
    let cards = events::random_cards(su, q, args.events, n).await?;
    let urls: Vec<String> = cards
        .iter()
        .map(|c| {
            format!(
                "{}/workspaces/{}/history?entity_type=card&entity_id={c}",
                api.base, q.slug
            )
        })
        .collect();
    eprintln!(
        "GET …/history?entity_type=card&entity_id=…: {} warm-ups, {} timed, random cards",
        query::WARMUP,
        args.queries
    );
    let history_gets = query::gets(&api, &qtoken, &urls).await?;
    if history_gets.is_none() {
        eprintln!("  skipped: no history route");
    }

    let real = events::real_cards(q);
    let urls: Vec<String> = (0..n)
        .filter_map(|i| real.get((i * 7) % real.len().max(1)))
        .map(|c| format!("{}/workspaces/{}/cards/{c}/activity", api.base, q.slug))
        .collect();
    eprintln!(
        "GET …/cards/{{id}}/activity: {} warm-ups, {} timed, over {} real cards",
        query::WARMUP,
        args.queries,
        real.len()
    );
    let activity_gets = query::gets(&api, &qtoken, &urls).await?;
    if activity_gets.is_none() {
        eprintln!("  skipped: no card activity route");
    }

    let e = &s.export_ws;
    let etoken = token(e).await?;
    let pid = srv.pid().context("server pid")?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1800))
        .build()?;
    let mut exports = Vec::new();
    for format in ["csv", "json"] {
        let url = format!(
            "{}/workspaces/{}/history/export?format={format}",
            api.base, e.slug
        );
        eprintln!("GET …/history/export?format={format}");
        let x = export::export(&client, &url, &etoken, format, pid).await?;
        match &x.error {
            None => eprintln!(
                "  {} rows, {:.1} MB in {:.1} s ({:.0} rows/s); RSS {} → peak {} → {} MB",
                thousands(x.rows),
                x.bytes as f64 / 1e6,
                x.elapsed.as_secs_f64(),
                x.rate(),
                x.before.rss_kb / 1024,
                x.peak_rss_kb / 1024,
                x.after.rss_kb / 1024
            ),
            Some(body) => eprintln!(
                "  {}: {}",
                x.status,
                body.chars().take(300).collect::<String>()
            ),
        }
        exports.push(x);
    }
    Ok((history_gets, activity_gets, exports))
}
