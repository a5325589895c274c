//! Error type of the launcher. Every message is a single line.

use std::path::PathBuf;

/// Everything that can go wrong while finding the binaries or running the cluster.
///
/// All `Display` messages are one line (multi-line tool output is joined with ` | `).
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// No directory with both `initdb` and `postgres` was found.
    #[error(
        "PostgreSQL server binaries not found (looked in {looked_in}): install them with `apt-get install postgresql`"
    )]
    BinariesMissing {
        /// Human-readable list of the places that were searched.
        looked_in: String,
    },

    /// An I/O operation failed; `context` says which one.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, e.g. "creating /srv/tarello/postgres".
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// Running as root but there is no unprivileged OS user to run PostgreSQL as.
    #[error(
        "running as root, but neither the `postgres` nor the `nobody` OS user exists to run PostgreSQL as: create one with `adduser --system postgres`"
    )]
    NoUnprivilegedUser,

    /// Looking up an OS user failed.
    #[error("looking up OS user `{user}`: {source}")]
    UserLookup {
        /// The user name.
        user: String,
        /// The underlying error.
        #[source]
        source: nix::Error,
    },

    /// An ancestor of the cluster directory cannot be traversed by the OS user PostgreSQL runs as.
    #[error(
        "directory {dir} is not traversable by the OS user `{user}` that PostgreSQL runs as (we are root and drop privileges): pick a data dir under e.g. /var/lib or /srv, or run `chmod o+x {dir}`"
    )]
    NotTraversable {
        /// The offending directory.
        dir: PathBuf,
        /// The OS user PostgreSQL would run as.
        user: String,
    },

    /// The Unix socket path would exceed the kernel limit (107 bytes).
    #[error(
        "PostgreSQL socket path {path} is {len} bytes, more than the 107 allowed for Unix sockets: choose a shorter data dir"
    )]
    SocketPathTooLong {
        /// The would-be socket path.
        path: PathBuf,
        /// Its length in bytes.
        len: usize,
    },

    /// The path cannot be used in PostgreSQL's configuration.
    #[error("unsupported cluster directory {dir}: {reason}")]
    UnsupportedPath {
        /// The directory.
        dir: PathBuf,
        /// Why it cannot be used.
        reason: &'static str,
    },

    /// `<dir>/data` exists but is not a PostgreSQL data directory.
    #[error(
        "{dir} exists but is not a PostgreSQL data directory (no PG_VERSION): move it away or choose another data dir"
    )]
    NotADataDir {
        /// The data directory.
        dir: PathBuf,
    },

    /// `initdb` exited unsuccessfully.
    #[error("initdb failed ({status}): {output}")]
    InitdbFailed {
        /// Exit status description.
        status: String,
        /// Last lines of its output, joined with ` | `.
        output: String,
    },

    /// The postmaster exited before it became ready.
    #[error("PostgreSQL exited during startup ({status}); last lines of {log}: {tail}")]
    ExitedEarly {
        /// Exit status description.
        status: String,
        /// The server log file.
        log: PathBuf,
        /// Last lines of the server log, joined with ` | `.
        tail: String,
    },

    /// The postmaster did not become ready before the deadline.
    #[error("PostgreSQL did not accept connections within {secs} s; last lines of {log}: {tail}")]
    StartTimeout {
        /// The deadline in seconds.
        secs: u64,
        /// The server log file.
        log: PathBuf,
        /// Last lines of the server log, joined with ` | `.
        tail: String,
    },

    /// The postmaster did not exit after SIGINT and SIGQUIT.
    #[error("PostgreSQL (pid {pid}) did not shut down within {secs} s (SIGINT, then SIGQUIT)")]
    StopTimeout {
        /// Postmaster pid.
        pid: u32,
        /// Total time waited.
        secs: u64,
    },

    /// Sending a signal to the postmaster failed.
    #[error("sending {signal} to PostgreSQL (pid {pid}): {source}")]
    Signal {
        /// Postmaster pid.
        pid: u32,
        /// Signal name.
        signal: &'static str,
        /// The underlying error.
        #[source]
        source: nix::Error,
    },

    /// Another process held the cluster lock for too long.
    #[error(
        "timed out after {secs} s waiting for the lock {path} (another process is starting this cluster)"
    )]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// Time waited.
        secs: u64,
    },
}

impl PgError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        PgError::Io {
            context: context.into(),
            source,
        }
    }
}
