//! The history chain (AUD-4) and retention (AUD-6): tampering by a
//! database superuser (triggers switched off) is detected at the first
//! broken link; late commits are not mistaken for tampering; a purge
//! leaves a chain that still verifies.

use sqlx::PgConnection;
use time::Duration;
use uuid::Uuid;

use super::{Env, env, insert_board, now, sqlstate};
use crate::audit::rounds::Sealer;
use crate::audit::{purge, seal, verify};
use crate::{Actor, NoProgress, TenantTx, Workspace};

async fn boards(e: &Env, ws: &Workspace, n: usize) {
    let mut tx = TenantTx::begin(&e.db, ws.id, &Actor::user(Uuid::now_v7()))
        .await
        .unwrap();
    for i in 0..n {
        insert_board(&mut tx, Uuid::now_v7(), &format!("Board {i}")).await;
    }
    tx.commit().await.unwrap();
}

async fn sealed_workspace(e: &Env, slug: &str, n: usize) -> Workspace {
    let ws = e.workspace(slug).await;
    boards(e, &ws, n).await;
    let s = seal::seal_all(&e.db, &e.keks, ws.id, 1000, now())
        .await
        .unwrap();
    assert_eq!(s.events, n as u64);
    let v = verify::verify(&e.db, &e.keks, ws.id).await.unwrap();
    assert_eq!((v.events, v.pending, v.broken), (n as u64, 0, None));
    ws
}

/// A superuser who also switches the append-only triggers off.
async fn attacker(e: &Env, ws: &Workspace) -> PgConnection {
    let mut su = e.tdb.superuser().await;
    sqlx::raw_sql(&format!(
        "SET session_replication_role = replica; SET search_path TO {}",
        ws.schema_name
    ))
    .execute(&mut su)
    .await
    .unwrap();
    su
}

