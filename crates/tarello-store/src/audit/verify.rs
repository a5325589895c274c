//! `audit verify`: recomputes the chain and reports the first broken link.

use std::collections::BTreeMap;
use std::fmt;

use futures::TryStreamExt;
use tarello_crypto::KekSet;
use tarello_crypto::seal::{Encoder, GENESIS};
use tarello_domain::WorkspaceId;

use super::{EVENT_COLUMNS, EventRow, checkpoints, link_of, snapshot_tx};
use crate::{Db, StoreError, keyring};

/// How the history fails to match its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// A checkpoint's MAC does not match: forged or edited.
    Checkpoint { checkpoint_id: i64 },
    /// A link of the chain is missing.
    SealMissing { pos: i64 },
    /// A sealed event is gone.
    Deleted { seq: i64 },
    /// A sealed event (or its link) differs from what was sealed.
    Altered { seq: i64 },
    /// The chain ends before a checkpoint said it reached.
    Truncated { pos: i64 },
    /// An event that was not there when the chain went past it.
    Inserted { seq: i64 },
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Break::Checkpoint { checkpoint_id } => {
                write!(f, "checkpoint {checkpoint_id} does not carry a valid MAC")
            }
            Break::SealMissing { pos } => write!(f, "link {pos} of the chain is missing"),
            Break::Deleted { seq } => write!(f, "event {seq} was deleted after it was sealed"),
            Break::Altered { seq } => write!(f, "event {seq} was changed after it was sealed"),
            Break::Truncated { pos } => {
                write!(
                    f,
                    "the chain ends before position {pos}, which a checkpoint recorded"
                )
            }
            Break::Inserted { seq } => {
                write!(f, "event {seq} was inserted after the chain went past it")
            }
        }
    }
}

/// The outcome for one workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Events whose links were recomputed.
    pub events: u64,
    /// The last position and link (hex), to record elsewhere if wanted.
    pub head: i64,
    pub head_hash: String,
    /// Committed events the sealer has not reached yet.
    pub pending: i64,
    /// The first broken link, if any.
    pub broken: Option<Break>,
}

pub async fn verify(db: &Db, keks: &KekSet, ws: WorkspaceId) -> Result<Verified, StoreError> {
    verify_with(db, keks, ws, None, &crate::NoProgress).await
}

