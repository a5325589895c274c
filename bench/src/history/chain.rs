//! Sealer and verifier rates, called straight from the store (as `tarello
//! audit seal|verify` does), while no server runs: nothing else seals the
//! workspace meanwhile.

use std::time::{Duration, Instant};

use tarello_crypto::KekSet;
use tarello_domain::WorkspaceId;
use tarello_store::Db;
use tarello_store::audit::{SEAL_BATCH, seal, verify};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::stats::thousands;

#[derive(Debug, Clone)]
pub struct Chain {
    pub sealed: u64,
    pub seal_time: Duration,
    pub verified: u64,
    pub verify_time: Duration,
    pub pending: i64,
    pub broken: Option<String>,
}

fn rate(n: u64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 { n as f64 / s } else { 0.0 }
}

impl Chain {
    pub fn seal_rate(&self) -> f64 {
        rate(self.sealed, self.seal_time)
    }

    pub fn verify_rate(&self) -> f64 {
        rate(self.verified, self.verify_time)
    }
}

/// `seal_all` (batches of `SEAL_BATCH`) until nothing is left, then
/// `verify`, each timed.
pub async fn figures(db: &Db, keks: &KekSet, ws: Uuid) -> anyhow::Result<Chain> {
    let id = WorkspaceId(ws);
    eprintln!("sealing (batches of {SEAL_BATCH})");
    let t = Instant::now();
    let s = seal::seal_all(db, keks, id, SEAL_BATCH, OffsetDateTime::now_utc()).await?;
    let seal_time = t.elapsed();
    eprintln!(
        "  {} events sealed in {:.1} s ({:.0} events/s)",
        thousands(s.events),
        seal_time.as_secs_f64(),
        rate(s.events, seal_time)
    );
    eprintln!("verifying");
    let t = Instant::now();
    let v = verify::verify(db, keks, id).await?;
    let verify_time = t.elapsed();
    eprintln!(
        "  {} events verified in {:.1} s ({:.0} events/s), {} pending, {}",
        thousands(v.events),
        verify_time.as_secs_f64(),
        rate(v.events, verify_time),
        v.pending,
        v.broken
            .as_ref()
            .map_or_else(|| "chain intact".to_owned(), ToString::to_string)
    );
    Ok(Chain {
        sealed: s.events,
        seal_time,
        verified: v.events,
        verify_time,
        pending: v.pending,
        broken: v.broken.map(|b| b.to_string()),
    })
}