fn hex_decode(h: &str) -> Vec<u8> {
    (0..h.len() / 2)
        .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

async fn broken(e: &Env, ws: &Workspace) -> Option<verify::Break> {
    verify::verify(&e.db, &e.keks, ws.id).await.unwrap().broken
}

// proves: AUD-4
#[tokio::test]
async fn superuser_edits_deletes_and_inserts_are_each_detected_at_their_event() {
    let e = env().await;

    let edited = sealed_workspace(&e, "edited", 6).await;
    sqlx::query("UPDATE history SET after = jsonb_set(after, '{name}', '\"Quietly renamed\"') WHERE seq = 3")
        .execute(&mut attacker(&e, &edited).await)
        .await
        .unwrap();
    assert_eq!(
        broken(&e, &edited).await,
        Some(verify::Break::Altered { seq: 3 })
    );
    // Even a change of the actor or time alone.
    let edited2 = sealed_workspace(&e, "edited-actor", 6).await;
    sqlx::query("UPDATE history SET actor_id = $1 WHERE seq = 5")
        .bind(Uuid::now_v7())
        .execute(&mut attacker(&e, &edited2).await)
        .await
        .unwrap();
    assert_eq!(
        broken(&e, &edited2).await,
        Some(verify::Break::Altered { seq: 5 })
    );

    let deleted = sealed_workspace(&e, "deleted", 6).await;
    sqlx::query("DELETE FROM history WHERE seq = 4")
        .execute(&mut attacker(&e, &deleted).await)
        .await
        .unwrap();
    assert_eq!(
        broken(&e, &deleted).await,
        Some(verify::Break::Deleted { seq: 4 })
    );
    // Deleting the link too leaves a hole in the chain.
    let unlinked = sealed_workspace(&e, "unlinked", 6).await;
    sqlx::raw_sql("DELETE FROM history WHERE seq = 2; DELETE FROM history_seal WHERE seq = 2")
        .execute(&mut attacker(&e, &unlinked).await)
        .await
        .unwrap();
    assert_eq!(
        broken(&e, &unlinked).await,
        Some(verify::Break::SealMissing { pos: 2 })
    );
    // Cutting the tail (events, links and newest checkpoint kept) is seen
    // against the checkpoint.
    let cut = sealed_workspace(&e, "cut", 6).await;
    sqlx::raw_sql("DELETE FROM history WHERE seq >= 5; DELETE FROM history_seal WHERE pos >= 5")
        .execute(&mut attacker(&e, &cut).await)
        .await
        .unwrap();
    assert_eq!(
        broken(&e, &cut).await,
        Some(verify::Break::Truncated { pos: 6 })
    );

    let inserted = sealed_workspace(&e, "inserted", 6).await;
    let mut su = attacker(&e, &inserted).await;
    sqlx::query(
        "INSERT INTO history (seq, at, actor_kind, actor_id, action, entity_type, entity_id, after) \
         OVERRIDING SYSTEM VALUE VALUES (0, now() - interval '1 day', 'user', $1, 'insert', 'board', $2, '{\"name\":\"Backdated\"}')",
    )
    .bind(Uuid::now_v7())
    .bind(Uuid::now_v7())
    .execute(&mut su)
    .await
    .unwrap();
    assert_eq!(
        broken(&e, &inserted).await,
        Some(verify::Break::Inserted { seq: 0 })
    );
    // The sealer does not take the forged row into the chain.
    seal::seal_all(&e.db, &e.keks, inserted.id, 1000, now())
        .await
        .unwrap();
    assert_eq!(
        broken(&e, &inserted).await,
        Some(verify::Break::Inserted { seq: 0 })
    );
    // Nor one with a forged old transaction id.
    let old_tx = sealed_workspace(&e, "old-tx", 3).await;
    sqlx::query(
        "INSERT INTO history (seq, at, actor_kind, action, entity_type, entity_id, tx) \
         OVERRIDING SYSTEM VALUE VALUES (100, now(), 'system', 'delete', 'board', $1, '3')",
    )
    .bind(Uuid::now_v7())
    .execute(&mut attacker(&e, &old_tx).await)
    .await
    .unwrap();
    seal::seal_all(&e.db, &e.keks, old_tx.id, 1000, now())
        .await
        .unwrap();
    assert_eq!(
        broken(&e, &old_tx).await,
        Some(verify::Break::Inserted { seq: 100 })
    );

    // Cutting the newest events with their links *and* checkpoints leaves a
    // shorter chain that is consistent in itself; a head kept outside the
    // database (as `audit verify` prints it) shows the cut.
    let tail = sealed_workspace(&e, "tail", 6).await;
    let v = verify::verify(&e.db, &e.keks, tail.id).await.unwrap();
    let head = (v.head, hex_decode(&v.head_hash));
    sqlx::raw_sql(
        "DELETE FROM history WHERE seq >= 5; DELETE FROM history_seal WHERE pos >= 5; \
         DELETE FROM history_checkpoint",
    )
    .execute(&mut attacker(&e, &tail).await)
    .await
    .unwrap();
    assert_eq!(
        broken(&e, &tail).await,
        None,
        "undetectable without the kept head"
    );
    let v = verify::verify_with(&e.db, &e.keks, tail.id, Some(head), &NoProgress)
        .await
        .unwrap();
    assert_eq!(v.broken, Some(verify::Break::Truncated { pos: 6 }));

    // A checkpoint rewritten to match a shortened chain carries no valid MAC.
    let forged = sealed_workspace(&e, "forged", 6).await;
    sqlx::query("UPDATE history_checkpoint SET pos = 4")
        .execute(&mut attacker(&e, &forged).await)
        .await
        .unwrap();
    assert!(matches!(
        broken(&e, &forged).await,
        Some(verify::Break::Checkpoint { .. })
    ));
}

// proves: AUD-4
#[tokio::test]
async fn the_chain_tables_refuse_changes_even_from_their_owner() {
    let e = env().await;
    let ws = sealed_workspace(&e, "acme", 2).await;
    let mut su = e.tdb.superuser().await;
    sqlx::raw_sql(&format!(
        "SET search_path TO {}; INSERT INTO capability_log (at, kind, principal_kind, decision) \
         VALUES (now(), 'call', 'anonymous', 'denied')",
        ws.schema_name
    ))
    .execute(&mut su)
    .await
    .unwrap();
    for q in [
        "UPDATE history_seal SET hash = hash",
        "DELETE FROM history_seal",
        "TRUNCATE history_seal",
        "UPDATE history_checkpoint SET pos = pos",
        "DELETE FROM history_checkpoint",
        "UPDATE capability_log SET status = 200",
        "DELETE FROM capability_log",
        "TRUNCATE capability_log",
    ] {
        let err = sqlx::query(q).execute(&mut su).await.unwrap_err();
        let code = sqlstate(&err.into());
        assert_eq!(code.as_deref(), Some("TA002"), "{q}");
    }
    // The workspace role cannot read or write the chain, nor purge.
    let mut tx = TenantTx::begin(&e.db, ws.id, &Actor::system())
        .await
        .unwrap();
    let err = sqlx::query("SELECT count(*) FROM history_seal")
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err.into()).as_deref(), Some("42501"));
    tx.rollback().await.unwrap();
    let mut tx = TenantTx::begin(&e.db, ws.id, &Actor::system())
        .await
        .unwrap();
    let err = sqlx::query("SELECT * FROM history_purge(now() - interval '1000 days', 10)")
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err.into()).as_deref(), Some("42501"));
    tx.rollback().await.unwrap();
}

