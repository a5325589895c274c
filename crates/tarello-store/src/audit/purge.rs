//! Retention (AUD-6): events older than the plan keeps leave from the
//! start of the chain, through the schema's `history_purge` function (the
//! only path the append-only triggers let through), in batches, each with
//! a checkpoint so `verify` starts after what was removed. Resumable: a
//! killed run leaves whole batches behind it.

use tarello_crypto::KekSet;
use tarello_domain::WorkspaceId;
use time::OffsetDateTime;

use super::{Checkpoint, snapshot_tx};
use crate::{Db, Progress, StoreError, keyring};

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub events: u64,
    pub calls: u64,
}

/// Removes sealed events and capability rows older than `before`.
pub async fn purge(
    db: &Db,
    keks: &KekSet,
    ws: WorkspaceId,
    before: OffsetDateTime,
    batch: i32,
    now: OffsetDateTime,
    progress: &dyn Progress,
) -> Result<Purged, StoreError> {
    let (keys, version) = keyring::seal_keys(db, keks, ws).await?;
    let key = keys
        .get(&version)
        .ok_or_else(|| StoreError::UnknownWorkspace(ws.to_string()))?;
    let mut total = Purged::default();
    progress.start("purging history", 0);
    loop {
        let mut tx = snapshot_tx(db, ws).await?;
        sqlx::query("LOCK TABLE history_seal IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let (last_pos, last_hash, last_seq, events, calls): (
            Option<i64>,
            Option<Vec<u8>>,
            Option<i64>,
            i64,
            i64,
        ) = sqlx::query_as("SELECT * FROM history_purge($1, $2)")
            .bind(before)
            .bind(batch)
            .fetch_one(&mut *tx)
            .await?;
        if let (Some(pos), Some(hash), Some(seq)) = (last_pos, last_hash, last_seq) {
            Checkpoint {
                checkpoint_id: 0,
                kind: "purge".into(),
                at: now,
                pos,
                hash,
                max_seq: seq,
                snapshot: None,
                complete: true,
                key_version: version,
                mac: Vec::new(),
            }
            .insert(&mut tx, key)
            .await?;
        }
        tx.commit().await?;
        let n = u64::try_from(events + calls).unwrap_or(0);
        total.events += u64::try_from(events).unwrap_or(0);
        total.calls += u64::try_from(calls).unwrap_or(0);
        progress.advance(n);
        if n == 0 {
            break;
        }
    }
    progress.finish(&format!(
        "{} events and {} capability records removed",
        total.events, total.calls
    ));
    Ok(total)
}
