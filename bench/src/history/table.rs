//! The Markdown table of `tarello-bench history`.

use std::time::Duration;

use super::{EXPORT_SLUG, Figures, QUERY_SLUG, events, query};
use crate::args::HistoryArgs;
use crate::stats::{ms, thousands};

fn per_sec(n: u64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 { n as f64 / s } else { 0.0 }
}

/// A rate, rounded, with thousands separators.
fn rate(r: f64) -> String {
    thousands(r.max(0.0).round() as u64)
}

fn mb(kb: u64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}

fn gets_row(label: &str, g: Option<&query::Gets>, detail: &str, missing: &str) {
    match g {
        Some(g) => println!(
            "| {label} | p50 {} · **p99 {}** · max {} | {} sequential GETs after {} warm-ups, one connection; mean {}; {:.1} events and {} bytes per page (first page); {detail} |",
            ms(g.latency.median),
            ms(g.latency.p99),
            ms(g.max),
            g.latency.n,
            query::WARMUP,
            ms(g.latency.mean),
            g.items,
            rate(g.bytes),
        ),
        None => println!("| {label} | not measured | {missing} |"),
    }
}

pub fn print(args: &HistoryArgs, server_version: &str, f: &Figures, wall: Duration) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "## tarello-bench history — PostgreSQL {server_version}, {cores} cores, `tarello serve` on loopback, run took {:.0} s",
        wall.as_secs_f64()
    );
    println!();
    println!("| Figure | Result | Detail |");
    println!("|---|---|---|");

    // 1. Write overhead.
    for r in &f.overhead.runs {
        let w = &r.wrk;
        println!(
            "| mixed load, {}: wrk, {} connections, {} s | **{} req/s** · p50 {} · **p99 {}** · non-2xx {} | {} requests; p90 {} · mean {} · max {}; {} history events written ({:.2} per request) |",
            r.label,
            w.connections,
            args.secs,
            rate(w.rate()),
            ms(w.p50),
            ms(w.p99),
            thousands(w.non_2xx()),
            thousands(w.requests),
            ms(w.p90),
            ms(w.mean),
            ms(w.max),
            thousands(u64::try_from(r.events).unwrap_or(0)),
            r.events as f64 / (w.requests.max(1) as f64),
        );
    }
    if let [on1, off, on2] = f.overhead.runs.as_slice() {
        let (a, b, c) = (on1.wrk.rate(), off.wrk.rate(), on2.wrk.rate());
        let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { 0.0 };
        let cost = |on: f64| if b > 0.0 { (1.0 - on / b) * 100.0 } else { 0.0 };
        let mean_on = (a + c) / 2.0;
        println!(
            "| write overhead: req/s off ÷ on | **{:.2}** (first on run) · **{:.2}** (second on run) · {:.2} (their mean) | req/s lost with history on (1 − on ÷ off): {:.0}% / {:.0}% / {:.0}%; goal ≤ 25% (issue 5); p99 on {} / {} vs off {} ({:.2}× / {:.2}×) |",
            ratio(b, a),
            ratio(b, c),
            ratio(b, mean_on),
            cost(a),
            cost(c),
            cost(mean_on),
            ms(on1.wrk.p99),
            ms(on2.wrk.p99),
            ms(off.wrk.p99),
            ratio(on1.wrk.p99.as_secs_f64(), off.wrk.p99.as_secs_f64()),
            ratio(on2.wrk.p99.as_secs_f64(), off.wrk.p99.as_secs_f64()),
        );
    }
    if let Some(w) = &f.overhead.warmup {
        println!(
            "| wrk warm-up, {} s, history on (not counted) | {} req/s · p99 {} · non-2xx {} | just before the timed runs |",
            args.warmup,
            rate(w.rate()),
            ms(w.p99),
            thousands(w.non_2xx())
        );
    }

    // 2. Query latency at scale.
    let i = &f.inserted;
    println!(
        "| inserting {} history events ({QUERY_SLUG}) | {:.0} s · {} events/s | superuser, `INSERT … SELECT … generate_series`, {} per statement, indexes in place; {} rows in the table afterwards |",
        thousands(args.events),
        i.query_time.as_secs_f64(),
        rate(per_sec(args.events, i.query_time)),
        thousands(events::BATCH),
        thousands(u64::try_from(i.query_rows).unwrap_or(0)),
    );
    gets_row(
        &format!(
            "`GET …/history?entity_type=card&entity_id=…`, {} events",
            thousands(u64::try_from(i.query_rows).unwrap_or(0))
        ),
        f.history_gets.as_ref(),
        &format!(
            "a random card of {} each time; admin's workspace token",
            thousands(events::CARDS.min(args.events))
        ),
        "the route answered 404/405",
    );
    gets_row(
        &format!(
            "`GET …/cards/{{id}}/activity`, {} events",
            thousands(u64::try_from(i.query_rows).unwrap_or(0))
        ),
        f.activity_gets.as_ref(),
        &format!(
            "over the {} real cards (each with ~{} events among the others); admin's workspace token",
            events::REAL_CARDS,
            thousands(args.events / events::CARDS.max(1))
        ),
        "no `GET /workspaces/{ws}/cards/{id}/activity` route in this server build (404/405)",
    );

    // 3. Export.
    println!(
        "| inserting {} history events ({EXPORT_SLUG}) | {:.0} s · {} events/s | as above; {} rows in the table afterwards; business plan |",
        thousands(args.export_events),
        i.export_time.as_secs_f64(),
        rate(per_sec(args.export_events, i.export_time)),
        thousands(u64::try_from(i.export_rows).unwrap_or(0)),
    );
    for x in &f.exports {
        match &x.error {
            None => println!(
                "| export `format={}`, {} events | **{} rows/s** · {} rows · {:.1} MB in {:.1} s | first byte after {}; server RSS {} before → **peak {}** while streaming → {} after (1 s later); VmHWM {} → {}; body streamed and counted, not kept |",
                x.format,
                thousands(u64::try_from(i.export_rows).unwrap_or(0)),
                rate(x.rate()),
                thousands(x.rows),
                x.bytes as f64 / 1e6,
                x.elapsed.as_secs_f64(),
                ms(x.first_byte),
                mb(x.before.rss_kb),
                mb(x.peak_rss_kb),
                mb(x.after.rss_kb),
                mb(x.before.hwm_kb),
                mb(x.after.hwm_kb),
            ),
            Some(body) => println!(
                "| export `format={}` | not measured: {} | {} |",
                x.format,
                x.status,
                body.chars()
                    .take(160)
                    .collect::<String>()
                    .replace('|', "/")
                    .replace('\n', " ")
            ),
        }
    }

    // 4. Sealer and verifier.
    let c = &f.chain;
    println!(
        "| sealer: `seal_all`, batches of {}, {EXPORT_SLUG} | **{} events/s** · {} events in {:.1} s | called from the bench with no server running (nothing else sealing) |",
        thousands(u64::try_from(tarello_store::audit::SEAL_BATCH).unwrap_or(0)),
        rate(c.seal_rate()),
        thousands(c.sealed),
        c.seal_time.as_secs_f64(),
    );
    println!(
        "| verifier: `verify`, {EXPORT_SLUG} | **{} events/s** · {} events in {:.1} s | {}; {} events not sealed |",
        rate(c.verify_rate()),
        thousands(c.verified),
        c.verify_time.as_secs_f64(),
        c.broken
            .as_deref()
            .map_or_else(|| "chain intact".to_owned(), |b| format!("BROKEN: {b}")),
        c.pending,
    );
    println!(
        "| seeding through the API | {:.1} s | {} workspaces × 5 people × 3 boards × 4 lists × 25 cards = {} cards, plus {QUERY_SLUG} and {EXPORT_SLUG} ({} cards each) |",
        f.seed_time.as_secs_f64(),
        args.workspaces,
        thousands(u64::try_from(f.seeded_cards).unwrap_or(0)),
        events::REAL_CARDS,
    );
    println!();
    println!(
        "History off = `ALTER TABLE … DISABLE TRIGGER <table>_history` on the ten audited tables of every load workspace (the capability log still writes). The server seals new events in the background every 5 s, so the on runs include sealing. Synthetic events: card updates spread round-robin over {} cards, times over the last {} days. The reads run against a second server run (same KEK) while the bench holds a lock on {QUERY_SLUG}'s `history_seal`, so the background sealer waits instead of chaining its unsealed backlog during the timed requests. The database is the bench cluster (fsync off); ratios are measured in this run, nothing asserted.",
        thousands(events::CARDS),
        events::SPAN_DAYS,
    );
}
