//! Attachments: upload (streamed: body -> AES-256-GCM segments -> blob
//! store, size-limited while streaming), list a card's attachments with
//! short-lived download links, delete (row, tokens, blob).
//!
//! Invariants:
//! - Nothing half-written: the blob is stored (all or nothing) before the
//!   row; an upload over the limit, cut off, or onto a card that vanished
//!   leaves neither. A crash between blob and row leaves an orphan blob
//!   whose key was never stored anywhere: unreadable.
//! - No database connection is held while the body streams in.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use tarello_blobs::{BlobKey, BlobStore};
use tarello_crypto::{Encryptor, FileKey};
use tarello_domain::policy::Action;
use tarello_store::keyring;
use tarello_store::repo::attachment::{self, Attachment, Deleted, NewAttachment};
use tarello_store::repo::target::Target;
use time::OffsetDateTime;
use uuid::Uuid;

use super::downloads::{issue_links, revoke_links};
use super::{Cursor, Page, PageQuery, TextRule, found, permit};
use crate::{Caller, ServiceError, Services};

const FILENAME: TextRule = TextRule::line("filename", 1, 255);
const DEFAULT_TYPE: &str = "application/octet-stream";

/// Attachment settings.
#[derive(Debug, Clone)]
pub struct AttachmentConfig {
    /// Largest file accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Lifetime of a download link.
    pub link_ttl_secs: i64,
    /// Origin download links point at (`https://files.example.com`); empty:
    /// links are relative to this server (`/files/<token>`).
    pub files_origin: String,
}

impl Default for AttachmentConfig {
    fn default() -> Self {
        AttachmentConfig {
            max_upload_bytes: 25 * 1024 * 1024,
            link_ttl_secs: 300,
            files_origin: String::new(),
        }
    }
}

/// The blob store and the settings, once wired.
#[derive(Debug)]
pub(crate) struct Files {
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) cfg: AttachmentConfig,
}

/// Why an upload body stopped early (the HTTP edge tells which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadError {
    /// A limit in front of the service cut the body off.
    TooLarge,
    /// The client went away or sent a broken body.
    Broken,
}

/// `?filename=` of an upload.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name, 1 to 255 characters on one line.
    pub filename: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: Uuid,
    pub card_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub uploader_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Works without a login until `download_expires_at`.
    pub download_url: String,
    #[serde(with = "time::serde::rfc3339")]
    pub download_expires_at: OffsetDateTime,
}

impl AttachmentView {
    pub(crate) fn new(a: Attachment, download_url: String, expires: OffsetDateTime) -> Self {
        AttachmentView {
            id: a.attachment_id,
            card_id: a.card_id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size_bytes,
            uploader_id: a.uploader_id,
            created_at: a.created_at,
            download_url,
            download_expires_at: expires,
        }
    }
}

/// The declared media type: `type/subtype[; params]` in visible ASCII, or
/// the generic binary type when none was sent.
fn check_content_type(raw: Option<&str>) -> Result<String, ServiceError> {
    let v = raw.map(str::trim).unwrap_or_default();
    if v.is_empty() {
        return Ok(DEFAULT_TYPE.to_owned());
    }
    let essence = v.split(';').next().unwrap_or_default().trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    let well_formed = v.len() <= 255
        && v.bytes().all(|b| (0x20..0x7f).contains(&b))
        && essence
            .split_once('/')
            .is_some_and(|(t, s)| token(t) && token(s));
    if !well_formed {
        return Err(ServiceError::Invalid {
            field: "content_type",
            message: "Content-Type must be a media type such as image/png".into(),
        });
    }
    Ok(v.to_owned())
}

const OK: u8 = 0;
const OVER: u8 = 1;
const BROKEN: u8 = 2;

impl Services {
    /// Wires the blob store; without it attachment requests fail.
    pub fn with_attachments(mut self, blobs: Arc<dyn BlobStore>, cfg: AttachmentConfig) -> Self {
        self.files = Some(Arc::new(Files { blobs, cfg }));
        self
    }

    /// The upload limit, for the HTTP edge's own body limit.
    pub fn max_upload_bytes(&self) -> Option<u64> {
        self.files.as_ref().map(|f| f.cfg.max_upload_bytes)
    }

    pub(crate) fn files(&self) -> Result<&Arc<Files>, ServiceError> {
        self.files
            .as_ref()
            .ok_or_else(|| ServiceError::Internal("attachment storage is not configured".into()))
    }

