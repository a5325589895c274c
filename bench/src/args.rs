//! Command-line flags: the scale figures (no subcommand) or `auth`.

use anyhow::{Context, bail};

pub const USAGE: &str = "\
usage: tarello-bench [--workspaces 10,1000,10000] [--samples 50] [--migrate-at 10000]
                     [--begins 2000] [--quick]

  --workspaces LIST  workspace counts at which creation is timed (default 10,1000,10000)
  --samples N        creations timed at each level (default 50)
  --migrate-at N     workspace count at which `migrate` is timed (default 10000)
  --begins N         transactions timed per side in the begin-overhead figures (default 2000)
  --quick            smoke run: levels 10,200, migrate at 200 (explicit flags still win)

usage: tarello-bench auth [--secs 10] [--login-tasks 4,16] [--get-tasks 8]
                          [--attackers 200] [--bin target/release/tarello]

  --secs N           length of each timed phase in seconds (default 10)
  --login-tasks LIST concurrent correct-login tasks, one phase per entry (default 4,16)
  --get-tasks N      concurrent `GET /api/v1/me` tasks (default 8)
  --attackers N      concurrent bad-login tasks, each from its own address
                     127.0.0.2, 127.0.0.3, … (default 200, at most 250)
  --bin PATH         the server binary (default <target dir>/release/tarello)

usage: tarello-bench mixed [--secs 20] [--connections 32] [--workspaces 20]
                           [--big-cards 5000] [--big-gets 50] [--warmup 3]
                           [--bin target/release/tarello]

  --secs N           length of the wrk run and of the pgbench run (default 20)
  --connections N    wrk connections (one per wrk thread) and pgbench clients (default 32)
  --workspaces N     seeded workspaces, each 5 people, 3 boards x 4 lists x 25 cards (default 20)
  --big-cards N      cards on the big board (default 5000; 0 skips it)
  --big-gets N       timed GETs of the big board (default 50)
  --warmup N         seconds of wrk load before the timed run (default 3)
  --bin PATH         the server binary (default <target dir>/release/tarello)

usage: tarello-bench history [--events 10000000] [--export-events 1000000]
                             [--secs 15] [--connections 32] [--workspaces 20]
                             [--warmup 3] [--queries 500] [--quick]
                             [--bin target/release/tarello]

  --events N         history events inserted into the query workspace (default 10,000,000)
  --export-events N  history events inserted into the export workspace (default 1,000,000)
  --secs N           length of each wrk run of the write-overhead figure (default 15)
  --connections N    wrk connections, one per wrk thread (default 32)
  --workspaces N     workspaces seeded for the mixed load (default 20)
  --warmup N         seconds of wrk load before the timed runs (default 3)
  --queries N        timed sequential GETs per query figure (default 500)
  --quick            smoke run: 200,000 and 100,000 events, 5 workspaces, 5 s runs,
                     100 queries (explicit flags still win)
  --bin PATH         the server binary (default <target dir>/release/tarello)
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub levels: Vec<u64>,
    pub samples: u64,
    pub migrate_at: u64,
    pub begins: u64,
}

impl Args {
    pub fn parse(raw: impl IntoIterator<Item = String>) -> anyhow::Result<Option<Args>> {
        let mut levels = None;
        let mut samples = None;
        let mut migrate_at = None;
        let mut begins = None;
        let mut quick = false;
        let mut it = raw.into_iter();
        while let Some(flag) = it.next() {
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (flag.clone(), None),
            };
            let mut value = |what: &str| -> anyhow::Result<String> {
                match inline.clone() {
                    Some(v) => Ok(v),
                    None => it.next().with_context(|| format!("{what} needs a value")),
                }
            };
            match name.as_str() {
                "-h" | "--help" => return Ok(None),
                "--quick" => quick = true,
                "--workspaces" => levels = Some(parse_list(&value("--workspaces")?)?),
                "--samples" => samples = Some(parse_count(&value("--samples")?)?),
                "--migrate-at" => migrate_at = Some(parse_count(&value("--migrate-at")?)?),
                "--begins" => begins = Some(parse_count(&value("--begins")?)?),
                other => bail!("unknown flag `{other}`\n{USAGE}"),
            }
        }
        let (dl, dm) = if quick {
            (vec![10, 200], 200)
        } else {
            (vec![10, 1_000, 10_000], 10_000)
        };
        let mut levels = levels.unwrap_or(dl);
        levels.sort_unstable();
        levels.dedup();
        Ok(Some(Args {
            levels,
            samples: samples.unwrap_or(50).max(1),
            migrate_at: migrate_at.unwrap_or(dm),
            begins: begins.unwrap_or(2_000).max(1),
        }))
    }
}

