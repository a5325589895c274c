//! Attachment metadata. The bytes live in the blob store, encrypted under a
//! key of their own; that key is stored here wrapped by the workspace's
//! data key and bound to (workspace, attachment), so a row copied elsewhere
//! opens nothing. Reads filter by board visibility in SQL; deletes also by
//! the grant's scope (own for members, any for admins).

use tarello_crypto::{FieldCipher, FileKey, FilePlace};
use tarello_domain::policy::{Action, Grant};
use time::OffsetDateTime;
use uuid::Uuid;

use super::scope::{require, visible};
use crate::file_token::Redeemed;
use crate::{StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attachment {
    pub attachment_id: Uuid,
    pub card_id: Uuid,
    pub uploader_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub blob_key: String,
    /// `k1:<version>:…` — see `tarello_crypto::file`.
    pub file_key: String,
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str = "x.attachment_id, x.card_id, x.uploader_id, x.filename, x.content_type, \
     x.size_bytes, x.blob_key, x.file_key, x.created_at";

fn place(tx: &TenantTx, attachment_id: Uuid) -> FilePlace {
    FilePlace {
        workspace_id: tx.workspace().0,
        attachment_id,
    }
}

#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    pub attachment_id: Uuid,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub blob_key: &'a str,
}

/// Is the card on a board the grant can see? Locks it against deletion
/// until the transaction ends.
pub async fn lock_card(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
) -> Result<bool, StoreError> {
    let q = concat!(
        "SELECT c.card_id FROM card c JOIN board b ON b.board_id = c.board_id WHERE c.card_id = $3 AND ",
        visible!(),
        " FOR KEY SHARE OF c"
    );
    let found: Option<Uuid> = sqlx::query_scalar(q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(card_id)
        .fetch_optional(tx.conn())
        .await?;
    Ok(found.is_some())
}

/// Records an uploaded file on a card; `None` when the card is gone or
/// not visible. `key` is wrapped here under the workspace's primary data key.
pub async fn insert(
    tx: &mut TenantTx,
    grant: &Grant,
    cipher: &FieldCipher,
    card_id: Uuid,
    new: &NewAttachment<'_>,
    key: &FileKey,
    now: OffsetDateTime,
) -> Result<Option<Attachment>, StoreError> {
    require(grant, Action::AttachmentUpload)?;
    if !lock_card(tx, grant, card_id).await? {
        return Ok(None);
    }
    let wrapped = key.wrap(cipher, &place(tx, new.attachment_id))?;
    let q = format!(
        "INSERT INTO attachment AS x (attachment_id, card_id, uploader_id, filename, content_type, \
         size_bytes, blob_key, file_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         RETURNING {COLUMNS}"
    );
    Ok(Some(
        sqlx::query_as(&q)
            .bind(new.attachment_id)
            .bind(card_id)
            .bind(grant.principal_id())
            .bind(new.filename)
            .bind(new.content_type)
            .bind(new.size_bytes)
            .bind(new.blob_key)
            .bind(wrapped)
            .bind(now)
            .fetch_one(tx.conn())
            .await?,
    ))
}

/// A card's attachments in id order after `after` (the caller checked that
/// the card is visible; the filter repeats it).
pub async fn list(
    tx: &mut TenantTx,
    grant: &Grant,
    card_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Attachment>, StoreError> {
    require(grant, Action::AttachmentRead)?;
    let q = format!(
        "SELECT {COLUMNS} FROM attachment x JOIN card c ON c.card_id = x.card_id \
         JOIN board b ON b.board_id = c.board_id WHERE x.card_id = $3 AND {} \
         AND ($4::uuid IS NULL OR x.attachment_id > $4) ORDER BY x.attachment_id LIMIT $5",
        visible!()
    );
    Ok(sqlx::query_as(&q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(card_id)
        .bind(after)
        .bind(limit)
        .fetch_all(tx.conn())
        .await?)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    /// Gone; the blob under this key is to be removed after commit.
    Done { blob_key: String },
    /// Visible, but the grant reaches only the principal's own uploads.
    NotOwn,
    /// Not there, or not visible.
    Missing,
}

pub async fn delete(
    tx: &mut TenantTx,
    grant: &Grant,
    attachment_id: Uuid,
) -> Result<Deleted, StoreError> {
    require(grant, Action::AttachmentDelete)?;
    let q = concat!(
        "SELECT x.uploader_id FROM attachment x JOIN card c ON c.card_id = x.card_id \
         JOIN board b ON b.board_id = c.board_id WHERE x.attachment_id = $3 AND ",
        visible!(),
        " FOR UPDATE OF x"
    );
    let uploader: Option<Uuid> = sqlx::query_scalar(q)
        .bind(grant.sees_all_boards())
        .bind(grant.principal_id())
        .bind(attachment_id)
        .fetch_optional(tx.conn())
        .await?;
    let Some(uploader) = uploader else {
        return Ok(Deleted::Missing);
    };
    if grant.own_only() && uploader != grant.principal_id() {
        return Ok(Deleted::NotOwn);
    }
    let blob_key: String =
        sqlx::query_scalar("DELETE FROM attachment WHERE attachment_id = $1 RETURNING blob_key")
            .bind(attachment_id)
            .fetch_one(tx.conn())
            .await?;
    Ok(Deleted::Done { blob_key })
}

/// The attachment a redeemed download token names, with its unwrapped key.
/// The token is the authority here: the link works without a login.
pub async fn for_download(
    tx: &mut TenantTx,
    cipher: &FieldCipher,
    token: &Redeemed,
) -> Result<Option<(Attachment, FileKey)>, StoreError> {
    if token.workspace() != tx.workspace() {
        return Ok(None);
    }
    let q = format!("SELECT {COLUMNS} FROM attachment x WHERE x.attachment_id = $1");
    let row: Option<Attachment> = sqlx::query_as(&q)
        .bind(token.attachment_id())
        .fetch_optional(tx.conn())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let key = FileKey::unwrap(&row.file_key, cipher, &place(tx, row.attachment_id))?;
    Ok(Some((row, key)))
}

/// Re-wraps up to `batch` file keys not under the cipher's primary data key
/// (key rotation); returns how many. Call until it returns 0.
pub(crate) async fn rewrap_file_keys(
    tx: &mut TenantTx,
    cipher: &FieldCipher,
    batch: i64,
) -> Result<u64, StoreError> {
    let prefix = format!("k1:{}:%", cipher.primary_version());
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT attachment_id, file_key FROM attachment WHERE file_key NOT LIKE $1 \
         ORDER BY attachment_id LIMIT $2 FOR UPDATE",
    )
    .bind(&prefix)
    .bind(batch)
    .fetch_all(tx.conn())
    .await?;
    for (id, stored) in &rows {
        let p = place(tx, *id);
        let fresh = FileKey::unwrap(stored, cipher, &p)?.wrap(cipher, &p)?;
        sqlx::query("UPDATE attachment SET file_key = $2 WHERE attachment_id = $1")
            .bind(id)
            .bind(fresh)
            .execute(tx.conn())
            .await?;
    }
    Ok(rows.len() as u64)
}
