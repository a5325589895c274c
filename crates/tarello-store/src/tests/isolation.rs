//! Schema-per-workspace isolation (ISO-1, ISO-2, ISO-4).

use sqlx::{Connection, Row};
use uuid::Uuid;

use super::{env, env_with_pool, sqlstate};
use crate::{StoreError, TenantTx};

async fn canary(e: &super::Env, ws: &crate::Workspace, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    let mut tx = TenantTx::begin(&e.db, ws.id, &crate::Actor::system())
        .await
        .unwrap();
    super::insert_board(&mut tx, id, name).await;
    tx.commit().await.unwrap();
    id
}

async fn names(e: &super::Env, ws: &crate::Workspace) -> Vec<String> {
    let mut tx = TenantTx::begin(&e.db, ws.id, &crate::Actor::system())
        .await
        .unwrap();
    let rows = super::list_boards(&mut tx).await;
    tx.commit().await.unwrap();
    rows.into_iter().map(|b| b.name).collect()
}

// proves: ISO-1
#[tokio::test]
async fn each_workspace_has_its_own_schema_and_nologin_role_and_no_tenant_column() {
    let e = env().await;
    let acme = e.workspace("acme").await;
    let globex = e.workspace("globex").await;
    let mut su = e.tdb.superuser().await;
    for ws in [&acme, &globex] {
        let schema: Option<String> =
            sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname = $1")
                .bind(&ws.schema_name)
                .fetch_optional(&mut su)
                .await
                .unwrap();
        assert_eq!(schema.as_deref(), Some(ws.schema_name.as_str()));
        let (login, inherit): (bool, bool) =
            sqlx::query_as("SELECT rolcanlogin, rolinherit FROM pg_roles WHERE rolname = $1")
                .bind(&ws.role_name)
                .fetch_one(&mut su)
                .await
                .unwrap();
        assert!(!login, "workspace roles are NOLOGIN");
        assert!(!inherit);
        // The role has rights on its own schema and on no other.
        let own: bool = sqlx::query_scalar("SELECT has_schema_privilege($1, $2, 'USAGE')")
            .bind(&ws.role_name)
            .bind(&ws.schema_name)
            .fetch_one(&mut su)
            .await
            .unwrap();
        assert!(own);
    }
    for (a, b) in [(&acme, &globex), (&globex, &acme)] {
        for schema in [b.schema_name.as_str(), "control", "public"] {
            let usage: bool = sqlx::query_scalar("SELECT has_schema_privilege($1, $2, 'USAGE')")
                .bind(&a.role_name)
                .bind(schema)
                .fetch_one(&mut su)
                .await
                .unwrap();
            let create: bool = sqlx::query_scalar("SELECT has_schema_privilege($1, $2, 'CREATE')")
                .bind(&a.role_name)
                .bind(schema)
                .fetch_one(&mut su)
                .await
                .unwrap();
            assert!(
                !create,
                "{} may not create objects in {schema}",
                a.role_name
            );
            if schema != "public" {
                assert!(!usage, "{} must not use schema {schema}", a.role_name);
            }
        }
    }
    // No tenant table carries a tenant filter column: the schema is the boundary.
    let tenant_cols: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.columns \
         WHERE table_schema LIKE 't\\_%' AND column_name IN ('tenant_id', 'workspace_id', 'org_id')",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(tenant_cols, 0);
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
    )
    .bind(&acme.schema_name)
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert!(tables >= 2);
    su.close().await.unwrap();
}

// proves: ISO-2
#[tokio::test]
async fn schema_qualified_query_for_another_workspace_is_permission_denied() {
    let e = env().await;
    let acme = e.workspace("acme").await;
    let globex = e.workspace("globex").await;
    canary(&e, &globex, "globex-secret-board").await;

    let mut tx = TenantTx::begin(&e.db, acme.id, &crate::Actor::system())
        .await
        .unwrap();
    let err = sqlx::query(&format!("SELECT name FROM {}.board", globex.schema_name))
        .fetch_all(tx.conn())
        .await
        .map_err(StoreError::from)
        .unwrap_err();
    assert!(err.is_permission_denied(), "{err}");
    tx.rollback().await.unwrap();

    // Nor can a tenant transaction read the control plane…
    let mut tx = TenantTx::begin(&e.db, acme.id, &crate::Actor::system())
        .await
        .unwrap();
    let err = sqlx::query("SELECT slug FROM control.workspace")
        .fetch_all(tx.conn())
        .await
        .map_err(StoreError::from)
        .unwrap_err();
    assert!(err.is_permission_denied(), "{err}");
    tx.rollback().await.unwrap();

    // (A tenant transaction *could* `SET LOCAL ROLE` to another workspace's
    // role, since the login role is a member of all of them: the role is
    // defence in depth against a wrong search_path, not against injected SQL.
    // Bind parameters everywhere remain the rule.)

    // Inside its own transaction each workspace sees only its own rows.
    assert!(names(&e, &acme).await.is_empty());
    assert_eq!(names(&e, &globex).await, vec!["globex-secret-board"]);
}

// proves: ISO-2
#[tokio::test]
async fn a_workspace_that_does_not_exist_cannot_be_entered() {
    let e = env().await;
    let ghost = tarello_domain::WorkspaceId::new_v7();
    let err = TenantTx::begin(&e.db, ghost, &crate::Actor::system())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownWorkspace(_)), "{err}");
}

