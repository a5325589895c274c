//! Data keys in the database, KEKs outside it.
//!
//! - Each workspace has data keys by version in `control.workspace_key`,
//!   stored only wrapped (AES-256-GCM under a KEK, bound to workspace and
//!   version). The newest non-retired version is the primary.
//! - `verify_kek` runs at start: a KEK that never wrapped anything here is a
//!   clear error, not garbage later.
//! - `rewrap_all` (KEK rotation) and `rotate_workspace_key` (data-key
//!   rotation) work in batches, each batch committed: killed midway, a rerun
//!   picks up what is left. Readers keep working throughout: every version
//!   still decrypts until it is retired.

use std::collections::BTreeMap;

use sqlx::FromRow;
use tarello_crypto::seal::SealKey;
use tarello_crypto::{DataKey, FieldCipher, FieldPlace, KekSet, KeyContext, WrappedKey};
use tarello_domain::WorkspaceId;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Db, Progress, StoreError, TenantTx, Workspace};

const BATCH: i64 = 200;

/// Every encrypted column of the workspace schema: (table, primary key, column).
/// Rotation walks this list; a new encrypted column must be added here (a
/// test checks the list against the `f1:` CHECK constraints in the schema).
pub const ENCRYPTED_COLUMNS: &[(&str, &str, &str)] = &[("integration", "integration_id", "secret")];

#[derive(Debug, Clone, FromRow)]
pub struct KeyStatus {
    pub slug: String,
    pub version: i32,
    pub kek_id: String,
    pub created_at: OffsetDateTime,
    pub retired_at: Option<OffsetDateTime>,
}

/// Checks the configured KEKs against the database and records a canary for
/// the primary. Fails when the database knows KEKs and none is configured,
/// or when a data key is wrapped by a KEK that is not configured.
pub async fn verify_kek(db: &Db, keks: &KekSet, now: OffsetDateTime) -> Result<(), StoreError> {
    let known: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT kek_id, wrapped FROM control.kek_check ORDER BY created_at")
            .fetch_all(db.admin())
            .await?;
    let in_use: Vec<String> = sqlx::query_scalar(
        "SELECT kek_id FROM control.workspace_key UNION SELECT kek_id FROM control.control_key",
    )
    .fetch_all(db.admin())
    .await?;
    let configured = keks.ids().join(", ");
    let missing: Vec<&String> = in_use.iter().filter(|id| !keks.contains(id)).collect();
    let none_known = !known.is_empty() && known.iter().all(|(id, _)| !keks.contains(id));
    if !missing.is_empty() || none_known {
        let mut expected: Vec<String> = in_use.clone();
        expected.extend(known.iter().map(|(id, _)| id.clone()));
        expected.sort();
        expected.dedup();
        return Err(StoreError::WrongKek {
            expected: expected.join(", "),
            configured,
        });
    }
    // Ids match; prove the keys do too by unwrapping each canary we can.
    for (id, blob) in &known {
        if keks.contains(id) {
            keks.unwrap(
                &WrappedKey {
                    kek_id: id.clone(),
                    blob: blob.clone(),
                },
                &canary_context(),
            )?;
        }
    }
    let primary = keks.primary_id().to_owned();
    if !known.iter().any(|(id, _)| *id == primary) {
        let w = keks.wrap(&DataKey::generate(), &canary_context())?;
        sqlx::query(
            "INSERT INTO control.kek_check (kek_id, wrapped, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(&w.kek_id)
        .bind(&w.blob)
        .bind(now)
        .execute(db.admin())
        .await?;
    }
    Ok(())
}

fn canary_context() -> KeyContext {
    KeyContext {
        workspace_id: Uuid::nil(),
        version: 0,
    }
}

#[derive(FromRow)]
struct KeyRow {
    version: i32,
    kek_id: String,
    wrapped: Vec<u8>,
    retired_at: Option<OffsetDateTime>,
}

impl KeyRow {
    /// The data key, unwrapped by the KEK it names, bound to its workspace
    /// and version.
    fn unwrap(&self, keks: &KekSet, ws: WorkspaceId) -> Result<DataKey, StoreError> {
        Ok(keks.unwrap(
            &WrappedKey {
                kek_id: self.kek_id.clone(),
                blob: self.wrapped.clone(),
            },
            &KeyContext {
                workspace_id: ws.0,
                version: self.version,
            },
        )?)
    }
}

async fn key_rows(db: &Db, ws: WorkspaceId) -> Result<Vec<KeyRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT version, kek_id, wrapped, retired_at FROM control.workspace_key WHERE workspace_id = $1 ORDER BY version",
    )
    .bind(ws.0)
    .fetch_all(db.app())
    .await?)
}

