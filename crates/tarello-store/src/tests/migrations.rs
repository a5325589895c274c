//! Migrations: idempotent, resumable, and new workspaces equal migrated ones.

use tarello_domain::Slug;

use super::{StopAfter, env, now};
use crate::migrate::{self, Migration, MigrationSet};
use crate::{NoProgress, StoreError, TenantTx};

fn with_colour_migration() -> MigrationSet {
    let mut set = MigrationSet::builtin();
    let v = set.workspace_latest() + 1;
    let sql = "ALTER TABLE board ADD COLUMN colour text NOT NULL DEFAULT 'blue';";
    set.workspace.push(Migration {
        version: v,
        name: "colour".into(),
        sql: sql.into(),
    });
    set.workspace_schema.push_str(sql);
    set
}

#[tokio::test]
async fn migrate_is_idempotent_and_serve_check_tracks_versions() {
    let e = env().await;
    e.workspace("acme").await;
    let set = MigrationSet::builtin();
    migrate::ensure_current(&e.db, &set).await.unwrap();
    let again = migrate::migrate(&e.db, &set, 2, None, &NoProgress)
        .await
        .unwrap();
    assert!(again.control_applied.is_empty());
    assert_eq!(again.workspaces_migrated, 0);
    assert_eq!(again.workspaces_total, 1);

    // A build with a newer workspace migration sees the database as behind.
    let newer = with_colour_migration();
    let err = migrate::ensure_current(&e.db, &newer).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::OutOfDate {
                workspaces_behind: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("tarello migrate"));
    migrate::migrate(&e.db, &newer, 2, None, &NoProgress)
        .await
        .unwrap();
    migrate::ensure_current(&e.db, &newer).await.unwrap();
    // …and the older build now refuses the newer database.
    let err = migrate::ensure_current(&e.db, &set).await.unwrap_err();
    assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
}

#[tokio::test]
async fn a_fresh_database_is_out_of_date_until_migrated() {
    let tdb = tarello_testkit::fresh_database().await;
    let db = crate::Db::connect_lazy(&crate::DbOptions {
        admin: tdb.admin.clone(),
        app: tdb.app.clone(),
        app_password: None,
        pool_size: 1,
    })
    .unwrap();
    let set = MigrationSet::builtin();
    // The app role may not even exist yet in a brand-new cluster; either
    // way the answer is "not current".
    assert!(migrate::ensure_current(&db, &set).await.is_err());
    migrate::migrate(&db, &set, 1, None, &NoProgress)
        .await
        .unwrap();
    migrate::ensure_current(&db, &set).await.unwrap();
}