// proves: AUD-4
#[tokio::test]
async fn a_late_commit_is_sealed_after_later_events_and_is_not_tampering() {
    let e = env().await;
    let ws = e.workspace("acme").await;
    // A holds a lower sequence number and commits last.
    let mut a = TenantTx::begin(&e.db, ws.id, &Actor::system())
        .await
        .unwrap();
    insert_board(&mut a, Uuid::now_v7(), "Slow").await;
    boards(&e, &ws, 3).await;
    let s = seal::seal_all(&e.db, &e.keks, ws.id, 1000, now())
        .await
        .unwrap();
    assert_eq!(s.events, 3);
    a.commit().await.unwrap();
    let v = verify::verify(&e.db, &e.keks, ws.id).await.unwrap();
    assert_eq!((v.events, v.pending, v.broken), (3, 1, None));
    let s = seal::seal_all(&e.db, &e.keks, ws.id, 1000, now())
        .await
        .unwrap();
    assert_eq!(s.events, 1);
    let v = verify::verify(&e.db, &e.keks, ws.id).await.unwrap();
    assert_eq!((v.events, v.pending, v.broken), (4, 0, None));
    // Small batches: many checkpoints, same chain.
    boards(&e, &ws, 7).await;
    let s = seal::seal_all(&e.db, &e.keks, ws.id, 2, now())
        .await
        .unwrap();
    assert_eq!((s.events, s.head), (7, 11));
    assert_eq!(broken(&e, &ws).await, None);
    // A late transaction with more events than a batch: all of them are
    // sealed once it commits, none is taken for an insertion.
    let mut big = TenantTx::begin(&e.db, ws.id, &Actor::system())
        .await
        .unwrap();
    for i in 0..5 {
        insert_board(&mut big, Uuid::now_v7(), &format!("Late {i}")).await;
    }
    boards(&e, &ws, 3).await;
    let s = seal::seal_all(&e.db, &e.keks, ws.id, 2, now())
        .await
        .unwrap();
    assert_eq!(s.events, 3);
    big.commit().await.unwrap();
    let v = verify::verify(&e.db, &e.keks, ws.id).await.unwrap();
    assert_eq!((v.pending, v.broken), (5, None));
    let s = seal::seal_all(&e.db, &e.keks, ws.id, 2, now())
        .await
        .unwrap();
    assert_eq!((s.events, s.head), (5, 19));
    let v = verify::verify(&e.db, &e.keks, ws.id).await.unwrap();
    assert_eq!((v.events, v.pending, v.broken), (19, 0, None));
}

