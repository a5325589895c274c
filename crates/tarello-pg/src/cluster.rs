//! A private PostgreSQL cluster: initdb, start, reuse, stop.
//!
//! Layout under [`ClusterOptions::dir`]:
//!
//! * `data/` – PGDATA (created atomically: initdb runs in `data.initdb-tmp/`, then it is renamed),
//! * `run/` – the Unix socket directory (mode 0700; the only way in),
//! * `postgres.log` – server log (stdout/stderr of the postmaster, appended),
//! * `.tarello-pg.lock` – advisory lock serialising concurrent `ensure_running` calls.
//!
//! Configuration: static settings are appended to `data/postgresql.conf` at initdb time
//! (`listen_addresses = ''`, `unix_socket_permissions = 0700`, `max_connections = 200`,
//! `port = 5432`); the settings that depend on the directory or on
//! [`ClusterOptions::fsync`] (`unix_socket_directories`, `fsync`, `synchronous_commit`,
//! `full_page_writes`) are passed with `-c` on every start, so they follow the current options.

use std::ffi::OsString;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, User, geteuid};

use crate::{PgBinaries, PgError};

/// The superuser role created by initdb.
const SUPERUSER: &str = "postgres";
/// The port (only used to name the socket file `.s.PGSQL.<port>`; no TCP listener).
const PORT: u16 = 5432;
/// How long to wait for the postmaster to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait after SIGINT (fast shutdown) before sending SIGQUIT.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait after SIGQUIT (immediate shutdown).
const QUIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for another process holding the cluster lock (it may be running initdb).
const LOCK_TIMEOUT: Duration = Duration::from_secs(90);
const POLL: Duration = Duration::from_millis(20);
/// `sizeof(sun_path) - 1` on Linux.
const MAX_SOCKET_PATH: usize = 107;

/// Where and how to run the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterOptions {
    /// Cluster directory, e.g. `<data dir>/postgres`. Created with mode 0700.
    pub dir: PathBuf,
    /// `false` disables durability (`initdb -N`, `fsync=off`, `synchronous_commit=off`,
    /// `full_page_writes=off`): for tests only.
    pub fsync: bool,
}

/// Handle to a running cluster.
///
/// Dropping it does **not** stop the server: the postmaster lives in its own process
/// group, survives the death of this process, and is reused by the next
/// [`Cluster::ensure_running`]. Call [`Cluster::stop`] to shut it down.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    pid: u32,
    started_here: bool,
}

/// The unprivileged OS user the server runs as when we are root.
#[derive(Debug, Clone)]
struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

/// Parsed `postmaster.pid`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PidFile {
    pid: u32,
    port: Option<u16>,
    status: String,
}

impl Cluster {
    /// initdb on first use, reuse a postmaster already running in `dir`, else start one;
    /// then wait (at most 30 s) until it accepts connections.
    ///
    /// A stale `postmaster.pid` (the cluster was killed) is fine: PostgreSQL removes it
    /// and runs crash recovery on its own.
    pub async fn ensure_running(
        bins: &PgBinaries,
        opts: &ClusterOptions,
    ) -> Result<Cluster, PgError> {
        let run_as = run_as_user()?;
        let dir = prepare_dir(&opts.dir, run_as.as_ref())?;
        let _lock = acquire_lock(&dir).await?;
        let layout = Layout::new(&dir);
        prepare_subdirs(&layout, run_as.as_ref())?;

        ensure_initialized(bins, &layout, opts.fsync, run_as.as_ref()).await?;

        // Reuse a live postmaster (waiting if it is starting or stopping).
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let pid_file = read_pid_file(&layout.data);
            if let Some(pf) = pid_file.as_ref().filter(|pf| is_zombie(pf.pid)) {
                remove_zombie_locks(&layout, pf);
            }
            match pid_file {
                Some(pf) if pid_alive(pf.pid) => {
                    if pf.status == "ready" && layout.socket_file(pf.port).exists() {
                        tracing::info!(pid = pf.pid, dir = %dir.display(), "reusing running PostgreSQL");
                        return Ok(Cluster {
                            socket_dir: layout.run.clone(),
                            port: pf.port.unwrap_or(PORT),
                            pid: pf.pid,
                            started_here: false,
                            dir,
                        });
                    }
                    if Instant::now() >= deadline {
                        return Err(PgError::StartTimeout {
                            secs: START_TIMEOUT.as_secs(),
                            tail: log_tail(&layout.log),
                            log: layout.log.clone(),
                        });
                    }
                    tokio::time::sleep(POLL).await;
                }
                _ => break,
            }
        }

