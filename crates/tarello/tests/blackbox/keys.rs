//! Keys from the CLI: status without key material, KEK rotation through
//! the key file, data-key rotation, and a wrong KEK.

use crate::common::Tarello;

fn kek_text(t: &Tarello) -> String {
    std::fs::read_to_string(t.data_dir().join("kek"))
        .unwrap()
        .trim()
        .to_owned()
}

// proves: ENC-3
#[tokio::test]
async fn keys_rotate_kek_and_workspace_from_the_cli() {
    let tdb = tarello_testkit::fresh_database().await;
    let t = Tarello::external(&tdb);
    t.ok(&["migrate"]);
    t.ok(&["workspace", "create", "acme"]);
    t.ok(&["workspace", "create", "globex"]);
    let old = kek_text(&t);
    let status = t.ok(&["keys", "status"]);
    assert!(!status.stdout.contains(&old) && !status.stderr.contains(&old));
    let old_id = status
        .stdout
        .lines()
        .find(|l| l.contains("primary"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    assert_eq!(old_id.len(), 16);

    let rot = t.ok(&["keys", "rotate", "--kek"]);
    assert!(
        rot.stdout.contains("2 data key(s) rewrapped"),
        "{}",
        rot.stdout
    );
    let new = kek_text(&t);
    assert_ne!(new, old);
    assert!(
        !new.contains(&old),
        "the old KEK is dropped from the file once nothing needs it"
    );
    let status = t.ok(&["keys", "status"]);
    assert!(!status.stdout.contains(&old_id), "{}", status.stdout);
    // Idempotent: running it again rotates again, cleanly.
    t.ok(&["keys", "rotate", "--kek"]);

    let r = t.ok(&["keys", "rotate", "--workspace", "acme"]);
    assert!(r.stdout.contains("data key v2 is primary"), "{}", r.stdout);
    let status = t.ok(&["keys", "status"]);
    let acme: Vec<&str> = status
        .stdout
        .lines()
        .filter(|l| l.starts_with("acme "))
        .collect();
    assert_eq!(acme.len(), 2, "{}", status.stdout);
    assert!(acme.iter().any(|l| l.ends_with("retired")));
    assert!(!status.stdout.contains(&kek_text(&t)));

    let r = t.run(&["keys", "rotate", "--workspace", "nope"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no workspace"), "{}", r.stderr);
    let r = t.run(&["keys", "rotate"]);
    assert_eq!(r.code, 2, "--kek or --workspace is required");
}

// proves: ENC-2
#[tokio::test]
async fn a_wrong_kek_at_start_is_a_clear_error() {
    let tdb = tarello_testkit::fresh_database().await;
    let t = Tarello::external(&tdb);
    t.ok(&["migrate"]);
    t.ok(&["workspace", "create", "acme"]);
    let other = Tarello::embedded()
        .ok(&["keys", "generate"])
        .stdout
        .trim()
        .to_owned();
    let wrong = Tarello::external(&tdb).with("TARELLO_KEK", &other);
    let port = tarello_testkit::free_port().to_string();
    for args in [
        vec!["serve"],
        vec!["workspace", "list"],
        vec!["keys", "status"],
    ] {
        let r = wrong
            .command(&args)
            .env("TARELLO_LISTEN", format!("127.0.0.1:{port}"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("KEK does not match"), "{args:?}: {err}");
        assert!(!err.contains(&other));
    }
}

#[tokio::test]
async fn rotating_a_kek_from_the_environment_needs_the_new_key_first() {
    let tdb = tarello_testkit::fresh_database().await;
    let key = Tarello::embedded()
        .ok(&["keys", "generate"])
        .stdout
        .trim()
        .to_owned();
    let t = Tarello::external(&tdb).with("TARELLO_KEK", &key);
    t.ok(&["migrate"]);
    t.ok(&["workspace", "create", "acme"]);
    let r = t.run(&["keys", "rotate", "--kek"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("NEW,OLD"), "{}", r.stderr);
    let new = Tarello::embedded()
        .ok(&["keys", "generate"])
        .stdout
        .trim()
        .to_owned();
    let both = Tarello::external(&tdb).with("TARELLO_KEK", &format!("{new},{key}"));
    let r = both.ok(&["keys", "rotate", "--kek"]);
    assert!(r.stdout.contains("1 data key(s) rewrapped"), "{}", r.stdout);
    // Now the new key alone works and the old one alone is refused.
    Tarello::external(&tdb)
        .with("TARELLO_KEK", &new)
        .ok(&["workspace", "list"]);
    let r = Tarello::external(&tdb)
        .with("TARELLO_KEK", &key)
        .run(&["workspace", "list"]);
    assert_eq!(r.code, 1);
}