#[tokio::test]
async fn an_edited_applied_migration_is_refused() {
    let e = env().await;
    let mut set = MigrationSet::builtin();
    set.control[0].sql.push_str("\n-- edited");
    let err = migrate::migrate(&e.db, &set, 1, None, &NoProgress)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::ChecksumMismatch { version: 1, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn migrate_killed_midway_resumes_where_it_stopped() {
    let e = env().await;
    let mut slugs = Vec::new();
    for i in 0..6 {
        let slug = format!("ws{i}");
        e.workspace(&slug).await;
        slugs.push(slug);
    }
    let newer = with_colour_migration();
    let stopper = StopAfter::new(2);
    tokio::select! {
        r = migrate::migrate(&e.db, &newer, 1, None, &stopper) => panic!("should have been cut off: {r:?}"),
        () = stopper.stop.notified() => {}
    }
    let status = migrate::status(&e.db, &newer).await.unwrap();
    assert!(
        (1..=4).contains(&status.workspaces_behind),
        "some but not all workspaces migrated: {status:?}"
    );
    let behind = status.workspaces_behind;
    let report = migrate::migrate(&e.db, &newer, 3, None, &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.workspaces_migrated as i64, behind);
    migrate::ensure_current(&e.db, &newer).await.unwrap();
    // Every workspace really has the new column, and data survived.
    for slug in &slugs {
        let ws = crate::find_workspace(&e.db, &Slug::parse(slug).unwrap())
            .await
            .unwrap();
        let mut tx = TenantTx::begin(&e.db, ws.id, &crate::Actor::system())
            .await
            .unwrap();
        super::insert_board(&mut tx, uuid::Uuid::now_v7(), "b").await;
        let colour: String = sqlx::query_scalar("SELECT colour FROM board")
            .fetch_one(tx.conn())
            .await
            .unwrap();
        assert_eq!(colour, "blue");
        tx.rollback().await.unwrap();
    }
}

/// Catalog facts of a schema, with the schema name taken out.
async fn shape(conn: &mut sqlx::PgConnection, schema: &str) -> Vec<String> {
    let q = "
      SELECT 'col ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
        FROM information_schema.columns WHERE table_schema = $1
      UNION ALL
      SELECT 'idx ' || replace(indexdef, $1 || '.', '') FROM pg_indexes WHERE schemaname = $1
      UNION ALL
      SELECT 'con ' || conrelid::regclass::text || ' ' || pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1
      UNION ALL
      SELECT 'trg ' || event_object_table || ' ' || trigger_name || ' ' || action_timing || ' ' || event_manipulation
        FROM information_schema.triggers WHERE trigger_schema = $1
      ORDER BY 1";
    let rows: Vec<String> = sqlx::query_scalar(q)
        .bind(schema)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| r.replace(&format!("{schema}."), ""))
        .collect()
}

#[tokio::test]
async fn the_one_shot_schema_script_equals_the_replayed_migrations() {
    for set in [MigrationSet::builtin(), with_colour_migration()] {
        let tdb = tarello_testkit::fresh_database().await;
        let mut su = tdb.superuser().await;
        let mut script = String::from("CREATE SCHEMA oneshot; SET search_path TO oneshot;\n");
        script.push_str(&set.workspace_schema);
        script.push_str("\nCREATE SCHEMA replay; SET search_path TO replay;\n");
        for m in &set.workspace {
            script.push_str(&m.sql);
            script.push('\n');
        }
        sqlx::raw_sql(&script).execute(&mut su).await.unwrap();
        let a = shape(&mut su, "oneshot").await;
        let b = shape(&mut su, "replay").await;
        assert!(!a.is_empty());
        assert_eq!(a, b, "schema.sql drifted from the migrations");
    }
}

async fn count(su: &mut sqlx::PgConnection) -> i64 {
    let q = "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 't\\_%') + \
                    (SELECT count(*) FROM control.workspace) + \
                    (SELECT count(*) FROM control.workspace_key)";
    sqlx::query_scalar::<_, i64>(q).fetch_one(su).await.unwrap()
}

#[tokio::test]
async fn creating_a_workspace_is_all_or_nothing() {
    let e = env().await;
    e.workspace("acme").await;
    let mut su = e.tdb.superuser().await;
    let before = count(&mut su).await;

    // A taken slug.
    let err = crate::create_workspace(
        &e.db,
        &e.keks,
        &MigrationSet::builtin(),
        &Slug::parse("acme").unwrap(),
        "Acme again",
        now(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::SlugTaken(_)), "{err}");

    // A failure in the middle of the DDL.
    let mut broken = MigrationSet::builtin();
    broken.workspace_schema.push_str("\nSELECT 1/0;");
    let err = crate::create_workspace(
        &e.db,
        &e.keks,
        &broken,
        &Slug::parse("globex").unwrap(),
        "Globex",
        now(),
    )
    .await
    .unwrap_err();
    assert_eq!(super::sqlstate(&err).as_deref(), Some("22012"), "{err}");

    assert_eq!(count(&mut su).await, before, "nothing half-made is left");
    // (No orphan role either: CREATE ROLE is transactional too.)
}

#[tokio::test]
async fn the_grant_list_names_every_table_of_a_workspace() {
    let e = env().await;
    let ws = e.workspace("acme").await;
    let mut su = e.tdb.superuser().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1",
    )
    .bind(&ws.schema_name)
    .fetch_all(&mut su)
    .await
    .unwrap();
    let mut listed: Vec<String> = migrate::WORKSPACE_TABLES
        .iter()
        .chain(migrate::APPEND_ONLY_TABLES)
        .chain(migrate::SEAL_TABLES)
        .map(|t| (*t).to_owned())
        .collect();
    listed.sort();
    assert_eq!(tables, listed, "add new tables to WORKSPACE_TABLES");
    let seqs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind = 'S'",
    )
    .bind(&ws.schema_name)
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(
        seqs, 3,
        "ids are UUIDv7 made by the application; only the logs' order is a sequence"
    );
    // And the role really has DML on each, nothing more.
    for t in &tables {
        let (sel, del, trunc): (bool, bool, bool) = sqlx::query_as(
            "SELECT has_table_privilege($1, $2, 'SELECT'), has_table_privilege($1, $2, 'DELETE'), \
                    has_table_privilege($1, $2, 'TRUNCATE')",
        )
        .bind(&ws.role_name)
        .bind(format!("{}.{t}", ws.schema_name))
        .fetch_one(&mut su)
        .await
        .unwrap();
        if migrate::SEAL_TABLES.contains(&t.as_str()) {
            assert!(
                !sel && !del && !trunc,
                "{t}: the chain is the sealer's alone"
            );
            continue;
        }
        let append_only = migrate::APPEND_ONLY_TABLES.contains(&t.as_str());
        assert!(sel && del != append_only && !trunc, "{t}");
    }
}