/// The workspace's field cipher: every non-retired version decrypts, the
/// newest encrypts.
pub async fn field_cipher(
    db: &Db,
    keks: &KekSet,
    ws: WorkspaceId,
) -> Result<FieldCipher, StoreError> {
    let rows = key_rows(db, ws).await?;
    let mut keys = BTreeMap::new();
    for r in rows.iter().filter(|r| r.retired_at.is_none()) {
        keys.insert(r.version, r.unwrap(keks, ws)?);
    }
    let primary = keys
        .keys()
        .next_back()
        .copied()
        .ok_or_else(|| StoreError::UnknownWorkspace(ws.to_string()))?;
    Ok(FieldCipher::new(keys, primary)?)
}

/// The history chain keys of a workspace by data-key version, retired
/// versions included (old links stay verifiable), and the version new
/// links use (the newest non-retired).
pub async fn seal_keys(
    db: &Db,
    keks: &KekSet,
    ws: WorkspaceId,
) -> Result<(BTreeMap<i32, SealKey>, i32), StoreError> {
    let rows = key_rows(db, ws).await?;
    let mut keys = BTreeMap::new();
    for r in &rows {
        keys.insert(r.version, SealKey::derive(&r.unwrap(keks, ws)?));
    }
    let primary = rows
        .iter()
        .filter(|r| r.retired_at.is_none())
        .map(|r| r.version)
        .max()
        .ok_or_else(|| StoreError::UnknownWorkspace(ws.to_string()))?;
    Ok((keys, primary))
}

pub async fn key_status(db: &Db) -> Result<Vec<KeyStatus>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT w.slug, k.version, k.kek_id, k.created_at, k.retired_at \
         FROM control.workspace_key k JOIN control.workspace w USING (workspace_id) \
         ORDER BY w.slug, k.version",
    )
    .fetch_all(db.admin())
    .await?)
}

fn control_context(version: i32) -> KeyContext {
    // The control plane's own data key, bound to the nil workspace id and
    // an offset version so it can never be confused with a workspace key.
    KeyContext {
        workspace_id: Uuid::nil(),
        version: 1_000_000 + version,
    }
}