        let (pid, exited) = spawn_postmaster(bins, &layout, opts.fsync, run_as.as_ref())?;
        tracing::info!(pid, dir = %dir.display(), "started PostgreSQL");
        wait_ready(&layout, pid, &exited).await?;
        Ok(Cluster {
            socket_dir: layout.run.clone(),
            port: PORT,
            pid,
            started_here: true,
            dir,
        })
    }

    /// `false` when an already-running postmaster was reused.
    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// The Unix socket directory (`<dir>/run`); pass it as host to clients.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The port (names the socket file `.s.PGSQL.<port>`; there is no TCP listener).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The superuser role (`postgres`); local connections are trusted.
    pub fn superuser(&self) -> &str {
        SUPERUSER
    }

    /// The postmaster's pid (also its process group id when started by us).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The cluster directory (absolute).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The server log file (`<dir>/postgres.log`).
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    /// Fast shutdown (SIGINT to the postmaster) and wait until it exited; after 30 s
    /// escalate to SIGQUIT (immediate shutdown) and wait another 10 s.
    pub async fn stop(self) -> Result<(), PgError> {
        let pid = self.pid;
        tracing::info!(pid, "stopping PostgreSQL (fast shutdown)");
        if !send_signal(pid, Signal::SIGINT)? {
            return Ok(());
        }
        if wait_exit(pid, STOP_TIMEOUT).await {
            return Ok(());
        }
        tracing::warn!(pid, "PostgreSQL did not stop after SIGINT, sending SIGQUIT");
        if !send_signal(pid, Signal::SIGQUIT)? {
            return Ok(());
        }
        if wait_exit(pid, QUIT_TIMEOUT).await {
            return Ok(());
        }
        Err(PgError::StopTimeout {
            pid,
            secs: (STOP_TIMEOUT + QUIT_TIMEOUT).as_secs(),
        })
    }

    /// Is a postmaster live for this dir (the pid file names a live pid and its status
    /// line says `ready`)?
    pub fn is_running(opts: &ClusterOptions) -> bool {
        read_pid_file(&opts.dir.join("data"))
            .is_some_and(|pf| pf.status == "ready" && pid_alive(pf.pid))
    }
}

/// Paths inside the cluster directory.
#[derive(Debug)]
struct Layout {
    dir: PathBuf,
    data: PathBuf,
    initdb_tmp: PathBuf,
    run: PathBuf,
    log: PathBuf,
}

impl Layout {
    fn new(dir: &Path) -> Layout {
        Layout {
            dir: dir.to_path_buf(),
            data: dir.join("data"),
            initdb_tmp: dir.join("data.initdb-tmp"),
            run: dir.join("run"),
            log: dir.join("postgres.log"),
        }
    }

    fn socket_file(&self, port: Option<u16>) -> PathBuf {
        self.run.join(format!(".s.PGSQL.{}", port.unwrap_or(PORT)))
    }
}

/// When root: the `postgres` OS user, else `nobody`. Otherwise `None` (run as ourselves).
fn run_as_user() -> Result<Option<RunAs>, PgError> {
    if !geteuid().is_root() {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        let user = User::from_name(name).map_err(|source| PgError::UserLookup {
            user: name.to_owned(),
            source,
        })?;
        if let Some(u) = user {
            if u.uid.is_root() {
                continue;
            }
            return Ok(Some(RunAs {
                name: name.to_owned(),
                uid: u.uid.as_raw(),
                gid: u.gid.as_raw(),
            }));
        }
    }
    Err(PgError::NoUnprivilegedUser)
}

