//! Attachment storage: opaque, already-encrypted bytes under a key made of
//! two UUIDs (workspace, object). Nothing here sees plaintext or keys: the
//! service encrypts before `put` and decrypts after `get`.
//!
//! Invariants:
//! - A [`BlobKey`] is two UUIDs, so a stored key cannot name a path outside
//!   its workspace's prefix, whatever the database holds.
//! - `put` is all or nothing: a failed or aborted input stream leaves no
//!   object behind (local: temp file + rename; S3: one upload committed at
//!   the end).
//! - `delete` of a missing object succeeds (deletes are retried after
//!   crashes).
#![forbid(unsafe_code)]

mod local;
mod s3;

use std::fmt;
use std::io;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use uuid::Uuid;

pub use local::LocalDir;
pub use s3::{S3, S3Config};

/// A stream of bytes in or out of the store.
pub type ByteStream<'a> = BoxStream<'a, io::Result<Bytes>>;

/// Where an object lives: `<workspace>/<object>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobKey {
    pub workspace: Uuid,
    pub object: Uuid,
}

impl BlobKey {
    pub fn new(workspace: Uuid, object: Uuid) -> Self {
        Self { workspace, object }
    }

    /// Parses `<uuid>/<uuid>` (the form [`fmt::Display`] writes); anything
    /// else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let (w, o) = s.split_once('/')?;
        let workspace = Uuid::parse_str(w).ok()?;
        let object = Uuid::parse_str(o).ok()?;
        // Only the canonical hyphenated form round-trips.
        let key = Self { workspace, object };
        (key.to_string() == s).then_some(key)
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.workspace, self.object)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("no such blob")]
    NotFound,
    /// The input stream of a `put` failed; nothing was stored.
    #[error("upload stream failed: {0}")]
    Input(io::Error),
    #[error("blob storage error: {0}")]
    Storage(String),
}

/// A place to keep attachment blobs.
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// Stores everything `data` yields under `key` (replacing nothing: keys
    /// are fresh UUIDs); returns the byte count. All or nothing.
    fn put<'a>(
        &'a self,
        key: &'a BlobKey,
        data: ByteStream<'a>,
    ) -> BoxFuture<'a, Result<u64, BlobError>>;

    /// The object's bytes, streamed.
    fn get<'a>(&'a self, key: &'a BlobKey)
    -> BoxFuture<'a, Result<ByteStream<'static>, BlobError>>;

    /// Removes the object; a missing one is not an error.
    fn delete<'a>(&'a self, key: &'a BlobKey) -> BoxFuture<'a, Result<(), BlobError>>;

    /// Removes every object of a workspace (erasure).
    fn delete_workspace<'a>(&'a self, workspace: Uuid) -> BoxFuture<'a, Result<u64, BlobError>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_refuse_anything_else() {
        let k = BlobKey::new(Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(BlobKey::parse(&k.to_string()), Some(k));
        let w = k.workspace;
        for bad in [
            String::new(),
            format!("{w}"),
            format!("{w}/../../etc/passwd"),
            format!("../{w}/{w}"),
            format!("{w}/{w}/x"),
            format!("{}/{}", w.simple(), w.simple()),
            format!("{w}/{}", w.to_string().to_uppercase()),
        ] {
            assert_eq!(BlobKey::parse(&bad), None, "{bad}");
        }
    }
}