/// The control plane's data key (for pending signups and the one-time-code
/// pepper), made on first use.
pub async fn control_key(
    db: &Db,
    keks: &KekSet,
    now: OffsetDateTime,
) -> Result<(i32, DataKey), StoreError> {
    let row: Option<(i32, String, Vec<u8>)> = sqlx::query_as(
        "SELECT version, kek_id, wrapped FROM control.control_key WHERE retired_at IS NULL ORDER BY version DESC LIMIT 1",
    )
    .fetch_optional(db.app())
    .await?;
    if let Some((version, kek_id, blob)) = row {
        let key = keks.unwrap(&WrappedKey { kek_id, blob }, &control_context(version))?;
        return Ok((version, key));
    }
    let key = DataKey::generate();
    let w = keks.wrap(&key, &control_context(1))?;
    sqlx::query(
        "INSERT INTO control.control_key (version, kek_id, wrapped, created_at) VALUES (1, $1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(&w.kek_id)
    .bind(&w.blob)
    .bind(now)
    .execute(db.app())
    .await?;
    // Another process may have won the race: read back what is stored.
    Box::pin(control_key(db, keks, now)).await
}

/// Rewraps every data key not under the primary KEK. Returns how many were
/// rewrapped; zero on a rerun after completion.
pub async fn rewrap_all(
    db: &Db,
    keks: &KekSet,
    now: OffsetDateTime,
    progress: &dyn Progress,
) -> Result<u64, StoreError> {
    verify_kek(db, keks, now).await?;
    let primary = keks.primary_id().to_owned();
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM control.workspace_key WHERE kek_id <> $1")
            .bind(&primary)
            .fetch_one(db.admin())
            .await?;
    progress.start("rewrapping data keys", u64::try_from(total).unwrap_or(0));
    let mut done = 0u64;
    loop {
        let mut tx = db.admin().begin().await?;
        let batch: Vec<(Uuid, i32, String, Vec<u8>)> = sqlx::query_as(
            "SELECT workspace_id, version, kek_id, wrapped FROM control.workspace_key \
             WHERE kek_id <> $1 ORDER BY workspace_id, version LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(&primary)
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        if batch.is_empty() {
            break;
        }
        for (ws, version, kek_id, blob) in &batch {
            let ctx = KeyContext {
                workspace_id: *ws,
                version: *version,
            };
            let key = keks.unwrap(
                &WrappedKey {
                    kek_id: kek_id.clone(),
                    blob: blob.clone(),
                },
                &ctx,
            )?;
            let w = keks.wrap(&key, &ctx)?;
            sqlx::query(
                "UPDATE control.workspace_key SET kek_id = $3, wrapped = $4 WHERE workspace_id = $1 AND version = $2",
            )
            .bind(ws)
            .bind(version)
            .bind(&w.kek_id)
            .bind(&w.blob)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        done += batch.len() as u64;
        progress.advance(batch.len() as u64);
    }
    // The control plane's keys too (few: no batching needed).
    let mut tx = db.admin().begin().await?;
    let control: Vec<(i32, String, Vec<u8>)> = sqlx::query_as(
        "SELECT version, kek_id, wrapped FROM control.control_key WHERE kek_id <> $1 FOR UPDATE",
    )
    .bind(&primary)
    .fetch_all(&mut *tx)
    .await?;
    for (version, kek_id, blob) in control {
        let ctx = control_context(version);
        let key = keks.unwrap(&WrappedKey { kek_id, blob }, &ctx)?;
        let w = keks.wrap(&key, &ctx)?;
        sqlx::query("UPDATE control.control_key SET kek_id = $2, wrapped = $3 WHERE version = $1")
            .bind(version)
            .bind(&w.kek_id)
            .bind(&w.blob)
            .execute(&mut *tx)
            .await?;
        done += 1;
    }
    tx.commit().await?;
    // Canaries of KEKs no longer wrapping anything are dropped, so a
    // retired KEK is not demanded at the next start.
    sqlx::query("DELETE FROM control.kek_check WHERE kek_id <> $1")
        .bind(&primary)
        .execute(db.admin())
        .await?;
    progress.finish(&format!("{done} data key(s) rewrapped under KEK {primary}"));
    Ok(done)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateReport {
    pub new_version: i32,
    pub resumed: bool,
    pub fields_reencrypted: u64,
    pub retired_versions: Vec<i32>,
}

/// Makes a new data key for the workspace (or resumes an unfinished
/// rotation), re-encrypts every encrypted field under it through tenant
/// transactions, then retires the older versions.
pub async fn rotate_workspace_key(
    db: &Db,
    keks: &KekSet,
    ws: &Workspace,
    now: OffsetDateTime,
    progress: &dyn Progress,
) -> Result<RotateReport, StoreError> {
    let rows = key_rows(db, ws.id).await?;
    let live: Vec<i32> = rows
        .iter()
        .filter(|r| r.retired_at.is_none())
        .map(|r| r.version)
        .collect();
    // More than one live version means a rotation was started and not
    // finished: resume it instead of starting another.
    let resumed = live.len() > 1;
    if !resumed {
        let version = rows.iter().map(|r| r.version).max().unwrap_or(0) + 1;
        let w = keks.wrap(
            &DataKey::generate(),
            &KeyContext {
                workspace_id: ws.id.0,
                version,
            },
        )?;
        sqlx::query(
            "INSERT INTO control.workspace_key (workspace_id, version, kek_id, wrapped, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(ws.id.0)
        .bind(version)
        .bind(&w.kek_id)
        .bind(&w.blob)
        .bind(now)
        .execute(db.admin())
        .await?;
    }
    let cipher = field_cipher(db, keks, ws.id).await?;
    let primary = cipher.primary_version();
    let prefix = format!("f1:{primary}:%");

    let mut total = 0i64;
    {
        let mut tx = TenantTx::begin(db, ws.id, &crate::Actor::system()).await?;
        for (table, _, column) in ENCRYPTED_COLUMNS {
            let n: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM {table} WHERE {column} NOT LIKE $1"
            ))
            .bind(&prefix)
            .fetch_one(tx.conn())
            .await?;
            total += n;
        }
        tx.commit().await?;
    }
    progress.start(
        &format!("re-encrypting {}", ws.slug),
        u64::try_from(total).unwrap_or(0),
    );
    let mut done = 0u64;
    for (table, pk, column) in ENCRYPTED_COLUMNS {
        loop {
            let mut tx = TenantTx::begin(db, ws.id, &crate::Actor::system()).await?;
            let batch: Vec<(Uuid, String)> = sqlx::query_as(&format!(
                "SELECT {pk}, {column} FROM {table} WHERE {column} NOT LIKE $1 ORDER BY {pk} LIMIT $2 FOR UPDATE"
            ))
            .bind(&prefix)
            .bind(BATCH)
            .fetch_all(tx.conn())
            .await?;
            if batch.is_empty() {
                tx.commit().await?;
                break;
            }
            for (id, stored) in &batch {
                let row = id.to_string();
                let place = FieldPlace::new(ws.id.0, table, column, &row);
                let plain = cipher.decrypt(&place, stored)?;
                let fresh = cipher.encrypt(&place, plain.expose())?;
                sqlx::query(&format!("UPDATE {table} SET {column} = $2 WHERE {pk} = $1"))
                    .bind(id)
                    .bind(fresh)
                    .execute(tx.conn())
                    .await?;
            }
            tx.commit().await?;
            done += batch.len() as u64;
            progress.advance(batch.len() as u64);
        }
    }
    // Attachments' file keys are wrapped by the data key too: re-wrap them
    // before the old version is retired, or the files become unreadable.
    loop {
        let mut tx = TenantTx::begin(db, ws.id, &crate::Actor::system()).await?;
        let n = crate::repo::attachment::rewrap_file_keys(&mut tx, &cipher, BATCH).await?;
        tx.commit().await?;
        if n == 0 {
            break;
        }
        done += n;
        progress.advance(n);
    }
    let retired: Vec<i32> = sqlx::query_scalar(
        "UPDATE control.workspace_key SET retired_at = $3 \
         WHERE workspace_id = $1 AND version <> $2 AND retired_at IS NULL RETURNING version",
    )
    .bind(ws.id.0)
    .bind(primary)
    .bind(now)
    .fetch_all(db.admin())
    .await?;
    progress.finish(&format!(
        "{done} field(s) re-encrypted under data key v{primary} of {}",
        ws.slug
    ));
    Ok(RotateReport {
        new_version: primary,
        resumed,
        fields_reencrypted: done,
        retired_versions: retired,
    })
}
