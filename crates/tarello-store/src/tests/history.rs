//! Change history: written by the database in the same transaction as the
//! change, with the actor the tenant transaction names; refused without
//! one; append-only even for the table's owner.

use serde_json::Value;
use uuid::Uuid;

use super::{env, sqlstate};
use crate::{Actor, TenantTx};

type Event = (
    String,
    String,
    String,
    Uuid,
    Option<Uuid>,
    Option<Value>,
    Option<Value>,
    Option<String>,
    Option<String>,
);

async fn events(tx: &mut TenantTx) -> Vec<Event> {
    sqlx::query_as(
        "SELECT actor_kind, action, entity_type, entity_id, actor_id, before, after, request_id, user_agent \
         FROM history ORDER BY seq",
    )
    .fetch_all(tx.conn())
    .await
    .unwrap()
}

// proves: AUD-1, AUD-2
#[tokio::test]
async fn every_change_leaves_its_event_in_the_same_transaction_even_raw_sql() {
    let e = env().await;
    let ws = e.workspace("acme").await;
    let alice = Uuid::now_v7();
    let actor = Actor::user(alice).with_request("req-1", "192.0.2.7", "curl/8 'quoted'");
    let board = Uuid::now_v7();
    let mut tx = TenantTx::begin(&e.db, ws.id, &actor).await.unwrap();
    super::insert_board(&mut tx, board, "Roadmap").await;
    // Raw SQL in the tenant transaction is recorded just the same.
    sqlx::query("UPDATE board SET name = 'Plan' WHERE board_id = $1")
        .bind(board)
        .execute(tx.conn())
        .await
        .unwrap();
    let list = Uuid::now_v7();
    let card = Uuid::now_v7();
    let tag = Uuid::now_v7();
    sqlx::raw_sql(&format!(
        "INSERT INTO list (list_id, board_id, name, position, created_at) VALUES ('{list}', '{board}', 'L', 'V', now()); \
         INSERT INTO card (card_id, board_id, list_id, title, position, created_at, updated_at) \
           VALUES ('{card}', '{board}', '{list}', 'C', 'V', now(), now()); \
         INSERT INTO tag (tag_id, name, created_at) VALUES ('{tag}', 'urgent', now()); \
         INSERT INTO card_tag (card_id, tag_id, added_at) VALUES ('{card}', '{tag}', now()); \
         DELETE FROM card_tag WHERE card_id = '{card}'"
    ))
    .execute(tx.conn())
    .await
    .unwrap();
    let got = events(&mut tx).await;
    tx.commit().await.unwrap();

    let actions: Vec<(&str, &str)> = got.iter().map(|e| (e.1.as_str(), e.2.as_str())).collect();
    assert_eq!(
        actions,
        [
            ("insert", "board"),
            ("update", "board"),
            ("insert", "list"),
            ("insert", "card"),
            ("insert", "tag"),
            ("card.tag.add", "card"),
            ("card.tag.remove", "card"),
        ]
    );
    for ev in &got {
        assert_eq!(ev.0, "user");
        assert_eq!(ev.4, Some(alice));
        assert_eq!(ev.7.as_deref(), Some("req-1"));
        // The quote in the user agent could not end the SQL literal.
        assert_eq!(ev.8.as_deref(), Some("curl/8 _quoted_"));
    }
    // An update records what changed, before and after, and nothing else.
    let update = &got[1];
    assert_eq!(update.5.as_ref().unwrap()["name"], "Roadmap");
    assert_eq!(update.6.as_ref().unwrap()["name"], "Plan");
    assert!(update.5.as_ref().unwrap().get("description").is_none());
    // Tag events are on the card and name the tag.
    assert_eq!(got[5].3, card);
    assert_eq!(got[5].6.as_ref().unwrap()["tag_id"], tag.to_string());

    // A rolled-back change leaves no event either.
    let mut tx = TenantTx::begin(&e.db, ws.id, &actor).await.unwrap();
    super::insert_board(&mut tx, Uuid::now_v7(), "Gone").await;
    tx.rollback().await.unwrap();
    let mut tx = TenantTx::begin(&e.db, ws.id, &actor).await.unwrap();
    assert_eq!(events(&mut tx).await.len(), 7);
}

// proves: AUD-1
#[tokio::test]
async fn a_change_without_an_actor_is_refused() {
    let e = env().await;
    let ws = e.workspace("acme").await;
    let mut su = e.tdb.superuser().await;
    let err = sqlx::query(&format!(
        "INSERT INTO {}.board (board_id, name, created_at) VALUES ($1, 'x', now())",
        ws.schema_name
    ))
    .bind(Uuid::now_v7())
    .execute(&mut su)
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&err.into()).as_deref(), Some("TA001"));
    let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}.board", ws.schema_name))
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

