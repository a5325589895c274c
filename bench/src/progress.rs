//! Progress on stderr: one line every `every` units, and at the end.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tarello_store::Progress;

#[derive(Debug)]
pub struct Stderr {
    every: u64,
    done: AtomicU64,
    total: AtomicU64,
    state: Mutex<(String, Instant)>,
}

impl Stderr {
    pub fn new(every: u64) -> Stderr {
        Stderr {
            every: every.max(1),
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            state: Mutex::new((String::new(), Instant::now())),
        }
    }

    fn line(&self, done: u64) {
        if let Ok(s) = self.state.lock() {
            eprintln!(
                "  {}: {done}/{} ({:.1} s)",
                s.0,
                self.total.load(Ordering::Relaxed),
                s.1.elapsed().as_secs_f64()
            );
        }
    }
}

impl Progress for Stderr {
    fn start(&self, label: &str, total: u64) {
        if let Ok(mut s) = self.state.lock() {
            *s = (label.to_owned(), Instant::now());
        }
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    fn advance(&self, n: u64) {
        let before = self.done.fetch_add(n, Ordering::Relaxed);
        let after = before + n;
        if after / self.every > before / self.every {
            self.line(after);
        }
    }

    fn finish(&self, summary: &str) {
        if let Ok(s) = self.state.lock() {
            eprintln!(
                "  {}: {summary} ({:.1} s)",
                s.0,
                s.1.elapsed().as_secs_f64()
            );
        }
    }
}
