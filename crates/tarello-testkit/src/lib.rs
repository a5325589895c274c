//! Test kit: a real PostgreSQL for every test, never a mock.
//!
//! One embedded cluster serves all test processes of a run (started on first
//! use, reused after, under a file lock so parallel test binaries do not race
//! to initdb). Each test gets its own fresh database. With
//! `TARELLO_TEST_PG_DIR` the cluster lives there; the project's test script
//! sets it and stops the cluster when the run ends.
#![forbid(unsafe_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support: a failed set-up should fail the test loudly"
)]

use std::fs::File;
use std::net::TcpListener;
use std::path::PathBuf;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use tarello_pg::{Cluster, ClusterOptions, PgBinaries};

/// The role the app logs in as in tests (same name as in production).
pub const APP_ROLE: &str = "tarello_app";

#[derive(Debug, Clone)]
pub struct TestDb {
    pub name: String,
    pub socket_dir: PathBuf,
    pub port: u16,
    /// Superuser: plays the admin (owner) role.
    pub admin: PgConnectOptions,
    /// The NOINHERIT app role (created by `migrate`).
    pub app: PgConnectOptions,
}

impl TestDb {
    /// `TARELLO_DATABASE_URL` for a spawned binary.
    pub fn admin_url(&self) -> String {
        self.url("postgres")
    }

    /// `TARELLO_APP_DATABASE_URL` for a spawned binary.
    pub fn app_url(&self) -> String {
        self.url(APP_ROLE)
    }

    fn url(&self, user: &str) -> String {
        format!(
            "postgres://{user}@localhost/{}?host={}&port={}",
            self.name,
            self.socket_dir.display(),
            self.port
        )
    }

    /// A superuser connection to this database (to play the attacker or the
    /// auditor in tests).
    pub async fn superuser(&self) -> PgConnection {
        PgConnection::connect_with(&self.admin).await.unwrap()
    }
}

pub fn cluster_dir() -> PathBuf {
    std::env::var_os("TARELLO_TEST_PG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("tarello-test-pg"))
}

/// Starts (or reuses) the shared test cluster and returns (socket dir, port).
pub async fn cluster() -> (PathBuf, u16) {
    let dir = cluster_dir();
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    let lock = File::create(dir.with_extension("lock")).unwrap();
    // Held across ensure_running: only one test process runs initdb.
    lock.lock().unwrap();
    let bins = PgBinaries::discover().unwrap();
    let c = Cluster::ensure_running(&bins, &ClusterOptions { dir, fsync: false })
        .await
        .unwrap();
    let out = (c.socket_dir().to_path_buf(), c.port());
    drop(lock);
    // The cluster outlives this handle on purpose: other tests use it.
    std::mem::forget(c);
    out
}

/// A fresh, empty database in the shared cluster.
pub async fn fresh_database() -> TestDb {
    let (socket_dir, port) = cluster().await;
    let name = format!("tt_{}", uuid::Uuid::now_v7().simple());
    let base = PgConnectOptions::new()
        .socket(&socket_dir)
        .port(port)
        .username("postgres")
        .disable_statement_logging();
    let mut conn = PgConnection::connect_with(&base.clone().database("postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    TestDb {
        admin: base.clone().database(&name),
        app: base.username(APP_ROLE).database(&name),
        name,
        socket_dir,
        port,
    }
}

/// Makes this test process the reaper of orphans that its children leave
/// behind (a `serve` killed with SIGKILL leaves its cluster running): they
/// stay in this process tree instead of going to the sandbox's PID 1.
pub fn adopt_orphans() {
    nix::sys::prctl::set_child_subreaper(true).unwrap();
}

/// Collects `pid` if it is an exited child (or adopted orphan) of ours.
pub fn reap(pid: u32) {
    use nix::sys::wait::{WaitPidFlag, waitpid};
    let _ = waitpid(
        nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap()),
        Some(WaitPidFlag::WNOHANG),
    );
}

/// A TCP port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
