//! Spawning the binary with a clean environment.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tarello_testkit::TestDb;

pub const BIN: &str = env!("CARGO_BIN_EXE_tarello");

/// One Tarello installation: a data directory and its settings.
pub struct Tarello {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Tarello {
    /// Embedded defaults: the binary runs its own cluster in the data dir.
    pub fn embedded() -> Tarello {
        let dir = tempfile::Builder::new()
            .prefix("tarello-bb-")
            .tempdir()
            .unwrap();
        // The cluster runs as the `postgres` user when we are root: it must
        // be able to traverse into the data directory.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let data = dir.path().join("data");
        Tarello {
            env: vec![("TARELLO_DATA_DIR".into(), data.display().to_string())],
            dir,
        }
    }

    /// An external database (the test kit's), for speed.
    pub fn external(tdb: &TestDb) -> Tarello {
        let mut t = Tarello::embedded();
        t.env.push(("TARELLO_DATABASE_URL".into(), tdb.admin_url()));
        t.env
            .push(("TARELLO_APP_DATABASE_URL".into(), tdb.app_url()));
        t
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn with(mut self, k: &str, v: &str) -> Tarello {
        self.env.retain(|(name, _)| name != k);
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        for (k, _) in std::env::vars() {
            if k.starts_with("TARELLO_") {
                c.env_remove(k);
            }
        }
        c.env("TARELLO_LOG_FORMAT", "json")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        c
    }

    /// Runs a command to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().unwrap();
        Run::from(out)
    }

    /// Runs and insists on success.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert!(
            r.code == 0,
            "tarello {args:?} failed ({}):\n{}",
            r.code,
            r.stderr
        );
        r
    }

    /// Starts `serve` on a free port and waits until /healthz answers.
    pub async fn serve(&self) -> Server {
        let port = tarello_testkit::free_port();
        let log = self.dir.path().join(format!("serve-{port}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = self
            .command(&["serve"])
            .env("TARELLO_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        server.wait_healthy().await;
        server
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = reqwest::Client::new();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("serve exited with {status}:\n{}", self.log_text());
            }
            let r = client.get(self.url("/healthz")).send().await;
            if r.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "serve never became healthy:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    /// Waits for the process to exit and returns its exit code.
    pub async fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "serve did not exit:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
        }
    }
}

/// The postmaster pid of an embedded cluster, if one is running.
pub fn postmaster_pid(data_dir: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(data_dir.join("postgres/data/postmaster.pid")).ok()?;
    let pid: u32 = text.lines().next()?.trim().parse().ok()?;
    alive(pid).then_some(pid)
}

/// Is `pid` a live process (not gone, not a zombie awaiting its reaper)?
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .is_some_and(|zombie| !zombie)
}

/// A superuser connection to an embedded cluster's `tarello` database.
pub async fn embedded_superuser(data_dir: &Path) -> sqlx::PgConnection {
    use sqlx::{ConnectOptions, Connection};
    let opts = sqlx::postgres::PgConnectOptions::new()
        .socket(data_dir.join("postgres/run"))
        .port(5432)
        .username("postgres")
        .database("tarello")
        .disable_statement_logging();
    sqlx::PgConnection::connect_with(&opts).await.unwrap()
}

/// Stops an embedded cluster left running by a killed `serve`.
pub fn stop_cluster(data_dir: &Path) {
    if let Some(pid) = postmaster_pid(data_dir) {
        let _ = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// One message from `<data dir>/outbox`.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Every message in the outbox, oldest first (file names are UUIDv7s).
pub fn outbox(data_dir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("outbox")) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
            let header = |name: &str| {
                head.split("\r\n")
                    .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                    .unwrap_or_default()
                    .to_owned()
            };
            Mail {
                to: header("To"),
                subject: header("Subject"),
                body: body.to_owned(),
            }
        })
        .collect()
}

/// The 6-digit code in a message body ("… code is 123456 …").
pub fn code_in(body: &str) -> Option<String> {
    let (_, rest) = body.split_once("code is ")?;
    let code: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (code.len() == 6).then_some(code)
}

/// Decodes unpadded base64url (JWT segments).
pub fn b64url_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {c}"),
        }
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.trim_end_matches('=').bytes() {
        acc = (acc << 6) | val(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    out
}

impl Server {
    /// Waits (up to 10 s) until the log holds `needle`: the log is written
    /// by another process, so absence checks first wait for a known line.
    pub async fn wait_log_contains(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.log_text().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "the log never showed {needle:?}:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