/// Flags of `tarello-bench auth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthArgs {
    pub secs: u64,
    pub login_tasks: Vec<u64>,
    pub get_tasks: u64,
    pub attackers: u64,
    pub bin: Option<String>,
}

impl AuthArgs {
    pub fn parse(raw: impl IntoIterator<Item = String>) -> anyhow::Result<Option<AuthArgs>> {
        let mut a = AuthArgs {
            secs: 10,
            login_tasks: vec![4, 16],
            get_tasks: 8,
            attackers: 200,
            bin: None,
        };
        let mut it = raw.into_iter();
        while let Some(flag) = it.next() {
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (flag.clone(), None),
            };
            let mut value = |what: &str| -> anyhow::Result<String> {
                match inline.clone() {
                    Some(v) => Ok(v),
                    None => it.next().with_context(|| format!("{what} needs a value")),
                }
            };
            match name.as_str() {
                "-h" | "--help" => return Ok(None),
                "--secs" => a.secs = parse_count(&value("--secs")?)?.max(1),
                "--login-tasks" => a.login_tasks = parse_list(&value("--login-tasks")?)?,
                "--get-tasks" => a.get_tasks = parse_count(&value("--get-tasks")?)?.max(1),
                "--attackers" => a.attackers = parse_count(&value("--attackers")?)?,
                "--bin" => a.bin = Some(value("--bin")?),
                other => bail!("unknown flag `{other}`\n{USAGE}"),
            }
        }
        if a.attackers > 250 {
            bail!("--attackers: at most 250 (one loopback address each, 127.0.0.2 to 127.0.0.251)");
        }
        a.login_tasks.retain(|&n| n > 0);
        Ok(Some(a))
    }
}

/// Flags of `tarello-bench mixed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MixedArgs {
    pub secs: u64,
    pub connections: u64,
    pub workspaces: u64,
    pub big_cards: u64,
    pub big_gets: u64,
    pub warmup: u64,
    pub bin: Option<String>,
}

impl MixedArgs {
    pub fn parse(raw: impl IntoIterator<Item = String>) -> anyhow::Result<Option<MixedArgs>> {
        let mut a = MixedArgs {
            secs: 20,
            connections: 32,
            workspaces: 20,
            big_cards: 5_000,
            big_gets: 50,
            warmup: 3,
            bin: None,
        };
        let mut it = raw.into_iter();
        while let Some(flag) = it.next() {
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (flag.clone(), None),
            };
            let mut value = |what: &str| -> anyhow::Result<String> {
                match inline.clone() {
                    Some(v) => Ok(v),
                    None => it.next().with_context(|| format!("{what} needs a value")),
                }
            };
            match name.as_str() {
                "-h" | "--help" => return Ok(None),
                "--secs" => a.secs = parse_count(&value("--secs")?)?.max(1),
                "--connections" => a.connections = parse_count(&value("--connections")?)?.max(1),
                "--workspaces" => a.workspaces = parse_count(&value("--workspaces")?)?.max(1),
                "--big-cards" => a.big_cards = parse_count(&value("--big-cards")?)?,
                "--big-gets" => a.big_gets = parse_count(&value("--big-gets")?)?.max(1),
                "--warmup" => a.warmup = parse_count(&value("--warmup")?)?,
                "--bin" => a.bin = Some(value("--bin")?),
                other => bail!("unknown flag `{other}`\n{USAGE}"),
            }
        }
        if a.connections > 128 {
            bail!("--connections: at most 128 (one wrk thread each)");
        }
        if a.workspaces > 200 {
            bail!("--workspaces: at most 200");
        }
        Ok(Some(a))
    }
}

/// Flags of `tarello-bench history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryArgs {
    pub events: u64,
    pub export_events: u64,
    pub secs: u64,
    pub connections: u64,
    pub workspaces: u64,
    pub warmup: u64,
    pub queries: u64,
    pub bin: Option<String>,
}

