//! The sealer: appends committed events to the chain, in sequence order.
//!
//! Writers never touch the chain, so they never wait for its head. An
//! event that commits after later ones were sealed (its transaction was
//! still running) is appended when it becomes visible; the checkpoint's
//! snapshot is what lets `verify` tell such a late commit from a row
//! inserted afterwards.

use futures::TryStreamExt;
use tarello_crypto::KekSet;
use tarello_crypto::seal::{Encoder, GENESIS, Link};
use tarello_domain::WorkspaceId;
use time::OffsetDateTime;

use super::{Checkpoint, EVENT_COLUMNS, EventRow, checkpoints, link_of, snapshot_tx};
use crate::{Db, StoreError, keyring};

/// What one call sealed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sealed {
    pub events: u64,
    /// The chain's last position afterwards.
    pub head: i64,
    /// Everything visible was sealed (no full batch left behind).
    pub complete: bool,
}

/// Seals up to `batch` events of one workspace in one transaction.
pub async fn seal_batch(
    db: &Db,
    keks: &KekSet,
    ws: WorkspaceId,
    batch: i64,
    now: OffsetDateTime,
) -> Result<Sealed, StoreError> {
    let mut tx = snapshot_tx(db, ws).await?;
    // Taken before the snapshot (the first query), so a second sealer
    // waits here and then sees what the first one sealed.
    sqlx::query("LOCK TABLE history_seal IN EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_current_snapshot()::text")
        .fetch_one(&mut *tx)
        .await?;
    let cps = checkpoints(&mut tx).await?;
    let (mut pos, mut prev) = head(&mut tx, &cps).await?;
    // After the last seal (snapshot S, highest sequence M) an unsealed
    // event is either above M (new; taken in order, a batch at a time) or
    // below it and written by a transaction still running at S (a late
    // commit; all of them, whatever the batch). Anything else is no genuine
    // event (see `NOT_GENUINE`) and stays out of the chain, so `verify`
    // keeps reporting it. Neither part rescans what is sealed already: the
    // late part is driven by the (few) running transactions' ids.
    let last = cps.iter().rev().find(|c| c.kind == "seal");
    let rows: Vec<EventRow> = sqlx::query_as(&format!(
        "SELECT * FROM ( \
           (SELECT {EVENT_COLUMNS} FROM pg_snapshot_xip($1::pg_snapshot) AS running(xid) \
              JOIN history h ON h.tx = running.xid WHERE h.seq <= $2 \
              AND NOT EXISTS (SELECT 1 FROM history_seal s WHERE s.seq = h.seq)) \
           UNION ALL \
           (SELECT {EVENT_COLUMNS} FROM history h WHERE h.seq > $2 AND NOT ({}) \
              ORDER BY h.seq LIMIT $4)) x ORDER BY seq",
        super::NOT_GENUINE
    ))
    .bind(last.and_then(|c| c.snapshot.as_deref()))
    .bind(last.map_or(0, |c| c.max_seq))
    .bind(last.is_some_and(|c| c.complete))
    .bind(batch)
    .fetch(&mut *tx)
    .try_collect()
    .await?;
    let new = rows
        .iter()
        .filter(|r| r.seq > last.map_or(0, |c| c.max_seq))
        .count();
    let complete = i64::try_from(new).unwrap_or(i64::MAX) < batch;
    if rows.is_empty() {
        tx.rollback().await?;
        return Ok(Sealed {
            events: 0,
            head: pos,
            complete,
        });
    }
    // Keys are unwrapped only when there is something to seal: an idle
    // workspace costs one short transaction per round.
    let (keys, version) = keyring::seal_keys(db, keks, ws).await?;
    let key = keys
        .get(&version)
        .ok_or_else(|| StoreError::UnknownWorkspace(ws.to_string()))?;
    let mut enc = Encoder::new();
    let (mut p, mut s, mut h) = (
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
    );
    for r in &rows {
        pos += 1;
        prev = key.link(&prev, r.encode(&mut enc));
        p.push(pos);
        s.push(r.seq);
        h.push(prev.to_vec());
    }
    sqlx::query(
        "INSERT INTO history_seal (pos, seq, hash, key_version) \
         SELECT pos, seq, hash, $4 FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS x(pos, seq, hash)",
    )
    .bind(&p)
    .bind(&s)
    .bind(&h)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    let max_seq: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM history_seal")
        .fetch_one(&mut *tx)
        .await?;
    Checkpoint {
        checkpoint_id: 0,
        kind: "seal".into(),
        at: now,
        pos,
        hash: prev.to_vec(),
        max_seq,
        snapshot: Some(snapshot),
        complete,
        key_version: version,
        mac: Vec::new(),
    }
    .insert(&mut tx, key)
    .await?;
    tx.commit().await?;
    Ok(Sealed {
        events: u64::try_from(rows.len()).unwrap_or(0),
        head: pos,
        complete,
    })
}

/// Seals until nothing visible is left, `batch` events per transaction.
pub async fn seal_all(
    db: &Db,
    keks: &KekSet,
    ws: WorkspaceId,
    batch: i64,
    now: OffsetDateTime,
) -> Result<Sealed, StoreError> {
    let mut total = Sealed::default();
    loop {
        let s = seal_batch(db, keks, ws, batch, now).await?;
        total.events += s.events;
        total.head = s.head;
        if s.complete {
            total.complete = true;
            return Ok(total);
        }
    }
}

/// The chain's last position and link: the newest seal, else the last
/// purge checkpoint, else the start.
async fn head(
    conn: &mut sqlx::PgConnection,
    cps: &[Checkpoint],
) -> Result<(i64, Link), StoreError> {
    let last: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT pos, hash FROM history_seal ORDER BY pos DESC LIMIT 1")
            .fetch_optional(conn)
            .await?;
    if let Some((pos, hash)) = last {
        return Ok((pos, link_of(&hash).unwrap_or(GENESIS)));
    }
    Ok(cps
        .iter()
        .rev()
        .find(|c| c.kind == "purge")
        .map(|c| (c.pos, link_of(&c.hash).unwrap_or(GENESIS)))
        .unwrap_or((0, GENESIS)))
}
