//! Keys in the store: field encryption in place, wrong KEK, KEK rotation
//! and data-key rotation (ENC-1, ENC-2, ENC-3).

use tarello_crypto::{KekSet, SecretString};
use uuid::Uuid;

use super::{StopAfter, env, new_kek_text, now};
use crate::keyring::{self, ENCRYPTED_COLUMNS};
use crate::repo::integration;
use crate::{NoProgress, StoreError, TenantTx, Workspace};

async fn put(e: &super::Env, ws: &Workspace, secret: &str) -> Uuid {
    let cipher = keyring::field_cipher(&e.db, &e.keks, ws.id).await.unwrap();
    let id = Uuid::now_v7();
    let mut tx = TenantTx::begin(&e.db, ws.id, &crate::Actor::system())
        .await
        .unwrap();
    integration::insert(
        &mut tx,
        &cipher,
        id,
        "webhook",
        &SecretString::from(secret),
        now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn get(
    e: &super::Env,
    keks: &KekSet,
    ws: &Workspace,
    id: Uuid,
) -> Result<Option<String>, StoreError> {
    let cipher = keyring::field_cipher(&e.db, keks, ws.id).await?;
    let mut tx = TenantTx::begin(&e.db, ws.id, &crate::Actor::system()).await?;
    let s = integration::secret(&mut tx, &cipher, id).await;
    tx.rollback().await?;
    Ok(s?.map(|s| s.expose().clone()))
}

// proves: ENC-1
#[tokio::test]
async fn fields_are_encrypted_in_the_database_and_bound_to_their_row() {
    let e = env().await;
    let acme = e.workspace("acme").await;
    let globex = e.workspace("globex").await;
    let one = put(&e, &acme, "xoxb-acme-one").await;
    let two = put(&e, &acme, "xoxb-acme-two").await;
    let other = put(&e, &globex, "xoxb-globex").await;
    assert_eq!(
        get(&e, &e.keks, &acme, one).await.unwrap().as_deref(),
        Some("xoxb-acme-one")
    );

    // What a database dump holds: no plaintext, and no usable key either.
    let mut su = e.tdb.superuser().await;
    let stored: String = sqlx::query_scalar(&format!(
        "SELECT secret FROM {}.integration WHERE integration_id = $1",
        acme.schema_name
    ))
    .bind(one)
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert!(stored.starts_with("f1:1:"), "{stored}");
    assert!(!stored.contains("xoxb"));
    let dump: String = sqlx::query_scalar(
        "SELECT string_agg(encode(wrapped, 'escape'), '') FROM control.workspace_key",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert!(!dump.contains("xoxb"));

    // A ciphertext copied onto another row does not decrypt there…
    sqlx::query(&format!(
        "UPDATE {s}.integration SET secret = (SELECT secret FROM {s}.integration WHERE integration_id = $1) WHERE integration_id = $2",
        s = acme.schema_name
    ))
    .bind(one)
    .bind(two)
    .execute(&mut su)
    .await
    .unwrap();
    let err = get(&e, &e.keks, &acme, two).await.unwrap_err();
    assert!(matches!(err, StoreError::Crypto(_)), "{err}");
    // …nor in another workspace, even at the same row id.
    sqlx::query(&format!(
        "UPDATE {}.integration SET secret = $1 WHERE integration_id = $2",
        globex.schema_name
    ))
    .bind(&stored)
    .bind(other)
    .execute(&mut su)
    .await
    .unwrap();
    assert!(get(&e, &e.keks, &globex, other).await.is_err());
}

// proves: ENC-2
#[tokio::test]
async fn a_wrong_kek_is_a_clear_error_at_start() {
    let e = env().await;
    let acme = e.workspace("acme").await;
    let id = put(&e, &acme, "s3cret").await;
    let wrong = KekSet::parse(new_kek_text().expose()).unwrap();
    let err = keyring::verify_kek(&e.db, &wrong, now()).await.unwrap_err();
    assert!(matches!(err, StoreError::WrongKek { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(e.keks.primary_id()), "{msg}");
    assert!(msg.contains("TARELLO_KEK"), "{msg}");
    // And data under a wrong KEK never decrypts to garbage: it fails.
    assert!(get(&e, &wrong, &acme, id).await.is_err());

    // Even a database with no workspace yet remembers its KEK.
    let fresh = env().await;
    let err = keyring::verify_kek(&fresh.db, &wrong, now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::WrongKek { .. }), "{err}");
}

// proves: ENC-3
#[tokio::test]
async fn kek_rotation_rewraps_every_data_key_and_the_old_kek_can_go() {
    let e = env().await;
    let acme = e.workspace("acme").await;
    let globex = e.workspace("globex").await;
    let a = put(&e, &acme, "acme-secret").await;
    let g = put(&e, &globex, "globex-secret").await;
    let new = new_kek_text();
    let rotating_text = format!("{}\n{}", new.expose(), old_text(&e));
    let rotating = KekSet::parse(&rotating_text).unwrap();
    // Mid-rotation both KEKs work.
    keyring::verify_kek(&e.db, &rotating, now()).await.unwrap();
    assert_eq!(
        get(&e, &rotating, &acme, a).await.unwrap().as_deref(),
        Some("acme-secret")
    );
    let n = keyring::rewrap_all(&e.db, &rotating, now(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        keyring::rewrap_all(&e.db, &rotating, now(), &NoProgress)
            .await
            .unwrap(),
        0
    );
    for k in keyring::key_status(&e.db).await.unwrap() {
        assert_eq!(k.kek_id, rotating.primary_id());
    }
    // Afterwards the new KEK alone is enough, and the old one alone is refused.
    let only_new = KekSet::parse(new.expose()).unwrap();
    keyring::verify_kek(&e.db, &only_new, now()).await.unwrap();
    assert_eq!(
        get(&e, &only_new, &acme, a).await.unwrap().as_deref(),
        Some("acme-secret")
    );
    assert_eq!(
        get(&e, &only_new, &globex, g).await.unwrap().as_deref(),
        Some("globex-secret")
    );
    let err = keyring::verify_kek(&e.db, &e.keks, now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::WrongKek { .. }), "{err}");
}

/// The test env's KEK as text (KekSet does not give its material back, so
/// the env keeps it).
fn old_text(e: &super::Env) -> String {
    e.kek_text.expose().clone()
}

// proves: ENC-3
#[tokio::test]
async fn data_key_rotation_reencrypts_every_field_and_resumes_after_a_kill() {
    let e = env().await;
    let acme = e.workspace("acme").await;
    let globex = e.workspace("globex").await;
    let g = put(&e, &globex, "globex-untouched").await;
    let mut ids = Vec::new();
    for i in 0..450 {
        ids.push(put(&e, &acme, &format!("secret-{i}")).await);
    }
    let stopper = StopAfter::new(200);
    tokio::select! {
        r = keyring::rotate_workspace_key(&e.db, &e.keks, &acme, now(), &stopper) => panic!("should have been cut off: {r:?}"),
        () = stopper.stop.notified() => {}
    }
    // Mid-rotation, old and new versions both decrypt.
    for id in [ids[0], ids[449]] {
        assert!(get(&e, &e.keks, &acme, id).await.unwrap().is_some());
    }
    let report = keyring::rotate_workspace_key(&e.db, &e.keks, &acme, now(), &NoProgress)
        .await
        .unwrap();
    assert!(report.resumed);
    assert_eq!(report.new_version, 2);
    assert_eq!(report.fields_reencrypted, 250);
    assert_eq!(report.retired_versions, vec![1]);

    let mut su = e.tdb.superuser().await;
    let (table, _, column) = ENCRYPTED_COLUMNS[0];
    let old: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {}.{table} WHERE {column} NOT LIKE 'f1:2:%'",
        acme.schema_name
    ))
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(old, 0);
    for (i, id) in ids.iter().enumerate().step_by(37) {
        assert_eq!(
            get(&e, &e.keks, &acme, *id).await.unwrap(),
            Some(format!("secret-{i}"))
        );
    }
    // A second rotation starts afresh; the other workspace was never touched.
    let again = keyring::rotate_workspace_key(&e.db, &e.keks, &acme, now(), &NoProgress)
        .await
        .unwrap();
    assert!(!again.resumed);
    assert_eq!(again.new_version, 3);
    assert_eq!(
        get(&e, &e.keks, &globex, g).await.unwrap().as_deref(),
        Some("globex-untouched")
    );
}

#[tokio::test]
async fn every_encrypted_column_is_registered_for_rotation() {
    // Encrypted columns carry a CHECK (… LIKE 'f1:%'); each must be listed
    // in ENCRYPTED_COLUMNS or rotation would silently skip it.
    let e = env().await;
    let acme = e.workspace("acme").await;
    let mut su = e.tdb.superuser().await;
    let found: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, a.attname::text \
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
         WHERE n.nspname = $1 AND c.contype = 'c' AND pg_get_constraintdef(c.oid) LIKE '%f1:%' ORDER BY 1, 2",
    )
    .bind(&acme.schema_name)
    .fetch_all(&mut su)
    .await
    .unwrap();
    let found: Vec<(String, String)> = found
        .into_iter()
        .map(|(t, c)| (t.rsplit('.').next().unwrap_or(&t).to_owned(), c))
        .collect();
    let mut listed: Vec<(String, String)> = ENCRYPTED_COLUMNS
        .iter()
        .map(|(t, _, c)| ((*t).to_owned(), (*c).to_owned()))
        .collect();
    listed.sort();
    assert_eq!(found, listed);
}
