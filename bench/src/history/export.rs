//! The history export, streamed: rows per second, bytes, and the server's
//! memory (`VmRSS` sampled every 50 ms from `/proc/<pid>/status` while the
//! body streams; `VmHWM` before and after).

use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::oneshot;

/// How often the server's RSS is read while an export streams.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// Memory figures of `/proc/<pid>/status`, in kB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mem {
    pub rss_kb: u64,
    pub hwm_kb: u64,
}

/// `VmRSS` and `VmHWM` of process `pid`.
pub fn mem(pid: u32) -> anyhow::Result<Mem> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    Ok(parse_mem(&text))
}

fn parse_mem(text: &str) -> Mem {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Mem {
        rss_kb: field("VmRSS:"),
        hwm_kb: field("VmHWM:"),
    }
}

/// Counts CSV records (newlines outside quotes), fed chunk by chunk.
#[derive(Debug, Default)]
pub struct CsvCounter {
    quoted: bool,
    pub records: u64,
}

impl CsvCounter {
    pub fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            match b {
                b'"' => self.quoted = !self.quoted,
                b'\n' if !self.quoted => self.records += 1,
                _ => {}
            }
        }
    }
}

/// Counts the elements (objects) of a top-level JSON array, fed chunk by
/// chunk: strings and nesting are followed, nothing is kept.
#[derive(Debug, Default)]
pub struct JsonCounter {
    depth: u32,
    string: bool,
    escape: bool,
    pub objects: u64,
}

impl JsonCounter {
    pub fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            if self.string {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.string = false;
                }
                continue;
            }
            match b {
                b'"' => self.string = true,
                b'{' | b'[' => {
                    if b == b'{' && self.depth == 1 {
                        self.objects += 1;
                    }
                    self.depth += 1;
                }
                b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Export {
    pub format: &'static str,
    pub status: u16,
    /// Events in the body (CSV records after the header, or array elements).
    pub rows: u64,
    pub bytes: u64,
    pub first_byte: Duration,
    pub elapsed: Duration,
    pub before: Mem,
    /// The highest `VmRSS` seen while streaming (and for 1 s after).
    pub peak_rss_kb: u64,
    pub after: Mem,
    /// The body when the status was not 200.
    pub error: Option<String>,
}

impl Export {
    pub fn rate(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { self.rows as f64 / s } else { 0.0 }
    }
}

/// Samples `VmRSS` of `pid` until told to stop; returns the highest.
fn sampler(pid: u32) -> (oneshot::Sender<()>, tokio::task::JoinHandle<u64>) {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut peak = 0;
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                _ = tick.tick() => {
                    if let Ok(m) = mem(pid) {
                        peak = peak.max(m.rss_kb);
                    }
                }
            }
        }
        peak
    });
    (stop, task)
}

/// `GET {url}` (an export), its body streamed and counted without being
/// kept, while the server's memory is sampled.
pub async fn export(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    format: &'static str,
    pid: u32,
) -> anyhow::Result<Export> {
    let before = mem(pid)?;
    let (stop, task) = sampler(pid);
    let t = Instant::now();
    let mut r = client.get(url).bearer_auth(token).send().await?;
    let status = r.status().as_u16();
    let mut csv = CsvCounter::default();
    let mut json = JsonCounter::default();
    let mut bytes = 0u64;
    let mut first_byte = None;
    let mut error = None;
    if status == 200 {
        let mut last_report = Instant::now();
        while let Some(chunk) = r.chunk().await.context("reading the export body")? {
            first_byte.get_or_insert_with(|| t.elapsed());
            bytes += chunk.len() as u64;
            if format == "csv" {
                csv.feed(&chunk);
            } else {
                json.feed(&chunk);
            }
            if last_report.elapsed() >= Duration::from_secs(5) {
                last_report = Instant::now();
                eprintln!(
                    "  {format}: {:.1} MB in {:.0} s",
                    bytes as f64 / 1e6,
                    t.elapsed().as_secs_f64()
                );
            }
        }
    } else {
        error = Some(r.text().await.unwrap_or_default());
    }
    let elapsed = t.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = stop.send(());
    let peak_rss_kb = task.await?;
    let after = mem(pid)?;
    let rows = if format == "csv" {
        csv.records.saturating_sub(1)
    } else {
        json.objects
    };
    Ok(Export {
        format,
        status,
        rows,
        bytes,
        first_byte: first_byte.unwrap_or(elapsed),
        elapsed,
        before,
        peak_rss_kb: peak_rss_kb.max(after.rss_kb),
        after,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_csv_records_across_chunks() {
        let mut c = CsvCounter::default();
        c.feed(b"seq,before\n1,\"{\"\"a\"\": \"\"x\n");
        c.feed(b"y\"\"}\"\n2,\n");
        assert_eq!(c.records, 3);
    }

    #[test]
    fn counts_json_elements_across_chunks() {
        let mut j = JsonCounter::default();
        j.feed(br#"[{"seq":1,"after":{"t":"a}{\"["},"x":[1,{"y":2}]},"#);
        j.feed(br#"{"seq":2}]"#);
        assert_eq!(j.objects, 2);
        let mut e = JsonCounter::default();
        e.feed(b"[]");
        assert_eq!(e.objects, 0);
    }

    #[test]
    fn reads_proc_status() {
        let m = parse_mem("Name:\ttarello\nVmHWM:\t  123456 kB\nVmRSS:\t   65432 kB\n");
        assert_eq!((m.rss_kb, m.hwm_kb), (65432, 123456));
    }
}
