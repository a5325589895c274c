//! The history workspaces: made through the API (a board, a list and a few
//! real cards), then filled with synthetic history events inserted straight
//! into `history` as the superuser, a million rows per statement.

use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;
use uuid::Uuid;

use crate::mixed::seed::{self, Api, Person, Ws};
use crate::stats::thousands;

/// The audited tables; each has the trigger `<table>_history`
/// (`crates/tarello-store/migrations/workspace/schema.sql`).
pub const AUDITED: [&str; 10] = [
    "board",
    "board_member",
    "list",
    "card",
    "comment",
    "tag",
    "card_tag",
    "card_viewer",
    "time_entry",
    "attachment",
];
/// Distinct cards the synthetic events are spread over.
pub const CARDS: u64 = 100_000;
/// Real cards (rows of `card`, made through the API) among them.
pub const REAL_CARDS: usize = 20;
/// Events per `INSERT … SELECT … generate_series` statement.
pub const BATCH: u64 = 1_000_000;
/// The events' times are spread evenly over this many days, up to now.
pub const SPAN_DAYS: u32 = 730;

/// The card of event number `g` (or card number `n`): a real card for the
/// first `REAL_CARDS` numbers, else a fixed UUID derived from the number.
/// `$REAL` is the array of real card ids, `$CARDS` the card count.
fn card_expr(n: &str, real: &str, cards: &str) -> String {
    format!(
        "CASE WHEN {n} % {cards} < cardinality({real}::uuid[]) \
         THEN ({real}::uuid[])[({n} % {cards})::int + 1] \
         ELSE md5('tarello-bench-card-' || ({n} % {cards}))::uuid END"
    )
}

/// A workspace of `admin` with one board, one list and `REAL_CARDS` cards,
/// all through the API.
pub async fn create(api: &Api, admin: &Person, slug: &str) -> anyhow::Result<Ws> {
    let id = seed::create_workspace(api, admin, slug).await?;
    let tokens = seed::workspace_tokens(api, slug, std::slice::from_ref(admin)).await?;
    let boards = seed::fill_boards(api, slug, &tokens, 1, 1, REAL_CARDS, "History board").await?;
    Ok(Ws {
        slug: slug.to_owned(),
        id,
        people: vec![admin.clone()],
        boards,
        tags: Vec::new(),
    })
}

/// The real cards of a history workspace, in order.
pub fn real_cards(ws: &Ws) -> Vec<Uuid> {
    ws.boards
        .iter()
        .flat_map(|b| b.cards.iter().map(|(c, _)| *c))
        .collect()
}

/// Inserts `n` events into the workspace's history: card updates by
/// `actor`, spread round-robin over `CARDS` cards, times evenly over the
/// last `SPAN_DAYS` days in sequence order, small `before`/`after` objects.
/// Progress on stderr after each statement; returns the time taken
/// (`ANALYZE` not included).
pub async fn insert(su: &PgPool, ws: &Ws, actor: Uuid, n: u64) -> anyhow::Result<Duration> {
    let board = ws.boards.first().context("no board")?.id;
    let real = real_cards(ws);
    let sql = format!(
        "INSERT INTO {s}.history (at, actor_kind, actor_id, action, entity_type, entity_id, card_id, \
         board_id, before, after, request_id, client_ip, user_agent) \
         SELECT now() - make_interval(days => {SPAN_DAYS}) * (1 - g::float8 / $3), 'user', $4, 'update', \
                'card', c, c, $5, \
                jsonb_build_object('title', 'Card title, revision ' || (g / $6)), \
                jsonb_build_object('title', 'Card title, revision ' || (g / $6 + 1)), \
                'bench-' || g, '127.0.0.1', 'tarello-bench' \
         FROM (SELECT g, {card} AS c FROM generate_series($1::bigint, $2::bigint) g) x",
        s = ws.schema(),
        card = card_expr("g", "$7", "$6"),
    );
    let t = Instant::now();
    let mut done = 0;
    while done < n {
        let hi = (done + BATCH).min(n);
        sqlx::query(&sql)
            .bind(i64::try_from(done + 1)?)
            .bind(i64::try_from(hi)?)
            .bind(n as f64)
            .bind(actor)
            .bind(board)
            .bind(i64::try_from(CARDS)?)
            .bind(&real)
            .execute(su)
            .await
            .with_context(|| format!("inserting history events into {}", ws.slug))?;
        done = hi;
        let secs = t.elapsed().as_secs_f64();
        eprintln!(
            "  {}: {} / {} events in {secs:.0} s ({:.0} events/s)",
            ws.slug,
            thousands(done),
            thousands(n),
            done as f64 / secs.max(1e-9)
        );
    }
    Ok(t.elapsed())
}

/// `ANALYZE` of the workspace's history table.
pub async fn analyze(su: &PgPool, ws: &Ws) -> anyhow::Result<()> {
    sqlx::query(&format!("ANALYZE {}.history", ws.schema()))
        .execute(su)
        .await?;
    Ok(())
}

/// `count` random cards among those with events (of `events` inserted):
/// each a real card with probability `REAL_CARDS / CARDS`, as the events.
pub async fn random_cards(
    su: &PgPool,
    ws: &Ws,
    events: u64,
    count: usize,
) -> anyhow::Result<Vec<Uuid>> {
    let range = CARDS.min(events).max(1);
    let sql = format!(
        "SELECT {} FROM (SELECT floor(random() * $2)::bigint AS n FROM generate_series(1, $3)) x",
        card_expr("n", "$1", "$4")
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(real_cards(ws))
        .bind(range as f64)
        .bind(i64::try_from(count)?)
        .bind(i64::try_from(CARDS)?)
        .fetch_all(su)
        .await?)
}

/// Rows of the workspace's history table.
pub async fn count(su: &PgPool, ws: &Ws) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar(&format!("SELECT count(*) FROM {}.history", ws.schema()))
            .fetch_one(su)
            .await?,
    )
}

/// Moves the workspace to the business plan (the export needs it).
pub async fn business_plan(su: &PgPool, ws: &Ws) -> anyhow::Result<()> {
    let mut tx = su.begin().await?;
    // Audited control-plane changes need an actor.
    sqlx::query("SET LOCAL tarello.actor_kind = 'system'")
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE control.workspace SET plan = 'business' WHERE workspace_id = $1")
        .bind(ws.id)
        .execute(&mut *tx)
        .await
        .context("moving the export workspace to the business plan")?;
    tx.commit().await?;
    Ok(())
}
