//! Blobs in a local directory: `<root>/<workspace>/<object>`, files 0600,
//! directories 0700. A put writes `<root>/<workspace>/.tmp-<object>-<random>`,
//! syncs it and renames it into place, so a reader never sees half a file
//! and a crash leaves at most a temp file (never a partial object).

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use bytes::BytesMut;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use tokio::fs;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use crate::{BlobError, BlobKey, BlobStore, ByteStream};

const READ_CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// Uses (and creates, 0700) `root`.
    pub fn new(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        std::fs::DirBuilder::new().recursive(true).create(&root)?;
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700))?;
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of `key` (both parts are UUIDs: no traversal possible).
    pub fn path_of(&self, key: &BlobKey) -> PathBuf {
        self.root
            .join(key.workspace.to_string())
            .join(key.object.to_string())
    }

    async fn workspace_dir(&self, workspace: Uuid) -> io::Result<PathBuf> {
        let dir = self.root.join(workspace.to_string());
        let mut b = fs::DirBuilder::new();
        b.recursive(true).mode(0o700);
        b.create(&dir).await?;
        Ok(dir)
    }

    async fn put_inner(&self, key: &BlobKey, mut data: ByteStream<'_>) -> Result<u64, BlobError> {
        let dir = self.workspace_dir(key.workspace).await.map_err(storage)?;
        let tmp = dir.join(format!(".tmp-{}-{}", key.object, Uuid::new_v4().simple()));
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .await
            .map_err(storage)?;
        let written = async {
            let mut n = 0u64;
            while let Some(chunk) = data.next().await {
                let chunk = chunk.map_err(BlobError::Input)?;
                file.write_all(&chunk).await.map_err(storage)?;
                n += chunk.len() as u64;
            }
            file.sync_all().await.map_err(storage)?;
            Ok(n)
        }
        .await;
        drop(file);
        let n = match written {
            Ok(n) => n,
            Err(e) => {
                let _ = fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        if let Err(e) = fs::rename(&tmp, self.path_of(key)).await {
            let _ = fs::remove_file(&tmp).await;
            return Err(storage(e));
        }
        // The rename is durable once the directory is synced.
        if let Ok(d) = fs::File::open(&dir).await {
            let _ = d.sync_all().await;
        }
        Ok(n)
    }

    async fn get_inner(&self, key: &BlobKey) -> Result<ByteStream<'static>, BlobError> {
        let file = match fs::File::open(self.path_of(key)).await {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(BlobError::NotFound),
            Err(e) => return Err(storage(e)),
        };
        let stream = futures::stream::try_unfold(file, |mut file| async move {
            let mut buf = BytesMut::with_capacity(READ_CHUNK);
            let n = file.read_buf(&mut buf).await?;
            Ok::<_, io::Error>((n > 0).then(|| (buf.freeze(), file)))
        });
        Ok(stream.boxed())
    }

    async fn delete_inner(&self, key: &BlobKey) -> Result<(), BlobError> {
        match fs::remove_file(self.path_of(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(storage(e)),
        }
    }

    async fn delete_workspace_inner(&self, workspace: Uuid) -> Result<u64, BlobError> {
        let dir = self.root.join(workspace.to_string());
        let mut entries = match fs::read_dir(&dir).await {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(storage(e)),
        };
        let mut n = 0;
        while let Some(entry) = entries.next_entry().await.map_err(storage)? {
            fs::remove_file(entry.path()).await.map_err(storage)?;
            n += 1;
        }
        fs::remove_dir(&dir).await.map_err(storage)?;
        Ok(n)
    }
}

/// Storage errors keep the OS reason, never a path with ids in it.
fn storage(e: io::Error) -> BlobError {
    BlobError::Storage(e.kind().to_string())
}

impl BlobStore for LocalDir {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::os::unix::fs::MetadataExt;

    use bytes::Bytes;

    use super::*;

    fn stream(parts: Vec<io::Result<Bytes>>) -> ByteStream<'static> {
        futures::stream::iter(parts).boxed()
    }

    async fn read_all(s: &LocalDir, key: &BlobKey) -> Vec<u8> {
        let mut out = Vec::new();
        let mut st = s.get(key).await.unwrap();
        while let Some(c) = st.next().await {
            out.extend_from_slice(&c.unwrap());
        }
        out
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|r| {
                r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    #[tokio::test]
    async fn put_get_delete_under_the_workspace_prefix_with_private_modes() {
        let tmp = tempfile::tempdir().unwrap();
        let s = LocalDir::new(tmp.path().join("blobs")).unwrap();
        let key = BlobKey::new(Uuid::now_v7(), Uuid::now_v7());
        let big = vec![7u8; 200_000];
        let n = s
            .put(
                &key,
                stream(vec![Ok(Bytes::from_static(b"head ")), Ok(Bytes::from(big))]),
            )
            .await
            .unwrap();
        assert_eq!(n, 200_005);
        let path = s.path_of(&key);
        assert_eq!(
            path,
            tmp.path()
                .join("blobs")
                .join(key.workspace.to_string())
                .join(key.object.to_string())
        );
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert_eq!(
            std::fs::metadata(path.parent().unwrap()).unwrap().mode() & 0o777,
            0o700
        );
        assert_eq!(std::fs::metadata(s.root()).unwrap().mode() & 0o777, 0o700);
        let back = read_all(&s, &key).await;
        assert_eq!(back.len(), 200_005);
        assert!(back.starts_with(b"head "));
        // Only the object: no temp file left over.
        assert_eq!(
            entries(path.parent().unwrap()),
            vec![key.object.to_string()]
        );
        s.delete(&key).await.unwrap();
        assert!(matches!(s.get(&key).await, Err(BlobError::NotFound)));
        s.delete(&key).await.unwrap();
    }

    #[tokio::test]
    async fn an_aborted_put_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let s = LocalDir::new(tmp.path()).unwrap();
        let key = BlobKey::new(Uuid::now_v7(), Uuid::now_v7());
        let err = s
            .put(
                &key,
                stream(vec![
                    Ok(Bytes::from_static(b"partial")),
                    Err(io::Error::other("client went away")),
                ]),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::Input(_)), "{err}");
        assert!(entries(&tmp.path().join(key.workspace.to_string())).is_empty());
        assert!(matches!(s.get(&key).await, Err(BlobError::NotFound)));
    }

    #[tokio::test]
    async fn deleting_a_workspace_removes_its_prefix_only() {
        let tmp = tempfile::tempdir().unwrap();
        let s = LocalDir::new(tmp.path()).unwrap();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let keys = [
            BlobKey::new(a, Uuid::now_v7()),
            BlobKey::new(a, Uuid::now_v7()),
            BlobKey::new(b, Uuid::now_v7()),
        ];
        for k in &keys {
            s.put(k, stream(vec![Ok(Bytes::from_static(b"x"))]))
                .await
                .unwrap();
        }
        assert_eq!(s.delete_workspace(a).await.unwrap(), 2);
        assert_eq!(entries(tmp.path()), vec![b.to_string()]);
        assert_eq!(read_all(&s, &keys[2]).await, b"x");
        assert_eq!(s.delete_workspace(a).await.unwrap(), 0);
    }
}