// proves: AUD-6, AUD-4
#[tokio::test]
async fn purging_old_events_leaves_a_chain_that_still_verifies() {
    let e = env().await;
    let ws = e.workspace("acme").await;
    boards(&e, &ws, 8).await;
    // Five of them are 200 days old (set before sealing, as if written then).
    sqlx::query("UPDATE history SET at = at - interval '200 days' WHERE seq <= 5")
        .execute(&mut attacker(&e, &ws).await)
        .await
        .unwrap();
    seal::seal_all(&e.db, &e.keks, ws.id, 1000, now())
        .await
        .unwrap();
    // Nothing younger than the shortest retention, whoever asks.
    let refused = purge::purge(
        &e.db,
        &e.keks,
        ws.id,
        now() - Duration::days(30),
        100,
        now(),
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&refused).as_deref(), Some("TA003"));
    // In batches of two: three checkpoints, each resumable.
    let p = purge::purge(
        &e.db,
        &e.keks,
        ws.id,
        now() - Duration::days(90),
        2,
        now(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(p.events, 5);
    let v = verify::verify(&e.db, &e.keks, ws.id).await.unwrap();
    assert_eq!((v.events, v.head, v.broken), (3, 8, None));
    let left: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT seq FROM {}.history ORDER BY seq",
        ws.schema_name
    ))
    .fetch_all(&mut e.tdb.superuser().await)
    .await
    .unwrap();
    assert_eq!(left, [6, 7, 8]);
    // Checkpoints inside the removed part go too: the last purge implies them.
    let purges: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {}.history_checkpoint WHERE kind = 'purge'",
        ws.schema_name
    ))
    .fetch_one(&mut e.tdb.superuser().await)
    .await
    .unwrap();
    assert_eq!(purges, 1);
    // New events chain on from the purge.
    boards(&e, &ws, 2).await;
    seal::seal_all(&e.db, &e.keks, ws.id, 1000, now())
        .await
        .unwrap();
    let v = verify::verify(&e.db, &e.keks, ws.id).await.unwrap();
    assert_eq!((v.events, v.head, v.broken), (5, 10, None));
    // Deleting the events the purge kept is still caught.
    sqlx::query("DELETE FROM history WHERE seq = 6")
        .execute(&mut attacker(&e, &ws).await)
        .await
        .unwrap();
    assert_eq!(
        broken(&e, &ws).await,
        Some(verify::Break::Deleted { seq: 6 })
    );
}

#[test]
fn retention_follows_the_plan() {
    assert_eq!(crate::audit::retention_days("free"), 90);
    assert_eq!(crate::audit::retention_days("pro"), 365);
    assert_eq!(crate::audit::retention_days("business"), 1095);
}

/// Rounds until one finds nothing to seal (statistics lag behind writes).
async fn until_quiet(e: &Env, s: &mut Sealer) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut events = 0;
    loop {
        let r = s.round(&e.db, &e.keks, now()).await.unwrap();
        assert!(r.failed.is_empty());
        events += r.events;
        if r.visited == 0 {
            return events;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "rounds never went quiet"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

// proves: AUD-4
#[tokio::test]
async fn sealing_rounds_visit_only_workspaces_whose_history_grew() {
    let e = env().await;
    let (a, b) = (e.workspace("alpha").await, e.workspace("beta").await);
    boards(&e, &a, 2).await;
    boards(&e, &b, 1).await;
    let mut s = Sealer::new();
    // The first round visits every workspace.
    let r = s.round(&e.db, &e.keks, now()).await.unwrap();
    assert_eq!((r.visited, r.events), (2, 3));
    assert_eq!(until_quiet(&e, &mut s).await, 0);
    // New events in one workspace: only it is visited, and they are sealed.
    boards(&e, &a, 4).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let r = s.round(&e.db, &e.keks, now()).await.unwrap();
        assert!(r.visited <= 1, "only alpha grew");
        if r.events > 0 {
            assert_eq!((r.visited, r.events), (1, 4));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "alpha's events never sealed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let v = verify::verify(&e.db, &e.keks, a.id).await.unwrap();
    assert_eq!((v.events, v.pending, v.broken), (6, 0, None));
}
