//! Launcher for a private PostgreSQL cluster using the system's server binaries.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tarello_pg::PgError> {
//! use tarello_pg::{Cluster, ClusterOptions, PgBinaries};
//! let bins = PgBinaries::discover()?;
//! let opts = ClusterOptions { dir: "/srv/tarello/postgres".into(), fsync: true };
//! let cluster = Cluster::ensure_running(&bins, &opts).await?;
//! // connect with host = cluster.socket_dir(), port = cluster.port(), user = cluster.superuser()
//! cluster.stop().await?;
//! # Ok(()) }
//! ```
//!
//! When running as root, `initdb` and `postgres` run as the `postgres` OS user
//! (fallback `nobody`); every ancestor of the cluster directory must be traversable
//! by that user.

#![forbid(unsafe_code)]

mod binaries;
mod cluster;
mod error;

pub use binaries::{BINDIR_ENV, PgBinaries};
pub use cluster::{Cluster, ClusterOptions};
pub use error::PgError;
