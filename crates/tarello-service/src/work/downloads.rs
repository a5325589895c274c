//! Download links: `GET /files/<token>` works without a login, so the token
//! is the whole authority. It is 256 random bits (base64url, 43 characters),
//! stored only as its SHA-256, names one attachment of one workspace and
//! expires after the configured lifetime. Unknown, expired, malformed and
//! foreign tokens all answer the same NotFound.

use std::io;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use tarello_blobs::{BlobError, BlobKey};
use tarello_crypto::{Decryptor, SecretString};
use tarello_domain::WorkspaceId;
use tarello_store::repo::attachment::{self, Attachment};
use tarello_store::{TenantTx, file_token, keyring};
use time::Duration;
use uuid::Uuid;

use super::attachments::{AttachmentView, Files};
use crate::{ServiceError, Services};

const TOKEN_BYTES: usize = 32;
/// Base64url without padding of 32 bytes.
const TOKEN_CHARS: usize = 43;

/// Media types served as themselves; anything else is served as
/// `application/octet-stream` (never HTML, SVG or script).
const SAFE_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/zip",
];

/// What `GET /files/<token>` sends.
pub struct Download {
    pub filename: String,
    /// Safe to send as `Content-Type` (see [`SAFE_TYPES`]).
    pub content_type: String,
    pub size: u64,
    /// The decrypted bytes; ends with an error (abort the response) if the
    /// blob does not verify.
    pub body: BoxStream<'static, io::Result<Bytes>>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

fn new_token() -> (SecretString, [u8; 32]) {
    let mut bytes = [0u8; TOKEN_BYTES];
    OsRng.fill_bytes(&mut bytes);
    let token = SecretString::new(URL_SAFE_NO_PAD.encode(bytes));
    zeroize::Zeroize::zeroize(&mut bytes);
    let hash = token_hash(token.expose());
    (token, hash)
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The `Content-Type` to serve for a stored one.
pub fn served_type(stored: &str) -> String {
    let essence = stored
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match SAFE_TYPES.iter().find(|t| **t == essence) {
        Some(t) if t.starts_with("text/") => format!("{t}; charset=utf-8"),
        Some(t) => (*t).to_owned(),
        None => "application/octet-stream".to_owned(),
    }
}

/// Mints one link per attachment (one statement) and shapes the views.
pub(crate) async fn issue_links(
    s: &Services,
    files: &Files,
    ws: WorkspaceId,
    rows: Vec<Attachment>,
) -> Result<Vec<AttachmentView>, ServiceError> {
    let expires = s.clock.now() + Duration::seconds(files.cfg.link_ttl_secs);
    let minted: Vec<(SecretString, [u8; 32])> = rows.iter().map(|_| new_token()).collect();
    let stored: Vec<([u8; 32], Uuid)> = minted
        .iter()
        .zip(&rows)
        .map(|((_, h), a)| (*h, a.attachment_id))
        .collect();
    file_token::issue(&s.db, ws, &stored, expires, s.clock.now()).await?;
    let origin = files.cfg.files_origin.trim_end_matches('/');
    Ok(rows
        .into_iter()
        .zip(minted)
        .map(|(a, (token, _))| {
            let url = format!("{origin}/files/{}", token.expose());
            AttachmentView::new(a, url, expires)
        })
        .collect())
}

pub(crate) async fn revoke_links(
    s: &Services,
    ws: WorkspaceId,
    attachment_id: Uuid,
) -> Result<(), ServiceError> {
    Ok(file_token::revoke(&s.db, ws, attachment_id).await?)
}

impl Services {
    /// `GET /files/<token>`: the attachment the token names, decrypted as
    /// it streams.
    pub async fn download(&self, token: &str) -> Result<Download, ServiceError> {
        let well_formed = token.len() == TOKEN_CHARS
            && URL_SAFE_NO_PAD
                .decode(token)
                .is_ok_and(|b| b.len() == TOKEN_BYTES);
        if !well_formed {
            return Err(ServiceError::NotFound);
        }
        let files = self.files()?.clone();
        let redeemed = file_token::redeem(&self.db, &token_hash(token), self.clock.now()).await?;
        let redeemed = redeemed.ok_or(ServiceError::NotFound)?;
        let ws = redeemed.workspace();
        let cipher = keyring::field_cipher(&self.db, &self.keks, ws).await?;
        let mut tx = TenantTx::begin(&self.db, ws, &tarello_store::Actor::public()).await?;
        let found = attachment::for_download(&mut tx, &cipher, &redeemed).await?;
        tx.commit().await?;
        let (row, file_key) = found.ok_or(ServiceError::NotFound)?;
        let key = BlobKey::parse(&row.blob_key)
            .ok_or_else(|| ServiceError::Internal("malformed blob key".into()))?;
        let blob = match files.blobs.get(&key).await {
            Ok(b) => b,
            Err(BlobError::NotFound) => {
                tracing::warn!("an attachment's blob is missing");
                return Err(ServiceError::NotFound);
            }
            Err(e) => return Err(ServiceError::Internal(e.to_string())),
        };
        let size = u64::try_from(row.size_bytes).unwrap_or(0);
        Ok(Download {
            filename: row.filename,
            content_type: served_type(&row.content_type),
            size,
            body: decrypting(blob, Decryptor::new(&file_key), size),
        })
    }
}

/// Blob bytes in, verified plaintext out; an error ends the stream if a
/// segment fails, the blob is cut short, or the length is not the stored one.
fn decrypting(
    blob: BoxStream<'static, io::Result<Bytes>>,
    dec: Decryptor,
    expected: u64,
) -> BoxStream<'static, io::Result<Bytes>> {
    let bad = || io::Error::other("attachment blob does not verify");
    futures::stream::try_unfold(
        (Some(blob), Some(dec), 0u64),
        move |(blob, dec, seen)| async move {
            let (Some(mut blob), Some(mut dec)) = (blob, dec) else {
                return Ok(None);
            };
            let mut out = Vec::new();
            match blob.try_next().await? {
                Some(chunk) => {
                    dec.push(&chunk, &mut out).map_err(|_| bad())?;
                    let seen = seen + out.len() as u64;
                    Ok(Some((Bytes::from(out), (Some(blob), Some(dec), seen))))
                }
                None => {
                    dec.finish(&mut out).map_err(|_| bad())?;
                    if seen + out.len() as u64 != expected {
                        return Err(bad());
                    }
                    Ok(Some((Bytes::from(out), (None, None, expected))))
                }
            }
        },
    )
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_of_base64url_and_hashed() {
        let (t, h) = new_token();
        assert_eq!(t.expose().len(), TOKEN_CHARS);
        assert!(
            t.expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(t.expose()).unwrap().len(), 32);
        assert_eq!(h, token_hash(t.expose()));
        assert_ne!(new_token().1, h);
        assert_eq!(format!("{t:?}"), "***");
    }

    #[test]
    fn only_safe_types_are_served_as_themselves() {
        assert_eq!(served_type("image/PNG"), "image/png");
        assert_eq!(served_type("text/plain"), "text/plain; charset=utf-8");
        assert_eq!(
            served_type("text/plain; charset=utf-7"),
            "text/plain; charset=utf-8"
        );
        for risky in [
            "text/html",
            "image/svg+xml",
            "application/javascript",
            "text/xml",
            "application/xhtml+xml",
            "application/octet-stream",
            "multipart/x-mixed-replace",
        ] {
            assert_eq!(served_type(risky), "application/octet-stream", "{risky}");
        }
    }
}
