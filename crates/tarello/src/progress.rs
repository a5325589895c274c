//! A progress bar on a terminal, a summary line otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use tarello_store::Progress;

#[derive(Debug)]
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub fn new() -> Bar {
        let bar = if std::io::stderr().is_terminal() {
            ProgressBar::new(0)
        } else {
            ProgressBar::hidden()
        };
        if let Ok(style) =
            ProgressStyle::with_template("{msg:30} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar { bar }
    }
}

impl Progress for Bar {
    fn start(&self, label: &str, total: u64) {
        self.bar.reset();
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar.set_message(label.to_owned());
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }

    fn finish(&self, summary: &str) {
        self.bar.finish_and_clear();
        eprintln!("{summary}");
    }
}