/// Create `dir` (mode 0700, owned by the server user), check that the server user can
/// reach it, and return its canonical path.
fn prepare_dir(dir: &Path, run_as: Option<&RunAs>) -> Result<PathBuf, PgError> {
    let abs = std::path::absolute(dir)
        .map_err(|e| PgError::io(format!("resolving {}", dir.display()), e))?;
    let parent = abs.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent)
        .map_err(|e| PgError::io(format!("creating {}", parent.display()), e))?;
    let parent = parent
        .canonicalize()
        .map_err(|e| PgError::io(format!("resolving {}", parent.display()), e))?;
    if let Some(user) = run_as {
        for ancestor in parent.ancestors() {
            check_traversable(ancestor, user)?;
        }
    }
    let Some(name) = abs.file_name() else {
        return Err(PgError::UnsupportedPath {
            dir: abs.clone(),
            reason: "it has no final component",
        });
    };
    let dir = parent.join(name);
    match DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {}
        Err(e) => return Err(PgError::io(format!("creating {}", dir.display()), e)),
    }
    let dir = dir
        .canonicalize()
        .map_err(|e| PgError::io(format!("resolving {}", dir.display()), e))?;
    restrict_dir(&dir, run_as)?;

    let socket = Layout::new(&dir).socket_file(None);
    let len = socket.as_os_str().len();
    if len > MAX_SOCKET_PATH {
        return Err(PgError::SocketPathTooLong { path: socket, len });
    }
    let s = dir.as_os_str().as_encoded_bytes();
    if s.iter()
        .any(|b| matches!(b, b'"' | b'\'' | b'\n' | b'\r' | b','))
    {
        return Err(PgError::UnsupportedPath {
            dir,
            reason: "it contains a quote, comma or newline",
        });
    }
    Ok(dir)
}

/// Unix permission check for "search" (x) on `dir` by `user`, whose only group is its
/// primary group (std drops supplementary groups when it changes the uid as root).
fn check_traversable(dir: &Path, user: &RunAs) -> Result<(), PgError> {
    let meta = std::fs::metadata(dir)
        .map_err(|e| PgError::io(format!("inspecting {}", dir.display()), e))?;
    let mode = meta.mode();
    let ok = if meta.uid() == user.uid {
        mode & 0o100 != 0
    } else if meta.gid() == user.gid {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    };
    if ok {
        Ok(())
    } else {
        Err(PgError::NotTraversable {
            dir: dir.to_path_buf(),
            user: user.name.clone(),
        })
    }
}

/// chmod 0700 and, when root, chown to the server user.
fn restrict_dir(dir: &Path, run_as: Option<&RunAs>) -> Result<(), PgError> {
    if let Some(user) = run_as {
        chown(dir, user)?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| PgError::io(format!("chmod 0700 {}", dir.display()), e))
}

fn chown(path: &Path, user: &RunAs) -> Result<(), PgError> {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
        .map_err(|e| PgError::io(format!("chown {} to {}", path.display(), user.name), e))
}

fn prepare_subdirs(layout: &Layout, run_as: Option<&RunAs>) -> Result<(), PgError> {
    match DirBuilder::new().mode(0o700).create(&layout.run) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(PgError::io(format!("creating {}", layout.run.display()), e)),
    }
    restrict_dir(&layout.run, run_as)?;
    if layout.data.exists() {
        // initdb creates it 0700 already; keep the ownership right if `dir` moved hosts/users.
        if let Some(user) = run_as {
            chown(&layout.data, user)?;
        }
    }
    // Create the log now so it is ours with mode 0600.
    let log = open_log(&layout.log)?;
    drop(log);
    if let Some(user) = run_as {
        chown(&layout.log, user)?;
    }
    Ok(())
}

fn open_log(path: &Path) -> Result<File, PgError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| PgError::io(format!("opening {}", path.display()), e))
}

