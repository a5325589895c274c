//! The embedded defaults, end to end: first run, two isolated workspaces,
//! one `serve` per data dir, crash and restart.

use std::process::Command;

use crate::common::{Tarello, embedded_superuser, postmaster_pid, stop_cluster};

// proves: ISO-1
#[tokio::test]
async fn first_run_creates_two_isolated_workspaces_with_their_own_schema_and_role() {
    let t = Tarello::embedded();
    t.ok(&["migrate"]);
    let acme = t.ok(&["workspace", "create", "acme"]);
    let globex = t.ok(&["workspace", "create", "globex", "--name", "Globex Corp"]);
    assert!(
        acme.stdout.contains("created workspace acme"),
        "{}",
        acme.stdout
    );
    assert!(globex.stdout.contains("schema t_"));
    assert!(
        postmaster_pid(&t.data_dir()).is_none(),
        "a command stops the cluster it started"
    );

    // The key file was generated with 0600 and the warning was loud.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(t.data_dir().join("kek"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let list = t.ok(&["workspace", "list"]);
    assert!(list.stdout.contains("acme") && list.stdout.contains("globex"));

    // Look inside as the superuser: two schemas, two NOLOGIN roles, each
    // with rights on its own schema only.
    let mut srv = t.serve().await;
    let mut su = embedded_superuser(&t.data_dir()).await;
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT slug, schema_name, role_name FROM control.workspace ORDER BY slug")
            .fetch_all(&mut su)
            .await
            .unwrap();
    assert_eq!(rows.len(), 2);
    for (_, schema, role) in &rows {
        let (exists, login): (bool, bool) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1), \
                    (SELECT rolcanlogin FROM pg_roles WHERE rolname = $2)",
        )
        .bind(schema)
        .bind(role)
        .fetch_one(&mut su)
        .await
        .unwrap();
        assert!(exists && !login);
    }
    let cross: bool = sqlx::query_scalar("SELECT has_schema_privilege($1, $2, 'USAGE')")
        .bind(&rows[0].2)
        .bind(&rows[1].1)
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert!(!cross, "acme's role has no rights on globex's schema");
    drop(su);
    srv.signal("TERM");
    assert_eq!(srv.wait_exit().await, Some(0));
    assert!(
        postmaster_pid(&t.data_dir()).is_none(),
        "serve stops the cluster on SIGTERM"
    );
}

#[tokio::test]
async fn a_second_serve_on_the_same_data_dir_is_refused_and_the_first_keeps_running() {
    let t = Tarello::embedded();
    t.ok(&["migrate"]);
    let srv = t.serve().await;
    let second = t
        .command(&["serve"])
        .env(
            "TARELLO_LISTEN",
            format!("127.0.0.1:{}", tarello_testkit::free_port()),
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1));
    assert!(err.contains("already running on data dir"), "{err}");
    let r = reqwest::get(srv.url("/readyz")).await.unwrap();
    assert_eq!(r.status(), 200);
    // A CLI command while serve runs uses the same cluster and leaves it up.
    t.ok(&["workspace", "create", "acme"]);
    assert!(postmaster_pid(&t.data_dir()).is_some());
    assert_eq!(
        reqwest::get(srv.url("/readyz")).await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn kill_9_of_serve_and_of_the_cluster_then_restart_loses_nothing() {
    tarello_testkit::adopt_orphans();
    let t = Tarello::embedded();
    t.ok(&["migrate"]);
    let mut srv = t.serve().await;
    t.ok(&["workspace", "create", "acme"]);
    srv.signal("KILL");
    srv.wait_exit().await;
    // The cluster survives its parent; a new serve reuses it.
    assert!(postmaster_pid(&t.data_dir()).is_some());
    let srv = t.serve().await;
    assert_eq!(
        reqwest::get(srv.url("/readyz")).await.unwrap().status(),
        200
    );
    t.ok(&["workspace", "create", "globex"]);

    // Now kill -9 everything: serve and the whole cluster.
    let pg = postmaster_pid(&t.data_dir()).unwrap();
    let mut srv = srv;
    srv.signal("KILL");
    srv.wait_exit().await;
    // `--` so procps kill reads the negative number as a process group.
    Command::new("kill")
        .args(["-KILL", "--", &format!("-{pg}")])
        .status()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while postmaster_pid(&t.data_dir()).is_some() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    tarello_testkit::reap(pg);
    assert!(postmaster_pid(&t.data_dir()).is_none());
    // Stale postmaster.pid: the next start recovers.
    let srv = t.serve().await;
    assert_eq!(
        reqwest::get(srv.url("/readyz")).await.unwrap().status(),
        200
    );
    let list = t.ok(&["workspace", "list"]);
    assert!(
        list.stdout.contains("acme") && list.stdout.contains("globex"),
        "{}",
        list.stdout
    );
    drop(srv);
    stop_cluster(&t.data_dir());
}

#[tokio::test]
async fn missing_postgres_binaries_are_one_clear_line() {
    let t = Tarello::embedded().with("TARELLO_PG_BINDIR", "/nonexistent/bin");
    let r = t.run(&["migrate"]);
    assert_eq!(r.code, 1);
    let line = r
        .stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("{}", r.stderr));
    assert!(line.contains("apt-get install postgresql"), "{line}");
}
