//! The S3 backend against an S3-compatible server (Python `moto`, started
//! by `tests/moto_s3.py`): round trips, multipart uploads, aborted uploads
//! leave nothing, deletes. The interpreter is `$TARELLO_PYTHON` (default
//! `python3`); without `moto` the test fails, it never passes silently.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use futures::StreamExt;
use tarello_blobs::{BlobError, BlobKey, BlobStore, ByteStream, S3, S3Config};
use uuid::Uuid;

struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn moto(bucket: &str) -> Moto {
    let py = std::env::var("TARELLO_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/moto_s3.py");
    let mut child = Command::new(&py)
        .arg(script)
        .arg(bucket)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{py}` ({e}); set TARELLO_PYTHON"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .strip_prefix("ready ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| {
            panic!("moto did not start (pip install 'moto[server]' into TARELLO_PYTHON's env): {line:?}")
        });
    Moto { child, port }
}

fn stream(parts: Vec<io::Result<Bytes>>) -> ByteStream<'static> {
    futures::stream::iter(parts).boxed()
}

async fn read_all(s: &S3, key: &BlobKey) -> Result<Vec<u8>, BlobError> {
    let mut out = Vec::new();
    let mut st = s.get(key).await?;
    while let Some(c) = st.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    Ok(out)
}

#[tokio::test]
async fn s3_round_trips_multipart_and_aborts_leave_nothing() {
    let m = moto("tarello-test");
    let s3 = S3::new(&S3Config {
        bucket: "tarello-test".into(),
        region: "us-east-1".into(),
        endpoint: format!("http://127.0.0.1:{}", m.port),
        access_key_id: "test".into(),
        secret_access_key: "moto-accepts-any-secret".into(),
        prefix: "blobs/".into(),
    })
    .unwrap();
    s3.check().await.unwrap();
    assert!(!format!("{s3:?}").contains("moto-accepts"));

    let ws = Uuid::now_v7();
    let small = BlobKey::new(ws, Uuid::now_v7());
    assert_eq!(
        s3.put(&small, stream(vec![Ok(Bytes::from_static(b"hello "))]))
            .await
            .unwrap(),
        6
    );
    assert_eq!(read_all(&s3, &small).await.unwrap(), b"hello ");

    // 12 MiB in 1 MiB pieces: a multipart upload of 5 MiB parts.
    let big = BlobKey::new(ws, Uuid::now_v7());
    let piece: Vec<u8> = (0..1 << 20).map(|i| (i % 241) as u8).collect();
    let parts = (0..12).map(|_| Ok(Bytes::from(piece.clone()))).collect();
    assert_eq!(s3.put(&big, stream(parts)).await.unwrap(), 12 << 20);
    let back = read_all(&s3, &big).await.unwrap();
    assert_eq!(back.len(), 12 << 20);
    assert!(back.chunks(1 << 20).all(|c| c == piece.as_slice()));

    // Cut off after a part was uploaded: nothing becomes visible.
    let cut = BlobKey::new(ws, Uuid::now_v7());
    let mut parts: Vec<io::Result<Bytes>> =
        (0..7).map(|_| Ok(Bytes::from(piece.clone()))).collect();
    parts.push(Err(io::Error::other("client went away")));
    let err = s3.put(&cut, stream(parts)).await.unwrap_err();
    assert!(matches!(err, BlobError::Input(_)), "{err}");
    assert!(matches!(
        read_all(&s3, &cut).await,
        Err(BlobError::NotFound)
    ));
    // Cut off before the first part: nothing either.
    let early = BlobKey::new(ws, Uuid::now_v7());
    let err = s3
        .put(
            &early,
            stream(vec![
                Ok(Bytes::from_static(b"x")),
                Err(io::Error::other("gone")),
            ]),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BlobError::Input(_)));
    assert!(matches!(
        read_all(&s3, &early).await,
        Err(BlobError::NotFound)
    ));

    s3.delete(&small).await.unwrap();
    assert!(matches!(
        read_all(&s3, &small).await,
        Err(BlobError::NotFound)
    ));
    s3.delete(&small).await.unwrap();

    let other = BlobKey::new(Uuid::now_v7(), Uuid::now_v7());
    s3.put(&other, stream(vec![Ok(Bytes::from_static(b"o"))]))
        .await
        .unwrap();
    assert_eq!(s3.delete_workspace(ws).await.unwrap(), 1);
    assert!(matches!(
        read_all(&s3, &big).await,
        Err(BlobError::NotFound)
    ));
    assert_eq!(read_all(&s3, &other).await.unwrap(), b"o");
}
