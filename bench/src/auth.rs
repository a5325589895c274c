//! `tarello-bench auth`: logins per second, and the latency of a cheap
//! authenticated GET alone and while a flood of bad logins hammers the
//! server. The real server binary runs on loopback; figures are reported,
//! never asserted.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::args::AuthArgs;
use crate::server::{self, Server};
use crate::stats::{Summary, ms, ratio, thousands};

const EMAIL: &str = "bench-user@example.com";
const PASSWORD: &str = "correct horse battery staple 42";
const ME: &str = "/api/v1/me";
const LOGIN: &str = "/api/v1/auth/login";
/// Attackers start this long before the GET load is timed, so the Argon2
/// queue is already full when the window opens.
const RAMP: Duration = Duration::from_secs(2);

/// One timed closed-loop load: `tasks` tasks, each sending one request after
/// another until the deadline.
#[derive(Debug)]
struct Load {
    tasks: u64,
    /// Latencies of the requests answered with the expected status.
    ok: Vec<Duration>,
    /// Requests answered with another status, or failed in transport.
    bad: u64,
    wall: Duration,
}

impl Load {
    fn rate(&self) -> f64 {
        let s = self.wall.as_secs_f64();
        if s > 0.0 {
            self.ok.len() as f64 / s
        } else {
            0.0
        }
    }
}

/// Bad-login outcomes, counted by the attackers as responses arrive.
#[derive(Debug, Default)]
struct Counters {
    unauthorized: AtomicU64,
    throttled: AtomicU64,
    other: AtomicU64,
    failed: AtomicU64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    unauthorized: u64,
    throttled: u64,
    other: u64,
    failed: u64,
}

impl Counts {
    fn total(&self) -> u64 {
        self.unauthorized + self.throttled + self.other + self.failed
    }
}

impl Counters {
    fn snapshot(&self) -> Counts {
        Counts {
            unauthorized: self.unauthorized.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            other: self.other.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

#[derive(Debug)]
struct Attack {
    tasks: u64,
    /// Outcomes of bad logins answered inside the GET window.
    window: Counts,
    window_len: Duration,
}

#[derive(Debug)]
struct Figures {
    logins: Vec<Load>,
    baseline: Load,
    attacked: Load,
    attack: Attack,
}

pub async fn run(args: AuthArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let bin = args
        .bin
        .as_ref()
        .map_or_else(server::default_bin, PathBuf::from);
    eprintln!("tarello-bench auth {args:?}");
    eprintln!("server binary: {}", bin.display());
    eprintln!("cluster dir: {}", tarello_testkit::cluster_dir().display());
    let tdb = tarello_testkit::fresh_database().await;
    let server = Server::start(&bin, &tdb).await?;
    eprintln!("server up at {}", server.base);
    let figures = figures(&server, &args).await;
    let stopped = server.stop().await;
    eprintln!("server stopped: {}", stopped.as_deref().unwrap_or("?"));
    let figures = figures?;
    stopped?;
    print_table(&args, &figures, started.elapsed());
    Ok(())
}

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_idle_timeout(None)
        .build()?)
}

async fn send(req: reqwest::RequestBuilder) -> anyhow::Result<(u16, Value)> {
    let r = req.send().await?;
    let status = r.status().as_u16();
    let text = r.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// Signs the bench user up (code from the outbox), verifies, logs in;
/// returns the access token.
async fn set_up_user(srv: &Server) -> anyhow::Result<String> {
    let c = client()?;
    let (s, body) = send(c.post(srv.url("/api/v1/auth/signup")).json(&json!({
        "email": EMAIL, "password": PASSWORD, "name": "Bench User"
    })))
    .await?;
    if s != 202 {
        bail!("signup: {s} {body}");
    }
    let code = srv.mailed_code(EMAIL).await?;
    let (s, body) = send(
        c.post(srv.url("/api/v1/auth/signup/verify"))
            .json(&json!({ "email": EMAIL, "code": code })),
    )
    .await?;
    if s != 201 {
        bail!("signup verify: {s} {body}");
    }
    let (s, body) = send(
        c.post(srv.url(LOGIN))
            .json(&json!({ "email": EMAIL, "password": PASSWORD })),
    )
    .await?;
    if s != 200 {
        bail!("login: {s} {body}");
    }
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("login answered without access_token")
}

/// `tasks` tasks, each with its own keep-alive client, sending `make(client)`
/// one after another for `len`; a request counts when its status is `want`
/// and its body has been read.
async fn closed_loop<F>(tasks: u64, len: Duration, want: u16, make: F) -> anyhow::Result<Load>
where
    F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let start = Instant::now();
    let deadline = start + len;
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let make = Arc::clone(&make);
        let c = client()?;
        handles.push(tokio::spawn(async move {
            let mut ok = Vec::new();
            let mut bad = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = make(&c).send().await;
                let good = match r {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        r.bytes().await.is_ok() && status == want
                    }
                    Err(_) => false,
                };
                if good {
                    ok.push(t.elapsed());
                } else {
                    bad += 1;
                }
            }
            (ok, bad)
        }));
    }
    let mut load = Load {
        tasks,
        ok: Vec::new(),
        bad: 0,
        wall: Duration::ZERO,
    };
    for h in handles {
        let (ok, bad) = h.await?;
        load.ok.extend(ok);
        load.bad += bad;
    }
    load.wall = start.elapsed();
    Ok(load)
}