impl HistoryArgs {
    pub fn parse(raw: impl IntoIterator<Item = String>) -> anyhow::Result<Option<HistoryArgs>> {
        let mut quick = false;
        let mut events = None;
        let mut export_events = None;
        let mut secs = None;
        let mut connections = None;
        let mut workspaces = None;
        let mut warmup = None;
        let mut queries = None;
        let mut bin = None;
        let mut it = raw.into_iter();
        while let Some(flag) = it.next() {
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (flag.clone(), None),
            };
            let mut value = |what: &str| -> anyhow::Result<String> {
                match inline.clone() {
                    Some(v) => Ok(v),
                    None => it.next().with_context(|| format!("{what} needs a value")),
                }
            };
            match name.as_str() {
                "-h" | "--help" => return Ok(None),
                "--quick" => quick = true,
                "--events" => events = Some(parse_count(&value("--events")?)?),
                "--export-events" => export_events = Some(parse_count(&value("--export-events")?)?),
                "--secs" => secs = Some(parse_count(&value("--secs")?)?.max(1)),
                "--connections" => {
                    connections = Some(parse_count(&value("--connections")?)?.max(1))
                }
                "--workspaces" => workspaces = Some(parse_count(&value("--workspaces")?)?.max(1)),
                "--warmup" => warmup = Some(parse_count(&value("--warmup")?)?),
                "--queries" => queries = Some(parse_count(&value("--queries")?)?.max(1)),
                "--bin" => bin = Some(value("--bin")?),
                other => bail!("unknown flag `{other}`\n{USAGE}"),
            }
        }
        let a = if quick {
            HistoryArgs {
                events: events.unwrap_or(200_000),
                export_events: export_events.unwrap_or(100_000),
                secs: secs.unwrap_or(5),
                connections: connections.unwrap_or(32),
                workspaces: workspaces.unwrap_or(5),
                warmup: warmup.unwrap_or(2),
                queries: queries.unwrap_or(100),
                bin,
            }
        } else {
            HistoryArgs {
                events: events.unwrap_or(10_000_000),
                export_events: export_events.unwrap_or(1_000_000),
                secs: secs.unwrap_or(15),
                connections: connections.unwrap_or(32),
                workspaces: workspaces.unwrap_or(20),
                warmup: warmup.unwrap_or(3),
                queries: queries.unwrap_or(500),
                bin,
            }
        };
        if a.connections > 128 {
            bail!("--connections: at most 128 (one wrk thread each)");
        }
        if a.workspaces > 200 {
            bail!("--workspaces: at most 200");
        }
        Ok(Some(a))
    }
}

fn parse_count(s: &str) -> anyhow::Result<u64> {
    s.trim()
        .replace(['_', ','], "")
        .parse()
        .with_context(|| format!("`{s}` is not a count"))
}

fn parse_list(s: &str) -> anyhow::Result<Vec<u64>> {
    let list: Vec<u64> = s
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(parse_count)
        .collect::<anyhow::Result<_>>()?;
    if list.is_empty() {
        bail!("a list needs at least one count");
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(a: &[&str]) -> Args {
        Args::parse(a.iter().map(|s| (*s).to_owned()))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn defaults_and_quick() {
        assert_eq!(parse(&[]).levels, vec![10, 1_000, 10_000]);
        let q = parse(&["--quick"]);
        assert_eq!((q.levels, q.migrate_at), (vec![10, 200], 200));
        let o = parse(&["--quick", "--workspaces=50,5", "--samples", "7"]);
        assert_eq!((o.levels, o.samples), (vec![5, 50], 7));
    }

    #[test]
    fn auth_flags() {
        let parse = |a: &[&str]| {
            AuthArgs::parse(a.iter().map(|s| (*s).to_owned()))
                .unwrap()
                .unwrap()
        };
        let d = parse(&[]);
        assert_eq!(
            (d.secs, d.login_tasks, d.get_tasks, d.attackers),
            (10, vec![4, 16], 8, 200)
        );
        let o = parse(&["--secs=3", "--login-tasks", "2", "--attackers", "20"]);
        assert_eq!((o.secs, o.login_tasks, o.attackers), (3, vec![2], 20));
        assert!(AuthArgs::parse(["--attackers".to_owned(), "300".to_owned()]).is_err());
    }

    #[test]
    fn mixed_flags() {
        let parse = |a: &[&str]| {
            MixedArgs::parse(a.iter().map(|s| (*s).to_owned()))
                .unwrap()
                .unwrap()
        };
        let d = parse(&[]);
        assert_eq!(
            (d.secs, d.connections, d.workspaces, d.big_cards, d.big_gets),
            (20, 32, 20, 5_000, 50)
        );
        let o = parse(&["--secs=5", "--connections", "8", "--big-cards", "0"]);
        assert_eq!((o.secs, o.connections, o.big_cards), (5, 8, 0));
        assert!(MixedArgs::parse(["--connections".to_owned(), "500".to_owned()]).is_err());
    }

    #[test]
    fn history_flags() {
        let parse = |a: &[&str]| {
            HistoryArgs::parse(a.iter().map(|s| (*s).to_owned()))
                .unwrap()
                .unwrap()
        };
        let d = parse(&[]);
        assert_eq!(
            (d.events, d.export_events, d.secs, d.connections, d.queries),
            (10_000_000, 1_000_000, 15, 32, 500)
        );
        let q = parse(&["--quick", "--events=50000"]);
        assert_eq!((q.events, q.export_events, q.secs), (50_000, 100_000, 5));
        assert!(HistoryArgs::parse(["--workspaces".to_owned(), "500".to_owned()]).is_err());
    }
}
