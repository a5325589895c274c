//! Creating workspaces: filling up to a level (untimed) and timed samples.

use std::time::{Duration, Instant};

use anyhow::Context;
use tarello_crypto::KekSet;
use tarello_domain::Slug;
use tarello_store::migrate::MigrationSet;
use tarello_store::{Db, Progress, Workspace, create_workspace};
use time::OffsetDateTime;

use crate::progress;

#[derive(Debug)]
pub struct Fleet {
    pub db: Db,
    pub keks: KekSet,
    /// What new workspaces are created with (extended after the add-column migration).
    pub set: MigrationSet,
    /// Workspaces created so far.
    pub count: u64,
}

impl Fleet {
    pub async fn create_one(&mut self) -> anyhow::Result<Workspace> {
        let n = self.count + 1;
        let slug = Slug::parse(&format!("w{n:05}"))?;
        let ws = create_workspace(
            &self.db,
            &self.keks,
            &self.set,
            &slug,
            &format!("Bench workspace {n}"),
            OffsetDateTime::now_utc(),
        )
        .await
        .with_context(|| format!("creating workspace {slug:?} (number {n})"))?;
        self.count = n;
        Ok(ws)
    }

    /// Creates workspaces one after another until `target` exist.
    pub async fn fill_to(&mut self, target: u64) -> anyhow::Result<()> {
        if self.count >= target {
            return Ok(());
        }
        let p = progress::Stderr::new(500);
        p.start(
            &format!("creating workspaces {}..{target}", self.count + 1),
            target - self.count,
        );
        let started = Instant::now();
        let from = self.count;
        while self.count < target {
            self.create_one().await?;
            p.advance(1);
        }
        let made = self.count - from;
        p.finish(&format!(
            "{made} created, {:.1} ms each on average",
            started.elapsed().as_secs_f64() * 1e3 / made as f64
        ));
        Ok(())
    }

    /// Times `samples` creations, one after another.
    pub async fn time_creations(&mut self, samples: u64) -> anyhow::Result<Vec<Duration>> {
        let mut out = Vec::new();
        for _ in 0..samples {
            let t = Instant::now();
            self.create_one().await?;
            out.push(t.elapsed());
        }
        Ok(out)
    }
}
