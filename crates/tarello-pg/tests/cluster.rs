#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Integration tests against the real PostgreSQL binaries.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::{Pid, geteuid, getpgid};
use tarello_pg::{Cluster, ClusterOptions, PgBinaries, PgError};

/// Temp dir whose root is traversable by the `postgres` OS user (tempfile creates 0700
/// dirs, which the unprivileged server user cannot enter when we run as root).
fn tempdir() -> tempfile::TempDir {
    let tmp = tempfile::Builder::new()
        .prefix("tarello-pg-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    tmp
}

/// Kills the cluster's process group if a test fails half-way (declared after the
/// tempdir so it runs first).
struct KillOnDrop(Option<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
    }
}

fn opts(tmp: &Path, fsync: bool) -> ClusterOptions {
    ClusterOptions {
        dir: tmp.join("postgres"),
        fsync,
    }
}

fn psql(bins: &PgBinaries, cluster: &Cluster, sql: &str) -> String {
    let out = std::process::Command::new(bins.psql())
        .arg("-X")
        .args(["-v", "ON_ERROR_STOP=1", "-At"])
        .arg("-h")
        .arg(cluster.socket_dir())
        .args(["-p", &cluster.port().to_string()])
        .args(["-U", cluster.superuser(), "-d", "postgres"])
        .args(["-c", sql])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn alive(pid: u32) -> bool {
    kill(Pid::from_raw(pid as i32), None).is_ok()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| s.rsplit_once(')').unwrap().1.trim_start().starts_with('Z'))
            .unwrap_or(false)
}

async fn wait_dead(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(Instant::now() < deadline, "pid {pid} still alive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn socket_file(cluster: &Cluster) -> PathBuf {
    cluster
        .socket_dir()
        .join(format!(".s.PGSQL.{}", cluster.port()))
}

#[tokio::test]
async fn init_start_and_connect() {
    let bins = PgBinaries::discover().unwrap();
    let tmp = tempdir();
    let o = opts(tmp.path(), false);
    let cluster = Cluster::ensure_running(&bins, &o).await.unwrap();
    let _guard = KillOnDrop(Some(cluster.pid()));

    assert!(cluster.started_here());
    assert_eq!(cluster.port(), 5432);
    assert_eq!(cluster.superuser(), "postgres");
    assert_eq!(
        cluster.socket_dir(),
        o.dir.canonicalize().unwrap().join("run")
    );
    assert!(Cluster::is_running(&o));
    assert_eq!(psql(&bins, &cluster, "select 1"), "1");
    // Own process group: a terminal Ctrl-C to our group does not reach it.
    let pgid = getpgid(Some(Pid::from_raw(cluster.pid() as i32))).unwrap();
    assert_eq!(pgid.as_raw(), cluster.pid() as i32);
    assert_ne!(pgid, getpgid(None).unwrap());
    if geteuid().is_root() {
        let uid = std::fs::read_to_string(format!("/proc/{}/status", cluster.pid()))
            .unwrap()
            .lines()
            .find_map(|l| {
                l.strip_prefix("Uid:")
                    .map(|r| r.split_whitespace().next().unwrap().to_owned())
            })
            .unwrap();
        assert_ne!(uid, "0", "postmaster runs as root");
    }

    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(cluster.socket_dir()), 0o700);
    assert_eq!(mode(&o.dir), 0o700);
    assert_eq!(
        mode(&o.dir.join("data")) & 0o007,
        0,
        "data dir world-accessible"
    );
    assert!(!o.dir.join("data.initdb-tmp").exists());
    let hba = std::fs::read_to_string(o.dir.join("data/pg_hba.conf")).unwrap();
    let rules: Vec<&str> = hba
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .collect();
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(
        rules[0].split_whitespace().collect::<Vec<_>>(),
        ["local", "all", "all", "trust"]
    );
    assert_eq!(psql(&bins, &cluster, "show listen_addresses"), "");
    assert_eq!(psql(&bins, &cluster, "show max_connections"), "200");
    assert_eq!(psql(&bins, &cluster, "show fsync"), "off");
    assert_eq!(psql(&bins, &cluster, "show server_encoding"), "UTF8");

    cluster.stop().await.unwrap();
}