/// Advisory `flock` on `<dir>/.tarello-pg.lock` (released when the returned file is
/// dropped or the process dies; the fd is close-on-exec so the postmaster does not inherit it).
async fn acquire_lock(dir: &Path) -> Result<File, PgError> {
    let path = dir.join(".tarello-pg.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| PgError::io(format!("opening {}", path.display()), e))?;
    let deadline = Instant::now() + LOCK_TIMEOUT;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                if Instant::now() >= deadline {
                    return Err(PgError::LockTimeout {
                        path,
                        secs: LOCK_TIMEOUT.as_secs(),
                    });
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(PgError::io(format!("locking {}", path.display()), e));
            }
        }
    }
}

/// Run initdb unless `data/` is already a cluster. Atomic: initdb writes into
/// `data.initdb-tmp/` (removed first if a previous run was killed), which is renamed to
/// `data/` only once it is complete and configured.
async fn ensure_initialized(
    bins: &PgBinaries,
    layout: &Layout,
    fsync: bool,
    run_as: Option<&RunAs>,
) -> Result<(), PgError> {
    if layout.data.join("PG_VERSION").is_file() {
        return Ok(());
    }
    if layout.data.exists() {
        let empty = std::fs::read_dir(&layout.data)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Err(PgError::NotADataDir {
                dir: layout.data.clone(),
            });
        }
        std::fs::remove_dir(&layout.data)
            .map_err(|e| PgError::io(format!("removing empty {}", layout.data.display()), e))?;
    }
    if layout.initdb_tmp.exists() {
        tracing::warn!(dir = %layout.initdb_tmp.display(), "removing leftover of an interrupted initdb");
        std::fs::remove_dir_all(&layout.initdb_tmp)
            .map_err(|e| PgError::io(format!("removing {}", layout.initdb_tmp.display()), e))?;
    }

    tracing::info!(dir = %layout.data.display(), "initialising PostgreSQL cluster");
    let mut cmd = tokio::process::Command::new(bins.initdb());
    cmd.arg("-D")
        .arg(&layout.initdb_tmp)
        .args(["-U", SUPERUSER, "-E", "UTF8", "--locale=C.UTF-8"])
        .args(["--auth-local=trust", "--auth-host=reject"]);
    if !fsync {
        cmd.arg("-N");
    }
    cmd.current_dir(&layout.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(user) = run_as {
        cmd.uid(user.uid).gid(user.gid);
    }
    let out = cmd
        .output()
        .await
        .map_err(|e| PgError::io(format!("running {}", bins.initdb().display()), e))?;
    // Keep initdb's output in the server log for diagnostics.
    if let Ok(mut log) = open_log(&layout.log) {
        let _ = log.write_all(&out.stdout);
        let _ = log.write_all(&out.stderr);
    }
    if !out.status.success() {
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        return Err(PgError::InitdbFailed {
            status: out.status.to_string(),
            output: last_lines(&text, 8),
        });
    }

    write_config(&layout.initdb_tmp)?;
    if fsync {
        sync_dir(&layout.initdb_tmp)?;
    }
    std::fs::rename(&layout.initdb_tmp, &layout.data).map_err(|e| {
        PgError::io(
            format!(
                "renaming {} to {}",
                layout.initdb_tmp.display(),
                layout.data.display()
            ),
            e,
        )
    })?;
    if fsync {
        sync_dir(&layout.dir)?;
    }
    Ok(())
}

const PG_HBA: &str = "\
# Written by tarello-pg.
# Only local (Unix socket) connections, trusted without a password. The socket lives in
# a directory of mode 0700 owned by the server's OS user, and the server does not listen
# on TCP (listen_addresses = ''), so the socket directory's permissions are the security
# boundary: only that OS user (and root) can connect at all.
# TYPE  DATABASE  USER  METHOD
local   all       all   trust
";

const CONF_APPENDIX: &str = "
# --- tarello-pg ---
# No TCP listener: clients connect through the Unix socket in <dir>/run (mode 0700).
# unix_socket_directories, fsync, synchronous_commit and full_page_writes are passed
# with -c when tarello-pg starts the server (they depend on its options).
listen_addresses = ''
unix_socket_permissions = 0700
port = 5432
max_connections = 200
";

