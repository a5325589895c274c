//! The real server binary (`tarello migrate`, then `tarello serve`) on a
//! loopback port, against a fresh database of the test kit's cluster, with a
//! data directory of its own (key file and mail outbox).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tarello_testkit::TestDb;
use tokio::process::{Child, Command};

#[derive(Debug)]
pub struct Server {
    child: Child,
    pub base: String,
    dir: tempfile::TempDir,
    log: PathBuf,
}

/// `<target dir>/release/tarello`: `CARGO_TARGET_DIR` when set (as cargo
/// reads it), else the workspace's `target/`.
pub fn default_bin() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("release/tarello")
}

impl Server {
    /// Runs `migrate`, starts `serve` on a free loopback port and waits for
    /// `/healthz`.
    pub async fn start(bin: &Path, tdb: &TestDb) -> anyhow::Result<Server> {
        Self::start_with(bin, tdb, &[]).await
    }

    /// As [`Server::start`], with `extra` settings (`TARELLO_*` variables)
    /// added to the server's environment.
    pub async fn start_with(
        bin: &Path,
        tdb: &TestDb,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Server> {
        if !bin.is_file() {
            bail!(
                "no server binary at {}: build it with `cargo build --release -p tarello` (bench/run auth does)",
                bin.display()
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("tarello-authbench-")
            .tempdir()
            .context("temp dir")?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        let port = tarello_testkit::free_port();
        let env = [
            ("TARELLO_DATABASE_URL".to_owned(), tdb.admin_url()),
            ("TARELLO_APP_DATABASE_URL".to_owned(), tdb.app_url()),
            (
                "TARELLO_DATA_DIR".to_owned(),
                dir.path().display().to_string(),
            ),
            ("TARELLO_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
            ("TARELLO_LOG_LEVEL".to_owned(), "warn".to_owned()),
        ];
        let env: Vec<(String, String)> = env
            .into_iter()
            .chain(
                extra
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            )
            .collect();
        let command = |args: &[&str]| {
            let mut c = Command::new(bin);
            for (k, _) in std::env::vars_os() {
                if k.to_string_lossy().starts_with("TARELLO_") {
                    c.env_remove(k);
                }
            }
            c.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .args(args)
                .current_dir(dir.path())
                .stdin(Stdio::null());
            c
        };

        let out = command(&["migrate"])
            .output()
            .await
            .context("running `tarello migrate`")?;
        if !out.status.success() {
            bail!(
                "`tarello migrate` failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }

        let log = dir.path().join("serve.log");
        let file = std::fs::File::create(&log)?;
        let child = command(&["serve"])
            .stdout(Stdio::null())
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .context("spawning `tarello serve`")?;
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
            log,
        };
        server.wait_healthy().await?;
        Ok(server)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The `tarello serve` process id (`None` once it has been reaped).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    async fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("`tarello serve` exited with {status}:\n{}", self.log_tail());
            }
            let r = client.get(self.url("/healthz")).send().await;
            if r.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "`tarello serve` not healthy after 60 s:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then waits up to 30 s for a graceful exit (SIGKILL after
    /// that). Returns the exit status text.
    pub async fn stop(mut self) -> anyhow::Result<String> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(format!("had already exited ({status})"));
        }
        let pid = self.child.id().context("server pid")?;
        kill(Pid::from_raw(i32::try_from(pid)?), Signal::SIGTERM).context("SIGTERM")?;
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => Ok(status?.to_string()),
            Err(_) => {
                self.child.kill().await?;
                Ok(format!(
                    "killed: no exit 30 s after SIGTERM\n{}",
                    self.log_tail()
                ))
            }
        }
    }

    /// The 6-digit code of the newest `*.eml` in the outbox addressed to
    /// `to` ("… code is 123456 …"); waits up to 10 s for it.
    pub async fn mailed_code(&self, to: &str) -> anyhow::Result<String> {
        let outbox = self.data_dir().join("outbox");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(code) = newest_code(&outbox, to) {
                return Ok(code);
            }
            if Instant::now() > deadline {
                bail!("no mail with a code to {to} in {}", outbox.display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn newest_code(outbox: &Path, to: &str) -> Option<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(outbox)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    // File names are UUIDv7s: sorted is oldest first.
    files.sort();
    files.iter().rev().find_map(|f| {
        let text = std::fs::read_to_string(f).ok()?;
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let addressed = head.lines().any(|l| l.trim_end() == format!("To: {to}"));
        addressed.then(|| code_in(body)).flatten()
    })
}

fn code_in(body: &str) -> Option<String> {
    let (_, rest) = body.split_once("code is ")?;
    let code: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (code.len() == 6).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_code() {
        assert_eq!(
            code_in("Hello,\r\n\r\nyour code is 012345.\r\n").as_deref(),
            Some("012345")
        );
        assert_eq!(code_in("your code is 12345."), None);
    }
}