    pub async fn upload_attachment<S>(
        &self,
        caller: &Caller,
        card_id: Uuid,
        filename: &str,
        content_type: Option<&str>,
        body: S,
    ) -> Result<AttachmentView, ServiceError>
    where
        S: Stream<Item = Result<Bytes, UploadError>> + Send + Unpin,
    {
        let filename = FILENAME.check(filename)?;
        let content_type = check_content_type(content_type)?;
        let files = self.files()?.clone();
        let ws = caller.workspace.id;

        // Authorize and look at the card, then let the connection go.
        let mut tx = self.tenant(caller).await?;
        let grant = permit(
            &mut tx,
            caller,
            Action::AttachmentUpload,
            Target::Card(card_id),
        )
        .await?;
        if !attachment::lock_card(&mut tx, &grant, card_id).await? {
            return Err(ServiceError::NotFound);
        }
        tx.commit().await?;
        let cipher = keyring::field_cipher(&self.db, &self.keks, ws).await?;

        let id = Uuid::now_v7();
        let key = BlobKey::new(ws.0, id);
        let file_key = FileKey::generate();
        let limit = files.cfg.max_upload_bytes;
        let size = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicU8::new(OK));
        let sealed = encrypting(
            body,
            Encryptor::new(&file_key),
            limit,
            size.clone(),
            stop.clone(),
        );
        if let Err(e) = files.blobs.put(&key, sealed.boxed()).await {
            return Err(match stop.load(Ordering::SeqCst) {
                OVER => {
                    ServiceError::TooLarge(format!("an attachment may have at most {limit} bytes"))
                }
                BROKEN => ServiceError::BadRequest {
                    field: "body",
                    message: "the upload was interrupted".into(),
                },
                _ => ServiceError::Internal(e.to_string()),
            });
        }
        let size_bytes = i64::try_from(size.load(Ordering::SeqCst)).unwrap_or(i64::MAX);

        let blob_key = key.to_string();
        let stored = async {
            let mut tx = self.tenant(caller).await?;
            let new = NewAttachment {
                attachment_id: id,
                filename,
                content_type: &content_type,
                size_bytes,
                blob_key: &blob_key,
            };
            let now = self.clock.now();
            let row =
                attachment::insert(&mut tx, &grant, &cipher, card_id, &new, &file_key, now).await?;
            let row = found(row)?;
            tx.commit().await?;
            Ok::<_, ServiceError>(row)
        }
        .await;
        let row = match stored {
            Ok(row) => row,
            Err(e) => {
                // No row points at the blob: remove it.
                if let Err(del) = files.blobs.delete(&key).await {
                    tracing::warn!(error = %del, "could not remove the blob of a failed upload");
                }
                return Err(e);
            }
        };
        let mut views = issue_links(self, &files, ws, vec![row]).await?;
        views
            .pop()
            .ok_or_else(|| ServiceError::Internal("no view".into()))
    }

    /// A card's attachments, each with a fresh download link.
    pub async fn list_attachments(
        &self,
        caller: &Caller,
        card_id: Uuid,
        page: &PageQuery,
    ) -> Result<Page<AttachmentView>, ServiceError> {
        let cursor = Cursor::parse(page, caller.workspace.id)?;
        let files = self.files()?.clone();
        let mut tx = self.tenant(caller).await?;
        let grant = permit(
            &mut tx,
            caller,
            Action::AttachmentRead,
            Target::Card(card_id),
        )
        .await?;
        super::must_see(&mut tx, caller, Target::Card(card_id)).await?;
        let rows = attachment::list(&mut tx, &grant, card_id, cursor.after, cursor.limit).await?;
        tx.commit().await?;
        let next_cursor = cursor.next(caller.workspace.id, &rows, |a| a.attachment_id);
        let items = issue_links(self, &files, caller.workspace.id, rows).await?;
        Ok(Page { items, next_cursor })
    }

    /// Deletes the row (members: their own uploads; admins: any), then its
    /// links and its blob.
    pub async fn delete_attachment(&self, caller: &Caller, id: Uuid) -> Result<(), ServiceError> {
        let files = self.files()?.clone();
        let mut tx = self.tenant(caller).await?;
        let grant = permit(
            &mut tx,
            caller,
            Action::AttachmentDelete,
            Target::Attachment(id),
        )
        .await?;
        let blob_key = match attachment::delete(&mut tx, &grant, id).await? {
            Deleted::Done { blob_key } => blob_key,
            Deleted::NotOwn => {
                return Err(ServiceError::Forbidden(
                    "members delete only attachments they uploaded".into(),
                ));
            }
            Deleted::Missing => return Err(ServiceError::NotFound),
        };
        tx.commit().await?;
        revoke_links(self, caller.workspace.id, id).await?;
        // The row (and with it the file key) is gone: the blob is already
        // unreadable; removing it frees the space.
        match BlobKey::parse(&blob_key) {
            Some(key) => {
                if let Err(e) = files.blobs.delete(&key).await {
                    tracing::warn!(error = %e, "could not remove the blob of a deleted attachment");
                }
            }
            None => tracing::warn!("a deleted attachment had a malformed blob key"),
        }
        Ok(())
    }
}

