//! Tamper evidence of the history (AUD-4) and its retention (AUD-6).
//!
//! - [`seal`] appends committed events to a keyed hash chain after the
//!   fact, so writers never wait on one another for the chain head.
//! - [`verify`] recomputes the chain and reports the first broken link.
//! - [`purge`] removes events older than the plan keeps, from the start of
//!   the chain, leaving a checkpoint the verifier starts from.
//!
//! All three run as the schema owner (the workspace role has no right on
//! the chain tables) in REPEATABLE READ transactions, so what they read is
//! one snapshot.

pub mod purge;
pub mod rounds;
pub mod seal;
pub mod verify;

use sqlx::{PgConnection, Postgres, Transaction};
use tarello_crypto::seal::{Encoder, Link};
use tarello_domain::WorkspaceId;
use time::OffsetDateTime;

use crate::{Db, StoreError};

/// The columns of an event that its link covers, in their encoding order.
/// Times as whole microseconds and JSON as PostgreSQL's canonical `jsonb`
/// text, so the encoding does not depend on session settings.
const EVENT_COLUMNS: &str = "h.seq, (extract(epoch FROM h.at) * 1000000)::bigint AS at_us, h.actor_kind, \
     h.actor_id::text AS actor_id, h.action, h.entity_type, h.entity_id::text AS entity_id, \
     h.card_id::text AS card_id, h.board_id::text AS board_id, h.before::text AS before, \
     h.after::text AS after, h.request_id, h.client_ip, h.user_agent, h.tx::text AS tx";

/// An unsealed event `h` that cannot be genuine, given the last seal's
/// snapshot `$1`, the highest sequence sealed then `$2` and whether that
/// seal took every visible event `$3`: below `$2` only a transaction still
/// running at `$1` can add events (a sequence value is taken after the
/// transaction id, by the history trigger, and everything visible below
/// `$2` was sealed); and after a complete seal nothing visible in `$1` is
/// left unsealed.
const NOT_GENUINE: &str = "$1::pg_snapshot IS NOT NULL AND ( \
     (h.seq <= $2 AND NOT h.tx = ANY (ARRAY(SELECT pg_snapshot_xip($1::pg_snapshot)))) \
     OR ($3 AND pg_visible_in_snapshot(h.tx, $1::pg_snapshot)))";

#[derive(Debug, sqlx::FromRow)]
struct EventRow {
    seq: i64,
    at_us: i64,
    actor_kind: String,
    actor_id: Option<String>,
    action: String,
    entity_type: String,
    entity_id: String,
    card_id: Option<String>,
    board_id: Option<String>,
    before: Option<String>,
    after: Option<String>,
    request_id: Option<String>,
    client_ip: Option<String>,
    user_agent: Option<String>,
    tx: String,
}

impl EventRow {
    fn encode<'a>(&self, e: &'a mut Encoder) -> &'a [u8] {
        e.clear();
        e.int(self.seq)
            .int(self.at_us)
            .text(Some(&self.actor_kind))
            .text(self.actor_id.as_deref())
            .text(Some(&self.action))
            .text(Some(&self.entity_type))
            .text(Some(&self.entity_id))
            .text(self.card_id.as_deref())
            .text(self.board_id.as_deref())
            .text(self.before.as_deref())
            .text(self.after.as_deref())
            .text(self.request_id.as_deref())
            .text(self.client_ip.as_deref())
            .text(self.user_agent.as_deref())
            .text(Some(&self.tx));
        e.bytes()
    }
}

/// A row of `history_checkpoint`.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Checkpoint {
    checkpoint_id: i64,
    kind: String,
    at: OffsetDateTime,
    pos: i64,
    hash: Vec<u8>,
    max_seq: i64,
    snapshot: Option<String>,
    complete: bool,
    key_version: i32,
    mac: Vec<u8>,
}

const CHECKPOINT_COLUMNS: &str = "checkpoint_id, kind, at, pos, hash, max_seq, snapshot::text AS snapshot, complete, key_version, mac";

