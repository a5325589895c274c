//! Outgoing mail, plain text. With SMTP configured (`smtp://` with
//! STARTTLS required unless `?tls=none` is given for a local relay, or
//! `smtps://`), messages go there; otherwise each one is an `.eml` file in
//! `<data dir>/outbox` plus a log line (recipient and subject only, never
//! the body: it holds codes).

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::ServiceError;

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

    fn write(&self, to: &str, subject: &str, body: &str, now: OffsetDateTime) {
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

/// `smtp://` without a `tls` parameter would be plaintext in lettre; here
/// it means STARTTLS required. Plaintext only when asked (`?tls=none`, for a
/// relay on the same host).
fn secure_by_default(url: &str) -> String {
    if !url.starts_with("smtp://") {
        return url.to_owned();
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    if params.contains(&"tls=none") {
        tracing::warn!("SMTP without TLS (tls=none): use it only for a relay on this host");
        let rest: Vec<&str> = params.into_iter().filter(|p| *p != "tls=none").collect();
        return if rest.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
    }
    if params.iter().any(|p| p.starts_with("tls=")) {
        return url.to_owned();
    }
    let mut all = params;
    all.push("tls=required");
    format!("{base}?{}", all.join("&"))
}

#[cfg(test)]
mod tests {
    use super::secure_by_default;

    #[test]
    fn smtp_means_starttls_unless_plaintext_is_asked_for() {
        assert_eq!(
            secure_by_default("smtp://h:587"),
            "smtp://h:587?tls=required"
        );
        assert_eq!(
            secure_by_default("smtp://u:p@h:587?tls=opportunistic"),
            "smtp://u:p@h:587?tls=opportunistic"
        );
        assert_eq!(
            secure_by_default("smtp://127.0.0.1:25?tls=none"),
            "smtp://127.0.0.1:25"
        );
        assert_eq!(secure_by_default("smtps://h"), "smtps://h");
    }
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    Outbox(Outbox),
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Outbox(o) => f.debug_tuple("Outbox").field(&o.dir).finish(),
            // The URL may hold a password: never printed.
            Mailer::Smtp { .. } => f.write_str("Smtp(***)"),
        }
    }
}

impl Mailer {
    /// An SMTP mailer from a URL such as `smtp://user:pass@host:587`.
    pub fn smtp(url: &str, from: &str) -> Result<Mailer, ServiceError> {
        let url = secure_by_default(url);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|_| {
                ServiceError::Internal(
                    "TARELLO_SMTP_URL is not a valid smtp:// or smtps:// URL".into(),
                )
            })?
            .build();
        let from = from.parse::<Mailbox>().map_err(|_| {
            ServiceError::Internal("TARELLO_MAIL_FROM is not a valid address".into())
        })?;
        Ok(Mailer::Smtp { transport, from })
    }

    /// Sends one message. Failures are logged, not raised: a mail problem
    /// must not tell a caller whether an account exists.
    pub async fn send(&self, to: &str, subject: &str, body: &str, now: OffsetDateTime) {
        match self {
            Mailer::Outbox(o) => o.write(to, subject, body, now),
            Mailer::Smtp { transport, from } => {
                let Ok(to_box) = to.parse::<Mailbox>() else {
                    tracing::error!(mail.to = to, "not a deliverable address");
                    return;
                };
                let msg = Message::builder()
                    .from(from.clone())
                    .to(to_box)
                    .subject(subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(body.to_owned());
                match msg {
                    Ok(msg) => match transport.send(msg).await {
                        Ok(_) => tracing::info!(
                            mail.to = to,
                            mail.subject = subject,
                            "mail sent over SMTP"
                        ),
                        Err(e) => tracing::error!(mail.to = to, error = %e, "SMTP delivery failed"),
                    },
                    Err(e) => {
                        tracing::error!(mail.to = to, error = %e, "could not build the message")
                    }
                }
            }
        }
    }
}