/// The upload body as blob bytes: counted (over `limit` stops it), then
/// encrypted segment by segment. `stop` says why it ended early.
fn encrypting<S>(
    body: S,
    enc: Encryptor,
    limit: u64,
    size: Arc<AtomicU64>,
    stop: Arc<AtomicU8>,
) -> impl Stream<Item = io::Result<Bytes>> + Send
where
    S: Stream<Item = Result<Bytes, UploadError>> + Send + Unpin,
{
    futures::stream::unfold(Some((body, enc)), move |state| {
        let (size, stop) = (size.clone(), stop.clone());
        async move {
            let (mut body, mut enc) = state?;
            let fail = |why: u8| {
                stop.store(why, Ordering::SeqCst);
                Some((Err(io::Error::other("upload stopped")), None))
            };
            match body.next().await {
                Some(Ok(chunk)) => {
                    let total =
                        size.fetch_add(chunk.len() as u64, Ordering::SeqCst) + chunk.len() as u64;
                    if total > limit {
                        return fail(OVER);
                    }
                    let mut out = Vec::with_capacity(chunk.len() + 64);
                    if enc.push(&chunk, &mut out).is_err() {
                        return fail(BROKEN);
                    }
                    Some((Ok(Bytes::from(out)), Some((body, enc))))
                }
                Some(Err(UploadError::TooLarge)) => fail(OVER),
                Some(Err(UploadError::Broken)) => fail(BROKEN),
                None => {
                    let mut out = Vec::with_capacity(64);
                    match enc.finish(&mut out) {
                        Ok(()) => Some((Ok(Bytes::from(out)), None)),
                        Err(_) => fail(BROKEN),
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_media_types_or_default() {
        assert_eq!(check_content_type(None).unwrap(), DEFAULT_TYPE);
        assert_eq!(check_content_type(Some("  ")).unwrap(), DEFAULT_TYPE);
        assert_eq!(
            check_content_type(Some("text/plain; charset=utf-8")).unwrap(),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            check_content_type(Some("image/svg+xml")).unwrap(),
            "image/svg+xml"
        );
        for bad in [
            "text",
            "/x",
            "a/",
            "text/html\r\nX: y",
            "tëxt/plain",
            "a b/c",
        ] {
            assert!(check_content_type(Some(bad)).is_err(), "{bad}");
        }
        assert!(check_content_type(Some(&format!("a/{}", "b".repeat(300)))).is_err());
    }

    #[tokio::test]
    async fn the_limit_stops_the_stream_and_says_why() {
        let chunks: Vec<Result<Bytes, UploadError>> = vec![
            Ok(Bytes::from(vec![1u8; 60])),
            Ok(Bytes::from(vec![2u8; 60])),
        ];
        let size = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicU8::new(OK));
        let s = encrypting(
            futures::stream::iter(chunks),
            Encryptor::new(&FileKey::generate()),
            100,
            size.clone(),
            stop.clone(),
        );
        let out: Vec<io::Result<Bytes>> = s.collect().await;
        assert_eq!(out.len(), 2);
        assert!(out[0].is_ok() && out[1].is_err());
        assert_eq!(stop.load(Ordering::SeqCst), OVER);

        let stop = Arc::new(AtomicU8::new(OK));
        let s = encrypting(
            futures::stream::iter(vec![Ok(Bytes::from_static(b"abc"))]),
            Encryptor::new(&FileKey::generate()),
            3,
            Arc::new(AtomicU64::new(0)),
            stop.clone(),
        );
        let out: Vec<io::Result<Bytes>> = s.collect().await;
        assert!(out.iter().all(Result::is_ok));
        assert_eq!(stop.load(Ordering::SeqCst), OK);
    }
}
