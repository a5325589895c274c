//! The HTTP side: a Lua data file for `bench/wrk/mixed.lua`, a wrk run,
//! and the JSON line its `done()` prints.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
use sqlx::PgPool;
use tokio::process::Command;
use uuid::Uuid;

use super::seed::Ws;

/// The workload script, in the source tree.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("wrk/mixed.lua")
}

/// `wrk` on the PATH (bench/run installs the Debian package when missing).
pub fn binary() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("wrk"))
        .find(|p| p.is_file())
        .context("no `wrk` on the PATH: install the Debian package wrk (bench/run does when root)")
}

fn lua_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii_graphic() || c == ' ' => out.push(c),
            c => {
                let _ = write!(out, "\\{}", u32::from(c));
            }
        }
    }
    out.push('"');
    out
}

/// Each card's current version and one of its tags, if any.
pub type CardStates = HashMap<Uuid, (i32, Option<Uuid>)>;

/// The state of every card of `wss`, read as the owner.
pub async fn card_states(su: &PgPool, wss: &[Ws]) -> anyhow::Result<CardStates> {
    let mut out = HashMap::new();
    for ws in wss {
        let rows: Vec<(Uuid, i32, Option<Uuid>)> = sqlx::query_as(&format!(
            "SELECT c.card_id, c.version, (SELECT ct.tag_id FROM {s}.card_tag ct \
             WHERE ct.card_id = c.card_id ORDER BY ct.tag_id LIMIT 1) FROM {s}.card c",
            s = ws.schema()
        ))
        .fetch_all(su)
        .await?;
        out.extend(rows.into_iter().map(|(c, v, t)| (c, (v, t))));
    }
    Ok(out)
}

/// The tables the script picks from. `tokens[w]` holds workspace w's
/// workspace tokens in `Ws::people` order (person 4 is the observer);
/// `states` the cards' current versions (moves send them) and tags.
pub fn data_file(
    wss: &[Ws],
    tokens: &[Vec<String>],
    states: &CardStates,
) -> anyhow::Result<String> {
    let mut s = String::from("-- written by tarello-bench mixed\nreturn { ws = {\n");
    for (ws, toks) in wss.iter().zip(tokens) {
        let mut rw = Vec::new();
        let mut ro = Vec::new();
        for (p, t) in ws.people.iter().zip(toks) {
            if p.role == "observer" {
                ro.push(lua_str(t));
            } else {
                rw.push(lua_str(t));
            }
        }
        if rw.is_empty() {
            bail!("workspace {} has no writer", ws.slug);
        }
        let _ = writeln!(
            s,
            " {{ slug = {}, rw = {{ {} }}, ro = {{ {} }},",
            lua_str(&ws.slug),
            rw.join(", "),
            ro.join(", ")
        );
        s.push_str("   boards = {\n");
        for b in &ws.boards {
            let lists: Vec<String> = b.lists.iter().map(|l| lua_str(&l.to_string())).collect();
            let _ = writeln!(
                s,
                "    {{ id = {}, lists = {{ {} }} }},",
                lua_str(&b.id.to_string()),
                lists.join(", ")
            );
        }
        s.push_str("   },\n   cards = {\n");
        for (bi, b) in ws.boards.iter().enumerate() {
            for (c, _) in &b.cards {
                let (version, tag) = states.get(c).copied().unwrap_or((1, None));
                let _ = writeln!(
                    s,
                    "    {{ {}, {}, {}, {} }},",
                    lua_str(&c.to_string()),
                    bi + 1,
                    version,
                    tag.map_or_else(|| "nil".to_owned(), |t| lua_str(&t.to_string()))
                );
            }
        }
        let tags: Vec<String> = ws.tags.iter().map(|t| lua_str(&t.to_string())).collect();
        let _ = writeln!(s, "   }},\n   tags = {{ {} }} }},", tags.join(", "));
    }
    s.push_str("} }\n");
    Ok(s)
}

#[derive(Debug, Clone, Default)]
pub struct Kind {
    pub n: u64,
    pub bad: u64,
    pub conflict: u64,
}

#[derive(Debug, Clone)]
pub struct WrkRun {
    pub connections: u64,
    pub requests: u64,
    pub duration: Duration,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub mean: Duration,
    pub max: Duration,
    pub bytes: u64,
    /// Socket errors: connect, read, write, timeout.
    pub socket_errors: (u64, u64, u64, u64),
    /// wrk's own count of responses with status > 399.
    pub status_errors: u64,
    pub kinds: BTreeMap<String, Kind>,
    /// "kind_status" → count, for non-2xx answers.
    pub statuses: BTreeMap<String, u64>,
}