/// [`verify`], also checking that the chain still passes through `known`
/// (a position and link printed by an earlier verify and kept outside the
/// database: it catches the newest events, links and checkpoints being cut
/// together), and reporting each 10,000 events checked to `progress`.
pub async fn verify_with(
    db: &Db,
    keks: &KekSet,
    ws: WorkspaceId,
    known: Option<(i64, Vec<u8>)>,
    progress: &dyn crate::Progress,
) -> Result<Verified, StoreError> {
    let (keys, _) = keyring::seal_keys(db, keks, ws).await?;
    let mut tx = snapshot_tx(db, ws).await?;
    let cps = checkpoints(&mut tx).await?;
    let mut out = Verified {
        events: 0,
        head: 0,
        head_hash: String::new(),
        pending: 0,
        broken: None,
    };
    for c in &cps {
        let fields = c.fields();
        let ok = keys
            .get(&c.key_version)
            .is_some_and(|k| k.checkpoint(&fields).as_slice() == c.mac.as_slice());
        if !ok {
            out.broken = Some(Break::Checkpoint {
                checkpoint_id: c.checkpoint_id,
            });
            tx.rollback().await?;
            return Ok(out);
        }
    }
    // Start after the last purge, from the link it recorded.
    let (start, mut prev) = cps
        .iter()
        .rev()
        .find(|c| c.kind == "purge")
        .map(|c| (c.pos, link_of(&c.hash).unwrap_or(GENESIS)))
        .unwrap_or((0, GENESIS));
    // Links the checkpoints recorded: the chain must pass through each.
    let mut expected: BTreeMap<i64, Vec<u8>> = cps
        .iter()
        .filter(|c| c.kind == "seal" && c.pos > start)
        .map(|c| (c.pos, c.hash.clone()))
        .chain(known.filter(|(p, _)| *p > start))
        .collect();
    let mut pos = start;
    let mut enc = Encoder::new();
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM history_seal WHERE pos > $1")
        .bind(start)
        .fetch_one(&mut *tx)
        .await?;
    progress.start("verifying the chain", u64::try_from(total).unwrap_or(0));
    let chain = format!(
        "SELECT s.pos, s.seq AS sealed_seq, s.hash, s.key_version, {EVENT_COLUMNS} \
         FROM history_seal s LEFT JOIN history h ON h.seq = s.seq WHERE s.pos > $1 ORDER BY s.pos"
    );
    {
        let mut rows = sqlx::query_as::<_, SealedRow>(&chain)
            .bind(start)
            .fetch(&mut *tx);
        while let Some(r) = rows.try_next().await? {
            if r.pos != pos + 1 {
                out.broken = Some(Break::SealMissing { pos: pos + 1 });
                break;
            }
            pos = r.pos;
            let Some(ev) = r.event else {
                out.broken = Some(Break::Deleted { seq: r.sealed_seq });
                break;
            };
            let Some(key) = keys.get(&r.key_version) else {
                out.broken = Some(Break::Altered { seq: r.sealed_seq });
                break;
            };
            let link = key.link(&prev, ev.encode(&mut enc));
            if link.as_slice() != r.hash.as_slice()
                || expected.remove(&pos).is_some_and(|h| h != r.hash)
            {
                out.broken = Some(Break::Altered { seq: r.sealed_seq });
                break;
            }
            prev = link;
            out.events += 1;
            if out.events.is_multiple_of(10_000) {
                progress.advance(10_000);
            }
        }
    }
    progress.finish(&format!("{} events verified", out.events));
    out.head = pos;
    out.head_hash = hex(&prev);
    if out.broken.is_none()
        && let Some((&p, _)) = expected.iter().next()
    {
        out.broken = Some(Break::Truncated { pos: p });
    }
    if out.broken.is_none() {
        out.broken = inserted(&mut tx, &cps)
            .await?
            .map(|seq| Break::Inserted { seq });
    }
    out.pending = sqlx::query_scalar(
        "SELECT count(*) FROM history h WHERE NOT EXISTS (SELECT 1 FROM history_seal s WHERE s.seq = h.seq)",
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.rollback().await?;
    Ok(out)
}

/// The first unsealed event that cannot be genuine (see `NOT_GENUINE`).
async fn inserted(
    conn: &mut sqlx::PgConnection,
    cps: &[super::Checkpoint],
) -> Result<Option<i64>, StoreError> {
    let Some(c) = cps.iter().rev().find(|c| c.kind == "seal") else {
        return Ok(None);
    };
    Ok(sqlx::query_scalar(&format!(
        "SELECT h.seq FROM history h WHERE NOT EXISTS (SELECT 1 FROM history_seal s WHERE s.seq = h.seq) \
         AND ({}) ORDER BY h.seq LIMIT 1",
        super::NOT_GENUINE
    ))
    .bind(c.snapshot.as_deref())
    .bind(c.max_seq)
    .bind(c.complete)
    .fetch_optional(conn)
    .await?)
}

#[derive(Debug)]
struct SealedRow {
    pos: i64,
    sealed_seq: i64,
    hash: Vec<u8>,
    key_version: i32,
    event: Option<EventRow>,
}

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for SealedRow {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        let seq: Option<i64> = row.try_get("seq")?;
        Ok(SealedRow {
            pos: row.try_get("pos")?,
            sealed_seq: row.try_get("sealed_seq")?,
            hash: row.try_get("hash")?,
            key_version: row.try_get("key_version")?,
            event: match seq {
                Some(_) => Some(EventRow::from_row(row)?),
                None => None,
            },
        })
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