async fn logins(srv: &Server, tasks: u64, len: Duration) -> anyhow::Result<Load> {
    let url = srv.url(LOGIN);
    let body = json!({ "email": EMAIL, "password": PASSWORD });
    closed_loop(tasks, len, 200, move |c| c.post(&url).json(&body)).await
}

async fn gets(srv: &Server, token: &str, tasks: u64, len: Duration) -> anyhow::Result<Load> {
    let url = srv.url(ME);
    let token = token.to_owned();
    closed_loop(tasks, len, 200, move |c| c.get(&url).bearer_auth(&token)).await
}

/// Starts `n` attacker tasks, task i bound to source address 127.0.0.(2+i),
/// each sending bad logins (random unknown email, wrong password) one after
/// another until `stop`.
fn start_attack(
    srv: &Server,
    n: u64,
    stop: &Arc<AtomicBool>,
    counters: &Arc<Counters>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut handles = Vec::new();
    for i in 0..n {
        let last = u8::try_from(2 + i).context("too many attackers")?;
        let c = reqwest::Client::builder()
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
            .timeout(Duration::from_secs(60))
            .pool_idle_timeout(None)
            .build()?;
        let url = srv.url(LOGIN);
        let stop = Arc::clone(stop);
        let counters = Arc::clone(counters);
        handles.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let body = json!({
                    "email": format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple()),
                    "password": format!("not the password {i}"),
                });
                let counter = match c.post(&url).json(&body).send().await {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let _ = r.bytes().await;
                        match status {
                            401 => &counters.unauthorized,
                            429 => &counters.throttled,
                            _ => &counters.other,
                        }
                    }
                    Err(_) => {
                        // Back off a little so a refused connection does
                        // not spin.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        &counters.failed
                    }
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    Ok(handles)
}

