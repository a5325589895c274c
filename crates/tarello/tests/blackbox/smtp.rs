//! Mail over SMTP, against a real SMTP server (Python's aiosmtpd, which the
//! test script installs in its virtual environment).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::Tarello;
use crate::flows::post;

struct Smtpd(std::process::Child);

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python() -> String {
    std::env::var("TARELLO_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

#[tokio::test]
async fn signup_codes_go_out_over_smtp_when_configured() {
    let ok = Command::new(python())
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "Python's aiosmtpd is missing: run scripts/test (it sets TARELLO_PYTHON to a venv that has it)"
    );
    let t = Tarello::embedded();
    let maildir = t.dir.path().join("maildir");
    let port = tarello_testkit::free_port();
    let _smtpd = Smtpd(
        Command::new(python())
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let tdb = tarello_testkit::fresh_database().await;
    let t = Tarello::external(&tdb)
        .with(
            "TARELLO_SMTP_URL",
            &format!("smtp://127.0.0.1:{port}?tls=none"),
        )
        .with("TARELLO_MAIL_FROM", "Tarello <no-reply@tarello.test>");
    t.ok(&["migrate"]);
    let srv = t.serve().await;
    let base = srv.url("/api/v1");
    let c = reqwest::Client::new();
    let email = "smtp.user@example.com";
    let (s, _) = post(
        &c,
        format!("{base}/auth/signup"),
        None,
        json!({"email": email, "password": "saffron kettle quarry 6", "name": "Smtp User"}),
    )
    .await;
    assert_eq!(s, 202);
    let deadline = Instant::now() + Duration::from_secs(20);
    let message = loop {
        let found = std::fs::read_dir(maildir.join("new"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .find(|m| m.contains("code is"));
        if let Some(m) = found {
            break m;
        }
        assert!(Instant::now() < deadline, "no mail arrived over SMTP");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(message.contains("no-reply@tarello.test") && message.contains(email));
    let i = message.find("code is ").unwrap();
    let code = &message[i + 8..i + 14];
    let (s, _) = post(
        &c,
        format!("{base}/auth/signup/verify"),
        None,
        json!({"email": email, "code": code}),
    )
    .await;
    assert_eq!(s, 201);
    assert!(
        !t.data_dir().join("outbox").exists(),
        "with SMTP, nothing goes to the outbox"
    );
}