// proves: ISO-4
#[tokio::test]
async fn one_pooled_connection_serves_a_then_b_with_the_same_statement() {
    // One connection in the pool: every transaction reuses it, and with it
    // sqlx's prepared-statement cache keyed by SQL text.
    let e = env_with_pool(1).await;
    let a = e.workspace("acme").await;
    let b = e.workspace("globex").await;
    canary(&e, &a, "canary-a").await;
    canary(&e, &b, "canary-b").await;
    for _ in 0..3 {
        assert_eq!(names(&e, &a).await, vec!["canary-a"]);
        assert_eq!(names(&e, &b).await, vec!["canary-b"]);
    }

    // B moves to a newer schema (a column added, as a migration would);
    // the same cached statement keeps returning each workspace's own rows.
    let mut su = e.tdb.superuser().await;
    sqlx::raw_sql(&format!(
        "ALTER TABLE {}.board ADD COLUMN colour text NOT NULL DEFAULT 'blue'; \
         UPDATE control.workspace SET schema_version = schema_version + 1 WHERE workspace_id = '{}'",
        b.schema_name, b.id
    ))
    .execute(&mut su)
    .await
    .unwrap();
    for _ in 0..3 {
        assert_eq!(names(&e, &b).await, vec!["canary-b"]);
        assert_eq!(names(&e, &a).await, vec!["canary-a"]);
    }
    su.close().await.unwrap();
}

// proves: ISO-4
#[tokio::test]
async fn no_tenant_context_survives_commit_rollback_or_a_dropped_transaction() {
    let e = env_with_pool(1).await;
    let a = e.workspace("acme").await;
    canary(&e, &a, "canary-a").await;

    let check_clean = || async {
        let row =
            sqlx::query("SELECT current_user::text AS u, current_setting('search_path') AS p")
                .fetch_one(e.db.app())
                .await
                .unwrap();
        assert_eq!(row.get::<String, _>("u"), "tarello_app");
        assert_eq!(row.get::<String, _>("p"), "pg_catalog");
        let err = sqlx::query("SELECT name FROM board")
            .fetch_all(e.db.app())
            .await
            .map_err(StoreError::from)
            .unwrap_err();
        assert_eq!(sqlstate(&err).as_deref(), Some("42P01"), "{err}");
    };

    let tx = TenantTx::begin(&e.db, a.id, &crate::Actor::system())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    check_clean().await;

    let mut tx = TenantTx::begin(&e.db, a.id, &crate::Actor::system())
        .await
        .unwrap();
    super::list_boards(&mut tx).await;
    tx.rollback().await.unwrap();
    check_clean().await;

    {
        let mut tx = TenantTx::begin(&e.db, a.id, &crate::Actor::system())
            .await
            .unwrap();
        super::list_boards(&mut tx).await;
        // dropped without commit: sqlx rolls back before reusing the connection
    }
    check_clean().await;
}

// proves: ISO-4
#[tokio::test]
async fn rollback_to_savepoint_leaves_the_transaction_in_its_own_workspace() {
    let e = env_with_pool(1).await;
    let a = e.workspace("acme").await;
    let b = e.workspace("globex").await;
    canary(&e, &a, "canary-a").await;
    canary(&e, &b, "canary-b").await;

    let mut tx = TenantTx::begin(&e.db, a.id, &crate::Actor::system())
        .await
        .unwrap();
    sqlx::raw_sql(&format!(
        "SAVEPOINT s1; SELECT set_config('search_path', '{}', true)",
        b.schema_name
    ))
    .execute(tx.conn())
    .await
    .unwrap();
    // Under A's role, B's schema is unreadable even with search_path on it
    // (PostgreSQL skips search_path entries the role may not use).
    let err = sqlx::query("SELECT name FROM board")
        .fetch_all(tx.conn())
        .await
        .map_err(StoreError::from)
        .unwrap_err();
    assert_eq!(sqlstate(&err).as_deref(), Some("42P01"), "{err}");
    sqlx::raw_sql("ROLLBACK TO SAVEPOINT s1")
        .execute(tx.conn())
        .await
        .unwrap();
    let path: String = sqlx::query_scalar("SELECT current_setting('search_path')")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(path, a.schema_name);
    assert_eq!(tx.workspace(), a.id);
    let rows = super::list_boards(&mut tx).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "canary-a");
    tx.rollback().await.unwrap();
}

// proves: ISO-2
#[tokio::test]
async fn without_a_tenant_transaction_no_workspace_table_is_visible() {
    let e = env().await;
    let a = e.workspace("acme").await;
    canary(&e, &a, "canary-a").await;
    let inherit: bool =
        sqlx::query_scalar("SELECT rolinherit FROM pg_roles WHERE rolname = current_user")
            .fetch_one(e.db.app())
            .await
            .unwrap();
    assert!(!inherit, "the app role is NOINHERIT");
    let unqualified = sqlx::query("SELECT name FROM board")
        .fetch_all(e.db.app())
        .await
        .map_err(StoreError::from)
        .unwrap_err();
    assert_eq!(sqlstate(&unqualified).as_deref(), Some("42P01"));
    let qualified = sqlx::query(&format!("SELECT name FROM {}.board", a.schema_name))
        .fetch_all(e.db.app())
        .await
        .map_err(StoreError::from)
        .unwrap_err();
    assert!(qualified.is_permission_denied(), "{qualified}");
    // SET LOCAL outside a transaction block does nothing (PostgreSQL only
    // warns): the next statement is as blind as before.
    let mut conn = e.db.app().acquire().await.unwrap();
    sqlx::raw_sql(&format!("SET LOCAL search_path TO {}", a.schema_name))
        .execute(&mut *conn)
        .await
        .unwrap();
    let still_blind = sqlx::query("SELECT name FROM board")
        .fetch_all(&mut *conn)
        .await
        .map_err(StoreError::from)
        .unwrap_err();
    assert_eq!(sqlstate(&still_blind).as_deref(), Some("42P01"));
}