/// Overwrite `pg_hba.conf` and append our settings to `postgresql.conf`, in place so that
/// ownership and mode set by initdb are kept.
fn write_config(data: &Path) -> Result<(), PgError> {
    let hba = data.join("pg_hba.conf");
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&hba)
        .and_then(|mut f| f.write_all(PG_HBA.as_bytes()))
        .map_err(|e| PgError::io(format!("writing {}", hba.display()), e))?;
    let conf = data.join("postgresql.conf");
    OpenOptions::new()
        .append(true)
        .open(&conf)
        .and_then(|mut f| f.write_all(CONF_APPENDIX.as_bytes()))
        .map_err(|e| PgError::io(format!("writing {}", conf.display()), e))
}

fn sync_dir(dir: &Path) -> Result<(), PgError> {
    for f in [dir.join("pg_hba.conf"), dir.join("postgresql.conf")] {
        if f.exists() {
            File::open(&f)
                .and_then(|f| f.sync_all())
                .map_err(|e| PgError::io(format!("syncing {}", f.display()), e))?;
        }
    }
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| PgError::io(format!("syncing {}", dir.display()), e))
}

/// Start `postgres -D <data>` detached: own process group (a terminal Ctrl-C does not
/// reach it), output appended to the log, not killed when we die. A background thread
/// reaps it so no zombie lingers; its exit status is sent on the returned channel.
fn spawn_postmaster(
    bins: &PgBinaries,
    layout: &Layout,
    fsync: bool,
    run_as: Option<&RunAs>,
) -> Result<(u32, mpsc::Receiver<Option<ExitStatus>>), PgError> {
    let log = open_log(&layout.log)?;
    let log_err = log
        .try_clone()
        .map_err(|e| PgError::io(format!("duplicating {}", layout.log.display()), e))?;
    let mut sockdir = OsString::from("unix_socket_directories=\"");
    sockdir.push(layout.run.as_os_str());
    sockdir.push("\"");
    let onoff = if fsync { "on" } else { "off" };

    let mut cmd = std::process::Command::new(bins.postgres());
    cmd.arg("-D")
        .arg(&layout.data)
        .arg("-c")
        .arg(sockdir)
        .arg("-c")
        .arg(format!("fsync={onoff}"))
        .arg("-c")
        .arg(format!("synchronous_commit={onoff}"))
        .arg("-c")
        .arg(format!("full_page_writes={onoff}"))
        .current_dir(&layout.dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .process_group(0);
    if let Some(user) = run_as {
        cmd.uid(user.uid).gid(user.gid);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| PgError::io(format!("starting {}", bins.postgres().display()), e))?;
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let reaper = std::thread::Builder::new()
        .name(format!("tarello-pg-reaper-{pid}"))
        .spawn(move || {
            let status = child.wait().ok();
            tracing::debug!(pid, ?status, "PostgreSQL postmaster exited");
            let _ = tx.send(status);
        });
    if let Err(e) = reaper {
        tracing::warn!(pid, error = %e, "could not spawn reaper thread; postmaster will be a zombie after it exits");
    }
    Ok((pid, rx))
}

/// Wait until the pid file names `pid` with status `ready` and the socket exists.
async fn wait_ready(
    layout: &Layout,
    pid: u32,
    exited: &mpsc::Receiver<Option<ExitStatus>>,
) -> Result<(), PgError> {
    let deadline = Instant::now() + START_TIMEOUT;
    let socket = layout.socket_file(None);
    loop {
        if let Some(pf) = read_pid_file(&layout.data)
            && pf.pid == pid
            && pf.status == "ready"
            && socket.exists()
        {
            return Ok(());
        }
        let exit = match exited.try_recv() {
            Ok(status) => {
                Some(status.map_or_else(|| "unknown status".to_owned(), |s| s.to_string()))
            }
            Err(mpsc::TryRecvError::Disconnected) if !pid_alive(pid) => Some("exited".to_owned()),
            Err(_) => None,
        };
        if let Some(status) = exit {
            return Err(PgError::ExitedEarly {
                status,
                tail: log_tail(&layout.log),
                log: layout.log.clone(),
            });
        }
        if Instant::now() >= deadline {
            return Err(PgError::StartTimeout {
                secs: START_TIMEOUT.as_secs(),
                tail: log_tail(&layout.log),
                log: layout.log.clone(),
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// `<data>/postmaster.pid`: line 1 pid, line 4 port, line 8 status
/// (`starting`, `stopping`, `ready`, `standby`).
fn read_pid_file(data: &Path) -> Option<PidFile> {
    let text = std::fs::read_to_string(data.join("postmaster.pid")).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let pid = lines.first()?.trim().parse::<u32>().ok()?;
    let port = lines.get(3).and_then(|l| l.trim().parse::<u16>().ok());
    let status = lines
        .get(7)
        .map(|l| l.trim().to_owned())
        .unwrap_or_default();
    Some(PidFile { pid, port, status })
}

/// Is `pid` a live (non-zombie) process?
fn pid_alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    if raw <= 0 {
        return false;
    }
    match kill(Pid::from_raw(raw), None) {
        Ok(()) | Err(Errno::EPERM) => !is_zombie(pid),
        Err(_) => false,
    }
}

/// A postmaster that died while nobody reaps it (its parent was killed and
/// the sandbox's PID 1 does not wait for orphans) stays a zombie, and
/// PostgreSQL's own stale-lock check (`kill(pid, 0)`) still sees it as
/// running and refuses to start. A zombie holds nothing, so its lock files
/// are removed here; PostgreSQL's shared-memory check still guards against
/// live backends.
fn remove_zombie_locks(layout: &Layout, pf: &PidFile) {
    tracing::warn!(
        pid = pf.pid,
        "the previous postmaster is a zombie; removing its lock files"
    );
    let _ = std::fs::remove_file(layout.data.join("postmaster.pid"));
    let _ = std::fs::remove_file(
        layout
            .run
            .join(format!(".s.PGSQL.{}.lock", pf.port.unwrap_or(PORT))),
    );
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Send `signal`; `Ok(false)` when the process is already gone.
fn send_signal(pid: u32, signal: Signal) -> Result<bool, PgError> {
    let raw = i32::try_from(pid).map_err(|_| PgError::Signal {
        pid,
        signal: signal.as_str(),
        source: Errno::ESRCH,
    })?;
    match kill(Pid::from_raw(raw), signal) {
        Ok(()) => Ok(true),
        Err(Errno::ESRCH) => Ok(false),
        Err(source) => Err(PgError::Signal {
            pid,
            signal: signal.as_str(),
            source,
        }),
    }
}

async fn wait_exit(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while pid_alive(pid) {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
    true
}

/// The last lines of the server log (reading at most its last 16 KiB), joined with ` | `.
fn log_tail(path: &Path) -> String {
    let mut buf = Vec::new();
    let read = File::open(path).and_then(|mut f| {
        let len = f.metadata()?.len();
        f.seek(SeekFrom::Start(len.saturating_sub(16 * 1024)))?;
        f.read_to_end(&mut buf)
    });
    match read {
        Ok(_) => last_lines(&String::from_utf8_lossy(&buf), 10),
        Err(e) => format!("(could not read log: {e})"),
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let tail = lines.get(lines.len().saturating_sub(n)..).unwrap_or(&[]);
    if tail.is_empty() {
        "(empty)".to_owned()
    } else {
        tail.join(" | ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pid_file() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("postmaster.pid"),
            "1234\n/x/data\n1700000000\n5432\n/x/run\n\n  5432001         0\nready   \n",
        )
        .unwrap();
        assert_eq!(
            read_pid_file(tmp.path()),
            Some(PidFile {
                pid: 1234,
                port: Some(5432),
                status: "ready".into()
            })
        );
    }

    #[test]
    fn tail_is_one_line() {
        let t = last_lines("a\n\nb\nc\n", 2);
        assert_eq!(t, "b | c");
        assert_eq!(last_lines("", 3), "(empty)");
    }

    #[test]
    fn own_pid_alive() {
        assert!(pid_alive(std::process::id()));
        assert!(!pid_alive(0));
    }
}
