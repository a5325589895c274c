//! Outgoing mail. Without SMTP configured, each message is an `.eml` file
//! in `<data dir>/outbox` plus a log line (recipient and subject only).

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
    from: String,
}

impl Outbox {
    pub fn new(dir: PathBuf, from: &str) -> Outbox {
        Outbox {
            dir,
            from: from.to_owned(),
        }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Writes one plain-text message. Failures are logged, not raised: a
    /// mail problem must not tell a caller whether an account exists.
    pub fn send(&self, to: &str, subject: &str, body: &str, now: OffsetDateTime) {
        let id = uuid::Uuid::now_v7();
        let date = now.format(&Rfc2822).unwrap_or_default();
        let text = format!(
            "From: {}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{id}@tarello>\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            self.from,
            body.replace('\n', "\r\n")
        );
        let path = self.dir.join(format!("{id}.eml"));
        let written = fs::create_dir_all(&self.dir)
            .and_then(|()| fs::File::create(&path))
            .and_then(|mut f| f.write_all(text.as_bytes()));
        match written {
            Ok(()) => {
                tracing::info!(mail.to = to, mail.subject = subject, mail.file = %path.display(), "mail written to outbox")
            }
            Err(e) => tracing::error!(mail.to = to, error = %e, "could not write mail to outbox"),
        }
    }
}