#[tokio::test]
async fn reuses_running_cluster() {
    let bins = PgBinaries::discover().unwrap();
    let tmp = tempdir();
    let o = opts(tmp.path(), false);
    let first = Cluster::ensure_running(&bins, &o).await.unwrap();
    let _guard = KillOnDrop(Some(first.pid()));
    assert!(first.started_here());

    let second = Cluster::ensure_running(&bins, &o).await.unwrap();
    assert!(!second.started_here());
    assert_eq!(second.pid(), first.pid());
    assert_eq!(second.socket_dir(), first.socket_dir());
    assert_eq!(second.port(), first.port());
    assert_eq!(psql(&bins, &second, "select 2"), "2");

    second.stop().await.unwrap();
    assert!(!alive(first.pid()));
    assert!(!Cluster::is_running(&o));
}

#[tokio::test]
async fn recovers_after_kill_9() {
    let bins = PgBinaries::discover().unwrap();
    let tmp = tempdir();
    // fsync on: the committed row must survive the crash.
    let o = opts(tmp.path(), true);
    let cluster = Cluster::ensure_running(&bins, &o).await.unwrap();
    let mut guard = KillOnDrop(Some(cluster.pid()));
    assert_eq!(psql(&bins, &cluster, "show synchronous_commit"), "on");
    psql(
        &bins,
        &cluster,
        "create table t (v text); insert into t values ('survives')",
    );

    let old_pid = cluster.pid();
    killpg(Pid::from_raw(old_pid as i32), Signal::SIGKILL).unwrap();
    wait_dead(old_pid).await;
    assert!(!Cluster::is_running(&o));
    // The stale pid file is still there: a crash, not a shutdown.
    assert!(o.dir.join("data/postmaster.pid").exists());

    let again = Cluster::ensure_running(&bins, &o).await.unwrap();
    guard.0 = Some(again.pid());
    assert!(again.started_here());
    assert_ne!(again.pid(), old_pid);
    assert_eq!(psql(&bins, &again, "select v from t"), "survives");
    let log = std::fs::read_to_string(again.log_file()).unwrap();
    assert!(
        log.contains("not properly shut down") || log.contains("automatic recovery"),
        "no crash recovery in log"
    );
    again.stop().await.unwrap();
}