// proves: AUD-4
#[tokio::test]
async fn history_is_append_only_for_the_workspace_role_and_for_its_owner() {
    let e = env().await;
    let ws = e.workspace("acme").await;
    let mut tx = TenantTx::begin(&e.db, ws.id, &Actor::system())
        .await
        .unwrap();
    super::insert_board(&mut tx, Uuid::now_v7(), "B").await;
    tx.commit().await.unwrap();
    // The workspace role has no UPDATE or DELETE on history.
    for q in [
        "UPDATE history SET action = 'x'",
        "DELETE FROM history",
        "TRUNCATE history",
    ] {
        let mut tx = TenantTx::begin(&e.db, ws.id, &Actor::system())
            .await
            .unwrap();
        let err = sqlx::query(q).execute(tx.conn()).await.unwrap_err();
        assert_eq!(sqlstate(&err.into()).as_deref(), Some("42501"), "{q}");
    }
    // Even the owner (a superuser here) is refused by the trigger.
    let mut su = e.tdb.superuser().await;
    for q in [
        "UPDATE {s}.history SET action = 'x'",
        "DELETE FROM {s}.history",
        "TRUNCATE {s}.history",
    ] {
        let q = q.replace("{s}", &ws.schema_name);
        let err = sqlx::query(&q).execute(&mut su).await.unwrap_err();
        assert_eq!(sqlstate(&err.into()).as_deref(), Some("TA002"), "{q}");
    }
    let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}.history", ws.schema_name))
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

// proves: ENC-6
#[tokio::test]
async fn key_material_never_reaches_the_history() {
    let e = env().await;
    let ws = e.workspace("acme").await;
    let (board, list, card, att) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let mut tx = TenantTx::begin(&e.db, ws.id, &Actor::system())
        .await
        .unwrap();
    super::insert_board(&mut tx, board, "B").await;
    sqlx::raw_sql(&format!(
        "INSERT INTO list (list_id, board_id, name, position, created_at) VALUES ('{list}', '{board}', 'L', 'V', now()); \
         INSERT INTO card (card_id, board_id, list_id, title, position, created_at, updated_at) \
           VALUES ('{card}', '{board}', '{list}', 'C', 'V', now(), now()); \
         INSERT INTO attachment (attachment_id, card_id, uploader_id, filename, content_type, size_bytes, blob_key, file_key, created_at) \
           VALUES ('{att}', '{card}', '{att}', 'a.txt', 'text/plain', 1, 'secret-location', 'k1:1:secret-key', now()); \
         UPDATE attachment SET file_key = 'k1:2:other-secret' WHERE attachment_id = '{att}'"
    ))
    .execute(tx.conn())
    .await
    .unwrap();
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT coalesce(before::text, '') || coalesce(after::text, '') FROM history",
    )
    .fetch_all(tx.conn())
    .await
    .unwrap();
    let all = rows.join(" ");
    assert!(all.contains("a.txt") && all.contains("***"), "{all}");
    assert!(!all.contains("secret"), "{all}");
}

// proves: AUD-1
#[tokio::test]
async fn membership_changes_are_history_of_their_workspace_with_their_actor() {
    use crate::identity::{members, users};
    let e = env().await;
    let ws = e.workspace("acme").await;
    let other = e.workspace("other").await;
    let now = time::OffsetDateTime::now_utc();
    let (admin, bob) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, mail) in [(admin, "admin@example.com"), (bob, "bob@example.com")] {
        users::insert(&e.db, id, mail, "x", "$argon2id$x", now)
            .await
            .unwrap();
    }
    let by_admin = Actor::user(admin).with_request("req-9", "192.0.2.9", "ua");
    members::add(&e.db, ws.id, admin, "admin", &Actor::system(), now)
        .await
        .unwrap();
    members::add(&e.db, ws.id, bob, "member", &by_admin, now)
        .await
        .unwrap();
    let to_observer = members::Edit {
        role: Some("observer"),
        ..Default::default()
    };
    let changed = members::change(&e.db, ws.id, bob, to_observer, &by_admin, now)
        .await
        .unwrap();
    assert_eq!(changed, members::Change::Done);
    // No change, no event.
    let same = members::Edit {
        active: Some(true),
        ..to_observer
    };
    members::change(&e.db, ws.id, bob, same, &by_admin, now)
        .await
        .unwrap();
    assert!(members::remove(&e.db, ws.id, bob, &by_admin).await.unwrap());

    let mut tx = TenantTx::begin(&e.db, ws.id, &Actor::system())
        .await
        .unwrap();
    type Row = (
        String,
        Uuid,
        Option<Uuid>,
        Option<Value>,
        Option<Value>,
        Option<String>,
    );
    let got: Vec<Row> = sqlx::query_as(
        "SELECT action, entity_id, actor_id, before, after, request_id FROM history \
             WHERE entity_type = 'member' ORDER BY seq",
    )
    .fetch_all(tx.conn())
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    let bob_events: Vec<_> = got.iter().filter(|g| g.1 == bob).collect();
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(bob_events[0].0, "insert");
    assert_eq!(
        bob_events[0].4,
        Some(serde_json::json!({"role": "member", "active": true}))
    );
    assert_eq!(bob_events[1].0, "update");
    assert_eq!(bob_events[1].3, Some(serde_json::json!({"role": "member"})));
    assert_eq!(
        bob_events[1].4,
        Some(serde_json::json!({"role": "observer"}))
    );
    assert_eq!(bob_events[2].0, "delete");
    for ev in &bob_events {
        assert_eq!((ev.2, ev.5.as_deref()), (Some(admin), Some("req-9")));
    }
    // Nothing lands in another workspace's history.
    let mut tx = TenantTx::begin(&e.db, other.id, &Actor::system())
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM history")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(n, 0);
    // A membership change that names no actor is refused.
    let err = sqlx::query(
        "INSERT INTO control.membership (workspace_id, user_id, role, active, created_at, changed_at) \
         VALUES ($1, $2, 'member', true, now(), now())",
    )
    .bind(ws.id.0)
    .bind(bob)
    .execute(&mut e.tdb.superuser().await)
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&err.into()).as_deref(), Some("TA001"));
}