impl Checkpoint {
    /// The fields its MAC covers (all but its id and the MAC itself).
    fn fields(&self) -> Vec<u8> {
        let at_us = i64::try_from(self.at.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX);
        let mut e = Encoder::new();
        e.text(Some(&self.kind))
            .int(at_us)
            .int(self.pos)
            .field(Some(&self.hash))
            .int(self.max_seq)
            .text(self.snapshot.as_deref())
            .int(i64::from(self.complete))
            .int(i64::from(self.key_version));
        e.bytes().to_vec()
    }

    /// Writes it with its MAC under `key`.
    async fn insert(
        mut self,
        conn: &mut PgConnection,
        key: &tarello_crypto::seal::SealKey,
    ) -> Result<(), StoreError> {
        self.at = micros(self.at);
        self.mac = key.checkpoint(&self.fields()).to_vec();
        sqlx::query(
            "INSERT INTO history_checkpoint (kind, at, pos, hash, max_seq, snapshot, complete, key_version, mac) \
             VALUES ($1, $2, $3, $4, $5, $6::pg_snapshot, $7, $8, $9)",
        )
        .bind(&self.kind)
        .bind(self.at)
        .bind(self.pos)
        .bind(&self.hash)
        .bind(self.max_seq)
        .bind(&self.snapshot)
        .bind(self.complete)
        .bind(self.key_version)
        .bind(&self.mac)
        .execute(conn)
        .await?;
        Ok(())
    }
}

fn link_of(bytes: &[u8]) -> Option<Link> {
    <Link>::try_from(bytes).ok()
}

/// Microsecond precision, as PostgreSQL stores it: a checkpoint's MAC is
/// computed over the time read back.
fn micros(t: OffsetDateTime) -> OffsetDateTime {
    let ns = t.nanosecond();
    t.replace_nanosecond(ns - ns % 1000).unwrap_or(t)
}

/// A REPEATABLE READ transaction of the owner on the workspace's schema.
async fn snapshot_tx(
    db: &Db,
    ws: WorkspaceId,
) -> Result<Transaction<'static, Postgres>, StoreError> {
    let tx = db
        .admin()
        .begin_with(format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ; SET LOCAL search_path TO {}",
            ws.schema_name()
        ))
        .await?;
    Ok(tx)
}

/// The checkpoints that matter, oldest first: the last purge (where the
/// chain starts) and the last seal (how far it reached; its snapshot tells
/// late commits from inserted rows). Older ones are implied by the links
/// between them.
async fn checkpoints(conn: &mut PgConnection) -> Result<Vec<Checkpoint>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM history_checkpoint WHERE checkpoint_id IN ( \
           (SELECT max(checkpoint_id) FROM history_checkpoint WHERE kind = 'purge'), \
           (SELECT max(checkpoint_id) FROM history_checkpoint WHERE kind = 'seal')) \
         ORDER BY checkpoint_id"
    ))
    .fetch_all(conn)
    .await?)
}

/// Retention by plan (AUD-6), in days.
pub fn retention_days(plan: &str) -> i64 {
    match plan {
        "business" => 3 * 365,
        "pro" => 365,
        _ => 90,
    }
}

/// Events per sealing transaction.
pub const SEAL_BATCH: i64 = 5000;

/// Seals, then purges what each workspace's plan no longer keeps.
pub async fn purge_by_plan(
    db: &Db,
    keks: &tarello_crypto::KekSet,
    now: OffsetDateTime,
    progress: &dyn crate::Progress,
) -> Result<purge::Purged, StoreError> {
    let mut total = purge::Purged::default();
    for ws in crate::list_workspaces(db).await? {
        seal::seal_all(db, keks, ws.id, SEAL_BATCH, now).await?;
        let plan = crate::settings(db, ws.id).await?.plan;
        let before = now - time::Duration::days(retention_days(&plan));
        let p = purge::purge(db, keks, ws.id, before, 10_000, now, progress).await?;
        total.events += p.events;
        total.calls += p.calls;
    }
    Ok(total)
}