impl WrkRun {
    pub fn rate(&self) -> f64 {
        let s = self.duration.as_secs_f64();
        if s > 0.0 {
            self.requests as f64 / s
        } else {
            0.0
        }
    }

    pub fn non_2xx(&self) -> u64 {
        self.kinds.values().map(|k| k.bad).sum()
    }

    pub fn conflicts(&self) -> u64 {
        self.kinds.values().map(|k| k.conflict).sum()
    }
}

fn us(v: &Value, key: &str) -> Duration {
    Duration::from_micros(v[key].as_f64().unwrap_or(0.0).max(0.0) as u64)
}

fn count(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

/// Parses the `MIXED_JSON {…}` line of the script's `done()`.
pub fn parse(stdout: &str, connections: u64) -> anyhow::Result<WrkRun> {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("MIXED_JSON "))
        .context("wrk printed no MIXED_JSON line")?;
    let v: Value = serde_json::from_str(line).context("wrk's MIXED_JSON line")?;
    let e = &v["errors"];
    let mut kinds = BTreeMap::new();
    if let Some(m) = v["kinds"].as_object() {
        for (k, x) in m {
            kinds.insert(
                k.clone(),
                Kind {
                    n: count(x, "n"),
                    bad: count(x, "bad"),
                    conflict: count(x, "conflict"),
                },
            );
        }
    }
    let mut statuses = BTreeMap::new();
    if let Some(m) = v["statuses"].as_object() {
        for (k, x) in m {
            statuses.insert(k.clone(), x.as_u64().unwrap_or(0));
        }
    }
    Ok(WrkRun {
        connections,
        requests: count(&v, "requests"),
        duration: us(&v, "duration_us"),
        p50: us(&v, "p50_us"),
        p90: us(&v, "p90_us"),
        p99: us(&v, "p99_us"),
        mean: us(&v, "mean_us"),
        max: us(&v, "max_us"),
        bytes: count(&v, "bytes"),
        socket_errors: (
            count(e, "connect"),
            count(e, "read"),
            count(e, "write"),
            count(e, "timeout"),
        ),
        status_errors: count(e, "status"),
        kinds,
        statuses,
    })
}

/// One wrk run of `secs` against `base` (loopback), one thread per
/// connection.
pub async fn run(
    wrk: &Path,
    base: &str,
    data: &Path,
    connections: u64,
    secs: u64,
) -> anyhow::Result<WrkRun> {
    if !base.starts_with("http://127.0.0.1:") {
        bail!("wrk only loads loopback addresses, not {base}");
    }
    let out = Command::new(wrk)
        .arg("-t")
        .arg(connections.to_string())
        .arg("-c")
        .arg(connections.to_string())
        .arg("-d")
        .arg(format!("{secs}s"))
        .arg("--timeout")
        .arg("10s")
        .arg("--latency")
        .arg("-s")
        .arg(script())
        .arg(base)
        .arg("--")
        .arg(data)
        .arg(connections.to_string())
        .kill_on_drop(true)
        .output()
        .await
        .context("running wrk")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "wrk failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse(&stdout, connections).with_context(|| {
        format!(
            "wrk output:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_done_line() {
        let out = "Running 1s test\nMIXED_JSON {\"requests\":100,\"duration_us\":2000000,\"bytes\":5,\
            \"p50_us\":1500,\"p90_us\":2000,\"p99_us\":9000,\"mean_us\":1700,\"max_us\":12000,\
            \"errors\":{\"connect\":0,\"read\":1,\"write\":0,\"status\":3,\"timeout\":0},\
            \"kinds\":{\"move\":{\"n\":10,\"bad\":2,\"conflict\":2},\"board\":{\"n\":90,\"bad\":1,\"conflict\":0}},\
            \"statuses\":{\"move_409\":2,\"board_404\":1}}\nRequests/sec: 50\n";
        let r = parse(out, 4).unwrap();
        assert_eq!((r.requests, r.non_2xx(), r.conflicts()), (100, 3, 2));
        assert_eq!(r.p99, Duration::from_micros(9000));
        assert!((r.rate() - 50.0).abs() < 1e-9);
        assert_eq!(r.statuses.get("board_404"), Some(&1));
    }

    #[test]
    fn lua_strings_are_quoted() {
        assert_eq!(lua_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
