//! Sequential GETs of history pages: latency, and how many events a page
//! held.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::mixed::seed::Api;
use crate::stats::{Summary, ms};

/// Untimed requests before the timed ones.
pub const WARMUP: usize = 10;

#[derive(Debug, Clone)]
pub struct Gets {
    pub latency: Summary,
    pub max: Duration,
    /// Mean events per page (`items`).
    pub items: f64,
    pub bytes: f64,
}

/// GETs `urls` one after another with `token` (the first `WARMUP` untimed).
/// `Ok(None)` when the very first answer is 404 or 405 (the route is not
/// there); any other non-200 is an error.
pub async fn gets(api: &Api, token: &str, urls: &[String]) -> anyhow::Result<Option<Gets>> {
    let mut lat = Vec::new();
    let mut items = 0usize;
    let mut bytes = 0usize;
    for (i, url) in urls.iter().enumerate() {
        let t = Instant::now();
        let r = api.c.get(url).bearer_auth(token).send().await?;
        let status = r.status().as_u16();
        let body = r.bytes().await?;
        let took = t.elapsed();
        if i == 0 && matches!(status, 404 | 405) {
            eprintln!(
                "  GET {url}: {status} {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            );
            return Ok(None);
        }
        if status != 200 {
            bail!(
                "GET {url}: {status} {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
        }
        if i >= WARMUP {
            lat.push(took);
            let v: serde_json::Value =
                serde_json::from_slice(&body).with_context(|| format!("GET {url}: not JSON"))?;
            items += v["items"].as_array().map_or(0, Vec::len);
            bytes += body.len();
        }
    }
    let latency = Summary::of(&lat).context("no timed GETs")?;
    let max = lat.iter().copied().max().unwrap_or_default();
    let n = lat.len().max(1) as f64;
    eprintln!(
        "  p50 {}, p99 {}, max {}, {:.1} events per page",
        ms(latency.median),
        ms(latency.p99),
        ms(max),
        items as f64 / n
    );
    Ok(Some(Gets {
        latency,
        max,
        items: items as f64 / n,
        bytes: bytes as f64 / n,
    }))
}
