//! Progress reporting for long operations (migrations, key rotation). The
//! store reports; the CLI draws a bar on a terminal.

pub trait Progress: Send + Sync {
    /// A phase begins with `total` units of work.
    fn start(&self, label: &str, total: u64);
    /// `n` more units are done.
    fn advance(&self, n: u64);
    /// The phase ended; `summary` says what was done.
    fn finish(&self, summary: &str);
}

/// For tests and callers that do not show progress.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _label: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self, _summary: &str) {}
}