async fn figures(srv: &Server, args: &AuthArgs) -> anyhow::Result<Figures> {
    let len = Duration::from_secs(args.secs);
    eprintln!("setting up the bench user");
    let token = set_up_user(srv).await?;

    let mut login_loads = Vec::new();
    for &n in &args.login_tasks {
        eprintln!("correct logins: {n} tasks, {} s", args.secs);
        let l = logins(srv, n, len).await?;
        eprintln!("  {:.1} logins/s, {} failed", l.rate(), l.bad);
        login_loads.push(l);
    }

    eprintln!("GET {ME}: warm-up 1 s");
    gets(srv, &token, args.get_tasks, Duration::from_secs(1)).await?;
    eprintln!(
        "GET {ME}: baseline, {} tasks, {} s",
        args.get_tasks, args.secs
    );
    let baseline = gets(srv, &token, args.get_tasks, len).await?;
    eprintln!("  {:.0} req/s", baseline.rate());

    eprintln!(
        "attack: {} bad-login tasks, {} s ramp, then GET {ME} for {} s",
        args.attackers,
        RAMP.as_secs(),
        args.secs
    );
    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(Counters::default());
    let attackers = start_attack(srv, args.attackers, &stop, &counters)?;
    tokio::time::sleep(RAMP).await;
    let before = counters.snapshot();
    let window_start = Instant::now();
    let attacked = gets(srv, &token, args.get_tasks, len).await;
    let after = counters.snapshot();
    let window_len = window_start.elapsed();
    stop.store(true, Ordering::Relaxed);
    // Requests still queued behind the Argon2 pool are dropped, not awaited.
    for h in &attackers {
        h.abort();
    }
    for h in attackers {
        let _ = h.await;
    }
    let attacked = attacked?;
    let window = Counts {
        unauthorized: after.unauthorized - before.unauthorized,
        throttled: after.throttled - before.throttled,
        other: after.other - before.other,
        failed: after.failed - before.failed,
    };
    eprintln!(
        "  {:.0} req/s; bad logins in the window: {} (401 {}, 429 {}, other {}, failed {})",
        attacked.rate(),
        window.total(),
        window.unauthorized,
        window.throttled,
        window.other,
        window.failed
    );
    Ok(Figures {
        logins: login_loads,
        baseline,
        attacked,
        attack: Attack {
            tasks: args.attackers,
            window,
            window_len,
        },
    })
}

fn print_table(args: &AuthArgs, f: &Figures, wall: Duration) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let na = || "n/a".to_owned();
    println!();
    println!(
        "## tarello-bench auth — {cores} cores, `tarello serve` on loopback, run took {:.0} s",
        wall.as_secs_f64()
    );
    println!();
    println!("| Figure | Result | Detail |");
    println!("|---|---|---|");
    for l in &f.logins {
        let s = Summary::of(&l.ok);
        println!(
            "| correct logins, {} concurrent tasks | **{:.1} logins/s** · p50 {} · p99 {} | {} logins of one user in {:.1} s; {} not 200 |",
            l.tasks,
            l.rate(),
            s.map_or_else(na, |s| ms(s.median)),
            s.map_or_else(na, |s| ms(s.p99)),
            thousands(l.ok.len() as u64),
            l.wall.as_secs_f64(),
            l.bad
        );
    }
    let get_row = |label: &str, l: &Load| {
        let s = Summary::of(&l.ok);
        println!(
            "| `GET {ME}`, {} tasks, {label} | {:.0} req/s · p50 {} · **p99 {}** | {} requests in {:.1} s; {} not 200 |",
            l.tasks,
            l.rate(),
            s.map_or_else(na, |s| ms(s.median)),
            s.map_or_else(na, |s| ms(s.p99)),
            thousands(l.ok.len() as u64),
            l.wall.as_secs_f64(),
            l.bad
        );
        s
    };
    let base = get_row("alone (baseline)", &f.baseline);
    let hit = get_row(
        &format!("while {} tasks send bad logins", f.attack.tasks),
        &f.attacked,
    );
    if let (Some(b), Some(h)) = (base, hit) {
        println!(
            "| GET p99 under attack ÷ baseline p99 | **{}** | goal ≤ 2×; p50 ratio {}; measured in this run |",
            ratio(h.p99, b.p99),
            ratio(h.median, b.median)
        );
    }
    let a = &f.attack;
    let secs = a.window_len.as_secs_f64();
    let last = 1 + a.tasks;
    println!(
        "| bad logins during the GET window | {:.1} /s · 401: {} · 429: {} · other status: {} · transport errors: {} | {} tasks, task i from 127.0.0.(2+i) (127.0.0.2–127.0.0.{last}), each a random unknown email and a wrong password (a dummy Argon2id verify); {} s ramp before the window |",
        if secs > 0.0 {
            a.window.total() as f64 / secs
        } else {
            0.0
        },
        thousands(a.window.unauthorized),
        thousands(a.window.throttled),
        thousands(a.window.other),
        thousands(a.window.failed),
        a.tasks,
        RAMP.as_secs()
    );
    println!();
    println!(
        "{} s per phase; login tasks {:?}; latencies from `Instant` around send + body read, nearest-rank percentiles over the 200 responses; ratios measured in this run, nothing asserted.",
        args.secs, args.login_tasks
    );
}
