//! Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph, …) through
//! `object_store`: objects `<prefix><workspace>/<object>`. A put buffers up
//! to one part (5 MiB): small files go up in one PUT, larger ones as a
//! multipart upload that becomes visible only when completed and is aborted
//! on any error, so nothing partial is ever readable. (A multipart upload cut
//! off by a crash is invisible; a bucket lifecycle rule removes it.)

use std::fmt;
use std::io;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::{BlobError, BlobKey, BlobStore, ByteStream};

/// S3 needs parts of at least 5 MiB (the last excepted).
const PART: usize = 5 * 1024 * 1024;

/// Where and how to reach the bucket.
#[derive(Clone, Default)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    /// `https://…` of an S3-compatible service; empty: AWS. `http://` is
    /// allowed for a service on a private network.
    pub endpoint: String,
    /// Empty: taken from the `AWS_*` environment (or instance credentials).
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Prepended to every object name, e.g. `tarello/`.
    pub prefix: String,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("prefix", &self.prefix)
            .field("secret_access_key", &"***")
            .finish_non_exhaustive()
    }
}

pub struct S3 {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    bucket: String,
}

impl fmt::Debug for S3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn s3_error(e: object_store::Error) -> BlobError {
    match e {
        object_store::Error::NotFound { .. } => BlobError::NotFound,
        // The error text names the operation and the HTTP status, never the
        // credentials; object names are ids, not user content.
        other => BlobError::Storage(other.to_string()),
    }
}

impl S3 {
    pub fn new(cfg: &S3Config) -> Result<Self, BlobError> {
        let mut b = AmazonS3Builder::from_env().with_bucket_name(&cfg.bucket);
        if !cfg.region.is_empty() {
            b = b.with_region(&cfg.region);
        }
        if !cfg.endpoint.is_empty() {
            b = b
                .with_endpoint(&cfg.endpoint)
                .with_allow_http(cfg.endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if !cfg.access_key_id.is_empty() {
            b = b
                .with_access_key_id(&cfg.access_key_id)
                .with_secret_access_key(&cfg.secret_access_key);
        }
        let store = b
            .build()
            .map_err(|e| BlobError::Storage(format!("S3 settings: {e}")))?;
        Ok(Self {
            store: Arc::new(store),
            prefix: cfg.prefix.clone(),
            bucket: cfg.bucket.clone(),
        })
    }

    fn path(&self, key: &BlobKey) -> Path {
        Path::from(format!("{}{key}", self.prefix))
    }

    async fn put_inner(&self, key: &BlobKey, mut data: ByteStream<'_>) -> Result<u64, BlobError> {
        let mut w = BufWriter::with_capacity(self.store.clone(), self.path(key), PART)
            .with_max_concurrency(2);
        let mut n = 0u64;
        let streamed = async {
            while let Some(chunk) = data.next().await {
                let chunk = chunk.map_err(BlobError::Input)?;
                n += chunk.len() as u64;
                w.put(chunk).await.map_err(s3_error)?;
            }
            Ok(())
        }
        .await;
        if let Err(e) = streamed {
            if let Err(abort) = w.abort().await {
                tracing::warn!(error = %abort, "could not abort an S3 upload");
            }
            return Err(e);
        }
        w.shutdown()
            .await
            .map_err(|e| BlobError::Storage(e.to_string()))?;
        Ok(n)
    }

    async fn get_inner(&self, key: &BlobKey) -> Result<ByteStream<'static>, BlobError> {
        let got = self.store.get(&self.path(key)).await.map_err(s3_error)?;
        Ok(got.into_stream().map_err(io::Error::other).boxed())
    }

    async fn delete_inner(&self, key: &BlobKey) -> Result<(), BlobError> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(s3_error(e)),
        }
    }

    async fn delete_workspace_inner(&self, workspace: Uuid) -> Result<u64, BlobError> {
        let prefix = Path::from(format!("{}{workspace}", self.prefix));
        let names = self
            .store
            .list(Some(&prefix))
            .map_ok(|m| m.location)
            .boxed();
        let gone: Vec<Path> = self
            .store
            .delete_stream(names)
            .try_collect()
            .await
            .map_err(s3_error)?;
        Ok(gone.len() as u64)
    }

    /// Writes and reads back a probe object: a wrong bucket or key fails at
    /// start, not at the first upload.
    pub async fn check(&self) -> Result<(), BlobError> {
        let probe = Path::from(format!("{}.tarello-probe", self.prefix));
        self.store
            .put(&probe, PutPayload::from_static(b"ok"))
            .await
            .map_err(s3_error)?;
        self.store.get(&probe).await.map_err(s3_error)?;
        self.store.delete(&probe).await.map_err(s3_error)?;
        Ok(())
    }
}

impl BlobStore for S3 {
    fn put<'a>(
        &'a self,
        key: &'a BlobKey,
        data: ByteStream<'a>,
    ) -> BoxFuture<'a, Result<u64, BlobError>> {
        self.put_inner(key, data).boxed()
    }

    fn get<'a>(
        &'a self,
        key: &'a BlobKey,
    ) -> BoxFuture<'a, Result<ByteStream<'static>, BlobError>> {
        self.get_inner(key).boxed()
    }

    fn delete<'a>(&'a self, key: &'a BlobKey) -> BoxFuture<'a, Result<(), BlobError>> {
        self.delete_inner(key).boxed()
    }

    fn delete_workspace<'a>(&'a self, workspace: Uuid) -> BoxFuture<'a, Result<u64, BlobError>> {
        self.delete_workspace_inner(workspace).boxed()
    }
}