#[tokio::test]
async fn stop_then_restart_keeps_data() {
    let bins = PgBinaries::discover().unwrap();
    let tmp = tempdir();
    let o = opts(tmp.path(), false);
    let cluster = Cluster::ensure_running(&bins, &o).await.unwrap();
    let mut guard = KillOnDrop(Some(cluster.pid()));
    psql(&bins, &cluster, "create table kept (id int)");
    let pid = cluster.pid();
    let socket = socket_file(&cluster);
    assert!(socket.exists());
    let version = std::fs::metadata(o.dir.join("data/PG_VERSION"))
        .unwrap()
        .modified()
        .unwrap();

    cluster.stop().await.unwrap();
    assert!(!alive(pid), "postmaster still alive");
    assert!(!socket.exists(), "socket still there");
    assert!(!o.dir.join("data/postmaster.pid").exists());
    assert!(!Cluster::is_running(&o));

    let again = Cluster::ensure_running(&bins, &o).await.unwrap();
    guard.0 = Some(again.pid());
    assert!(again.started_here());
    // Same data, no second initdb.
    assert_eq!(
        psql(
            &bins,
            &again,
            "select count(*) from pg_tables where tablename = 'kept'"
        ),
        "1"
    );
    let version_after = std::fs::metadata(o.dir.join("data/PG_VERSION"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(version, version_after);
    again.stop().await.unwrap();
}

#[test]
fn missing_binaries_error() {
    let err = PgBinaries::discover_with(Some(PathBuf::from("/nonexistent"))).unwrap_err();
    assert!(matches!(err, PgError::BinariesMissing { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "{msg}");
    assert!(msg.contains("/nonexistent"), "{msg}");
    assert!(msg.contains("`apt-get install postgresql`"), "{msg}");
    assert!(msg.starts_with("PostgreSQL server binaries not found (looked in "));

    let err = PgBinaries::discover_in(&[PathBuf::from("/nonexistent/a"), PathBuf::from("/b")])
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/a, /b"));
}

/// Runs `discover()` itself in a child process with the environment variable set
/// (the process environment cannot be mutated safely in-process).
#[test]
fn missing_binaries_via_env() {
    if std::env::var_os("TARELLO_PG_TEST_CHILD").is_some() {
        let err = PgBinaries::discover().unwrap_err();
        assert!(matches!(err, PgError::BinariesMissing { .. }));
        assert!(err.to_string().contains("/nonexistent"));
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "missing_binaries_via_env", "--nocapture"])
        .env("TARELLO_PG_TEST_CHILD", "1")
        .env("TARELLO_PG_BINDIR", "/nonexistent")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
}

#[tokio::test]
async fn non_traversable_parent_is_a_clear_error() {
    if !geteuid().is_root() {
        // As a normal user the server runs as ourselves: nothing to check.
        return;
    }
    let bins = PgBinaries::discover().unwrap();
    let tmp = tempdir();
    let locked = tmp.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    let o = ClusterOptions {
        dir: locked.join("sub").join("postgres"),
        fsync: false,
    };
    let err = Cluster::ensure_running(&bins, &o).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, PgError::NotTraversable { .. }), "{err:?}");
    assert!(!msg.contains('\n'));
    assert!(
        msg.contains(&locked.canonicalize().unwrap().display().to_string()),
        "{msg}"
    );
    assert!(
        msg.contains("/var/lib") && msg.contains("chmod o+x"),
        "{msg}"
    );
    assert!(!o.dir.exists(), "nothing should be created under it");
}

/// The cluster survives a `kill -9` of the process that started it, and the next
/// `ensure_running` reuses it.
#[tokio::test]
async fn survives_kill_9_of_parent() {
    if let Some(dir) = std::env::var_os("TARELLO_PG_TEST_CHILD_DIR") {
        // Child mode: start the cluster, then wait to be killed.
        let bins = PgBinaries::discover().unwrap();
        let o = ClusterOptions {
            dir: PathBuf::from(dir),
            fsync: false,
        };
        Cluster::ensure_running(&bins, &o).await.unwrap();
        tokio::time::sleep(Duration::from_secs(120)).await;
        return;
    }
    let bins = PgBinaries::discover().unwrap();
    let tmp = tempdir();
    let o = opts(tmp.path(), false);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "survives_kill_9_of_parent", "--nocapture"])
        .env("TARELLO_PG_TEST_CHILD_DIR", &o.dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !Cluster::is_running(&o) {
        assert!(Instant::now() < deadline, "child did not start the cluster");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let cluster = Cluster::ensure_running(&bins, &o).await.unwrap();
    let _guard = KillOnDrop(Some(cluster.pid()));
    assert!(!cluster.started_here());
    assert_eq!(psql(&bins, &cluster, "select 3"), "3");
    cluster.stop().await.unwrap();
}

/// A first run killed during initdb leaves `data.initdb-tmp/`; it is discarded and
/// no half cluster is ever used.
#[tokio::test]
async fn interrupted_initdb_is_redone() {
    let bins = PgBinaries::discover().unwrap();
    let tmp = tempdir();
    let o = opts(tmp.path(), false);
    std::fs::create_dir_all(o.dir.join("data.initdb-tmp/base")).unwrap();
    std::fs::write(o.dir.join("data.initdb-tmp/half"), "junk").unwrap();
    let cluster = Cluster::ensure_running(&bins, &o).await.unwrap();
    let _guard = KillOnDrop(Some(cluster.pid()));
    assert!(!o.dir.join("data.initdb-tmp").exists());
    assert!(!o.dir.join("data/half").exists());
    assert_eq!(psql(&bins, &cluster, "select 1"), "1");
    cluster.stop().await.unwrap();
}

/// Concurrent first calls: one initialises and starts, the other reuses.
#[tokio::test]
async fn concurrent_ensure_running() {
    let bins = PgBinaries::discover().unwrap();
    let tmp = tempdir();
    let o = opts(tmp.path(), false);
    let (a, b) = tokio::join!(
        Cluster::ensure_running(&bins, &o),
        Cluster::ensure_running(&bins, &o)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let _guard = KillOnDrop(Some(a.pid()));
    assert_eq!(a.pid(), b.pid());
    assert!(a.started_here() != b.started_here());
    a.stop().await.unwrap();
}
