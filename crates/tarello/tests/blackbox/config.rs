//! Configuration and bad input at the CLI.

use crate::common::Tarello;

#[test]
fn every_bad_setting_is_reported_at_start_naming_it() {
    let t = Tarello::embedded()
        .with("TARELLO_LISTEN", "not-an-address")
        .with("TARELLO_DB_POOL_SIZE", "many")
        .with("TARELLO_FROBNICATE", "1");
    let r = t.run(&["migrate"]);
    assert_eq!(r.code, 2);
    for needle in [
        "TARELLO_LISTEN",
        "TARELLO_DB_POOL_SIZE",
        "unknown setting TARELLO_FROBNICATE",
    ] {
        assert!(r.stderr.contains(needle), "{needle}:\n{}", r.stderr);
    }
}

#[test]
fn unknown_keys_in_the_config_file_are_refused() {
    let t = Tarello::embedded();
    let file = t.dir.path().join("tarello.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:9999\"\nlisen = 1\n").unwrap();
    let r = t.run(&["--config", file.to_str().unwrap(), "config", "show"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown setting `lisen`"), "{}", r.stderr);
}

// proves: ENC-6
#[test]
fn config_show_prints_the_effective_config_with_secrets_as_stars() {
    let key = "0K8nDtCO6J9ZzO7ES1ZyZRx8s2N5kGHN3dKz0QpYc1M";
    let t = Tarello::embedded()
        .with("TARELLO_KEK", key)
        .with(
            "TARELLO_DATABASE_URL",
            "postgres://owner:hunter2@db.internal/tarello",
        )
        .with(
            "TARELLO_APP_DATABASE_URL",
            "postgres://tarello_app:pa55word@db.internal/tarello",
        );
    let r = t.ok(&["config", "show"]);
    assert!(r.stdout.contains("kek = \"***\""), "{}", r.stdout);
    assert!(r.stdout.contains("database_url = \"***\""));
    for secret in [key, "hunter2", "pa55word"] {
        assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret));
    }
}

#[test]
fn a_malformed_kek_is_refused_without_echoing_it() {
    let t = Tarello::embedded().with("TARELLO_KEK", "c2hvcnQ");
    let r = t.run(&["migrate"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("TARELLO_KEK"), "{}", r.stderr);
    assert!(r.stderr.contains("expected 32"), "{}", r.stderr);
    assert!(!r.stderr.contains("c2hvcnQ"));
}

#[test]
fn an_unwritable_data_dir_is_a_clear_error() {
    let t = Tarello::embedded();
    let file = t.dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let t = t.with("TARELLO_DATA_DIR", file.join("data").to_str().unwrap());
    let r = t.run(&["migrate"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("TARELLO_DATA_DIR"), "{}", r.stderr);
}

#[tokio::test]
async fn slugs_with_sql_metacharacters_or_300_characters_are_refused() {
    let tdb = tarello_testkit::fresh_database().await;
    let t = Tarello::external(&tdb);
    t.ok(&["migrate"]);
    let long = "a".repeat(300);
    for bad in [
        "acme'; DROP SCHEMA control CASCADE; --",
        "Acme",
        "ac\"me",
        long.as_str(),
        "api",
    ] {
        let r = t.run(&["workspace", "create", bad]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(r.stderr.contains("invalid slug"), "{}", r.stderr);
    }
    let r = t.ok(&["workspace", "list"]);
    assert!(r.stderr.contains("0 workspace(s)"), "{}", r.stderr);
    t.ok(&["workspace", "create", "acme"]);
    let dup = t.run(&["workspace", "create", "acme"]);
    assert_eq!(dup.code, 1);
    assert!(dup.stderr.contains("already exists"), "{}", dup.stderr);
}
