//! The subcommands. Each opens what it needs through [`crate::runtime`].

pub mod keys;
pub mod migrate;
pub mod serve;
pub mod workspace;

/// Bad input on the command line (exit code 2, like clap's own errors).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Wall-clock now. The one place commands read the clock.
pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}
