//! Attachments end to end (ENC-4): stored encrypted on disk, downloadable
//! only through a short-lived unguessable link that serves them as inert
//! downloads, size-limited while streaming with nothing left behind,
//! authorized like the rest of the work model, and tokens never logged.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{Server, Tarello};
use crate::personas::{Persona, World, world};

const MARKER: &[u8] = b"PLAINTEXT-MARKER-7f3a9c";

/// POSTs `body` as an attachment of `card` to `api` (an `/api/v1` base).
async fn upload_to(
    c: &reqwest::Client,
    api: &str,
    token: &str,
    card: &str,
    name: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = c
        .post(format!("{api}/workspaces/acme/cards/{card}/attachments"))
        .query(&[("filename", name)])
        .bearer_auth(token)
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn upload(w: &World, who: &Persona, card: &str, name: &str, body: Vec<u8>) -> (u16, Value) {
    upload_to(
        &w.r.c,
        &w.r.base,
        &who.token,
        card,
        name,
        Some("application/octet-stream"),
        body,
    )
    .await
}

/// GETs a download link (relative to the server) with no credentials.
async fn fetch(c: &reqwest::Client, srv: &Server, url: &str) -> reqwest::Response {
    c.get(srv.url(url)).send().await.unwrap()
}

fn token_of(url: &str) -> String {
    url.strip_prefix("/files/")
        .unwrap_or_else(|| panic!("not a relative download link: {url}"))
        .to_owned()
}

/// Every regular file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn sample(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len).map(|i| (i * 13 % 251) as u8).collect();
    for at in [0, len / 2, len.saturating_sub(MARKER.len())] {
        if at + MARKER.len() <= len {
            v[at..at + MARKER.len()].copy_from_slice(MARKER);
        }
    }
    v
}

async fn card_on(w: &World, visibility: &str) -> String {
    let board = w.board(&format!("Files {visibility}"), visibility).await;
    let list = w.list(&board, "Todo").await;
    w.card(&list, "With files").await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn list(w: &World, who: &Persona, card: &str) -> (u16, Value) {
    w.call(
        Method::GET,
        &format!("/workspaces/acme/cards/{card}/attachments"),
        who,
        None,
    )
    .await
}

// proves: ENC-4
#[tokio::test]
async fn attachments_are_encrypted_at_rest_and_served_inert_by_an_unguessable_link() {
    let w = world().await;
    let card = card_on(&w, "workspace").await;
    // Larger than the JSON body limit (1 MiB) and than one 64 KiB segment.
    let plain = sample(1_500_000);
    let (s, a) = upload(&w, &w.member, &card, "report <q1>.bin", plain.clone()).await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["filename"], "report <q1>.bin");
    assert_eq!(a["size"], 1_500_000);
    assert_eq!(a["content_type"], "application/octet-stream");
    assert_eq!(a["card_id"], card.as_str());
    let id = a["id"].as_str().unwrap();
    let url = a["download_url"].as_str().unwrap();

    // The token: 256 bits of base64url, not a UUID.
    let token = token_of(url);
    assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32, "{token}");
    assert!(token.len() >= 22);
    assert!(uuid::Uuid::parse_str(&token).is_err());
    assert!(!token.contains(id) && !url.contains(&card));

    // On disk: <blobs>/<workspace id>/<attachment id>, 0600, no plaintext.
    let blobs = w.r.t.data_dir().join("blobs");
    let stored: Vec<PathBuf> = files_under(&blobs)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == id))
        .collect();
    assert_eq!(stored.len(), 1, "{:?}", files_under(&blobs));
    let on_disk = std::fs::read(&stored[0]).unwrap();
    assert!(!on_disk.windows(MARKER.len()).any(|x| x == MARKER));
    assert!(on_disk.len() > plain.len(), "sealed segments carry tags");
    assert_eq!(
        std::fs::metadata(&stored[0]).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let mut su = w.r.tdb.superuser().await;
    let (ws_id, schema): (uuid::Uuid, String) = sqlx::query_as(
        "SELECT workspace_id, schema_name FROM control.workspace WHERE slug = 'acme'",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(
        stored[0]
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy(),
        ws_id.to_string()
    );
    // The row holds the file key only wrapped; the token only hashed.
    let (file_key,): (String,) = sqlx::query_as(&format!(
        "SELECT file_key FROM {schema}.attachment WHERE attachment_id = $1::uuid"
    ))
    .bind(id)
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert!(file_key.starts_with("k1:1:"), "{file_key}");
    let hashes: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM control.file_token")
        .fetch_all(&mut su)
        .await
        .unwrap();
    let raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
    assert!(hashes.iter().all(|h| h.len() == 32 && *h != raw));

    // Download: no login needed; the bytes are the original; inert headers.
    let res = fetch(&w.r.c, &w.r.srv, url).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    let header = |n: &str| h.get(n).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        header("content-type").as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(
        header("content-security-policy").as_deref(),
        Some("sandbox")
    );
    assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"));
    assert_eq!(
        header("cache-control").as_deref(),
        Some("private, no-store")
    );
    assert_eq!(header("content-length").as_deref(), Some("1500000"));
    let cd = header("content-disposition").unwrap();
    assert!(cd.starts_with("attachment;"), "{cd}");
    assert!(
        cd.contains("filename*=UTF-8''report%20%3Cq1%3E.bin"),
        "{cd}"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), plain.as_slice());

    // A fresh link per listing; both work until they expire.
    let (s, page) = list(&w, &w.observer, &card).await;
    assert_eq!(s, 200, "{page}");
    let again = page["items"][0]["download_url"].as_str().unwrap();
    assert_ne!(again, url);
    assert!(page["items"][0]["download_expires_at"].is_string());
    let res = fetch(&w.r.c, &w.r.srv, again).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().len(), plain.len());

    // Unknown, tampered, malformed and UUID-shaped tokens: the same 404
    // (so is the link of a deleted attachment, see the permissions test).
    let mut tampered = token.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [
        URL_SAFE_NO_PAD.encode([7u8; 32]),
        tampered,
        token[..42].to_owned(),
        format!("{token}A"),
        uuid::Uuid::now_v7().to_string(),
        "..%2F..%2Fetc%2Fpasswd".to_owned(),
    ] {
        let res = fetch(&w.r.c, &w.r.srv, &format!("/files/{bad}")).await;
        assert_eq!(res.status(), 404, "{bad}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{bad}"
        );
    }

    // Types on the safe list keep theirs; anything that could run does not.
    let cases = [
        ("text/html", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("image/png", "image/png"),
        ("text/plain", "text/plain; charset=utf-8"),
    ];
    for (sent, served) in cases {
        let (s, a) = upload_to(
            &w.r.c,
            &w.r.base,
            &w.member.token,
            &card,
            "page.html",
            Some(sent),
            b"<script>alert(1)</script>".to_vec(),
        )
        .await;
        assert_eq!(s, 201, "{a}");
        assert_eq!(a["content_type"], sent);
        let res = fetch(&w.r.c, &w.r.srv, a["download_url"].as_str().unwrap()).await;
        assert_eq!(res.headers()["content-type"], served, "{sent}");
        assert_eq!(res.headers()["content-security-policy"], "sandbox");
    }

    // A data-key rotation re-wraps file keys: the file still opens.
    let rot = w.r.t.ok(&["keys", "rotate", "--workspace", "acme"]);
    assert!(rot.code == 0, "{}", rot.stderr);
    let (wrapped,): (String,) = sqlx::query_as(&format!(
        "SELECT file_key FROM {schema}.attachment WHERE attachment_id = $1::uuid"
    ))
    .bind(id)
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert!(wrapped.starts_with("k1:2:"), "{wrapped}");
    let (_, page) = list(&w, &w.member, &card).await;
    let fresh = page["items"][0]["download_url"].as_str().unwrap();
    let res = fetch(&w.r.c, &w.r.srv, fresh).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), plain.as_slice());

    // A damaged blob is never served as if it were the file.
    let mut damaged = std::fs::read(&stored[0]).unwrap();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 1;
    std::fs::write(&stored[0], &damaged).unwrap();
    let res = fetch(&w.r.c, &w.r.srv, fresh).await;
    let body = res.bytes().await;
    assert!(
        body.is_err() || body.unwrap().len() < plain.len(),
        "a tampered file must not download whole"
    );

    // The server log never shows a token.
    w.r.srv.wait_log_contains("/files/{token}").await;
    let log = w.r.srv.log_text();
    for t in [token_of(url), token_of(again), token_of(fresh)] {
        assert!(!log.contains(&t), "a download token reached the log");
    }
}

// proves: ENC-4
#[tokio::test]
async fn attachments_follow_the_work_model_permissions() {
    let w = world().await;
    let card = card_on(&w, "workspace").await;
    let private = card_on(&w, "private").await;

    // Observers read but do not upload; machine tokens follow their scope.
    let (s, b) = upload(&w, &w.observer, &card, "o.txt", b"x".to_vec()).await;
    assert_eq!(s, 403, "{b}");
    let (s, _) = upload(&w, &w.machine_read, &card, "m.txt", b"x".to_vec()).await;
    assert_eq!(s, 403);
    let (s, bot) = upload(&w, &w.machine_write, &card, "bot.txt", b"x".to_vec()).await;
    assert_eq!(s, 201, "{bot}");
    // Other workspaces and strangers: never 403, never data.
    for who in [&w.outsider, &w.other] {
        let (s, b) = upload(&w, who, &card, "x.txt", b"x".to_vec()).await;
        assert!(s == 401 || s == 404, "{s} {b}");
        let (s, b) = list(&w, who, &card).await;
        assert!(s == 401 || s == 404, "{s} {b}");
    }
    // A private board the member is not on: 404 for upload and list.
    let (s, _) = upload(&w, &w.member, &private, "p.txt", b"x".to_vec()).await;
    assert_eq!(s, 404);
    let (s, _) = list(&w, &w.member, &private).await;
    assert_eq!(s, 404);
    let (s, _) = upload(
        &w,
        &w.member,
        &uuid::Uuid::now_v7().to_string(),
        "n",
        vec![1],
    )
    .await;
    assert_eq!(s, 404);

    // Bad input: clear 4xx, nothing stored.
    let api = &w.r.base;
    let (s, b) = upload_to(
        &w.r.c,
        api,
        &w.member.token,
        &card,
        "",
        Some("text/plain"),
        vec![1],
    )
    .await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str()),
        (422, Some("filename")),
        "{b}"
    );
    let (s, b) = upload_to(
        &w.r.c,
        api,
        &w.member.token,
        &card,
        "a\nb",
        Some("text/plain"),
        vec![1],
    )
    .await;
    assert_eq!(s, 422, "{b}");
    let (s, b) = upload_to(
        &w.r.c,
        api,
        &w.member.token,
        &card,
        "a",
        Some("no-slash"),
        vec![1],
    )
    .await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str()),
        (422, Some("content_type")),
        "{b}"
    );
    let (s, b) = upload_to(&w.r.c, api, &w.member.token, &card, "a", None, vec![1]).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (415, Some("unsupported-media-type")),
        "{b}"
    );
    let res =
        w.r.c
            .post(format!("{api}/workspaces/acme/cards/{card}/attachments"))
            .bearer_auth(&w.member.token)
            .header("content-type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 400, "no ?filename=");

    // Uploads by member and admin; paging.
    let (_, mine) = upload(&w, &w.member, &card, "mine.txt", b"m".to_vec()).await;
    let (_, theirs) = upload(&w, &w.admin, &card, "admin.txt", b"a".to_vec()).await;
    let (s, page) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/cards/{card}/attachments?limit=2"),
            &w.observer,
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/cards/{card}/attachments?limit=2&cursor={cursor}"),
            &w.observer,
            None,
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1, "{rest}");
    assert_eq!(rest["items"][0]["id"], theirs["id"]);

    // Deleting: members their own only, observers nothing, admins any.
    let del = |id: &Value| format!("/workspaces/acme/attachments/{}", id.as_str().unwrap());
    let (s, _) = w
        .call(Method::DELETE, &del(&theirs["id"]), &w.member, None)
        .await;
    assert_eq!(s, 403);
    let (s, _) = w
        .call(Method::DELETE, &del(&mine["id"]), &w.observer, None)
        .await;
    assert_eq!(s, 403);
    let (s, _) = w
        .call(Method::DELETE, &del(&mine["id"]), &w.other, None)
        .await;
    assert!(s == 401 || s == 404, "{s}");
    let blobs = w.r.t.data_dir().join("blobs");
    let blob_of = |id: &Value| {
        files_under(&blobs)
            .into_iter()
            .find(|p| p.file_name().is_some_and(|n| n == id.as_str().unwrap()))
    };
    assert!(blob_of(&mine["id"]).is_some());
    let (s, _) = w
        .call(Method::DELETE, &del(&mine["id"]), &w.member, None)
        .await;
    assert_eq!(s, 204);
    assert!(blob_of(&mine["id"]).is_none(), "the blob goes with the row");
    let res = fetch(&w.r.c, &w.r.srv, mine["download_url"].as_str().unwrap()).await;
    assert_eq!(res.status(), 404, "a deleted attachment's link is dead");
    let (s, _) = w
        .call(Method::DELETE, &del(&mine["id"]), &w.member, None)
        .await;
    assert_eq!(s, 404);
    let (s, _) = w
        .call(Method::DELETE, &del(&bot["id"]), &w.admin, None)
        .await;
    assert_eq!(s, 204);
    let (s, _) = w
        .call(Method::DELETE, &del(&theirs["id"]), &w.admin, None)
        .await;
    assert_eq!(s, 204);
    assert!(blob_of(&theirs["id"]).is_none());
}

/// A second server on the same database and KEK, with its own data (and
/// blob) directory and settings.
async fn sibling(w: &World, extra: &[(&str, &str)]) -> (Tarello, Server) {
    let kek = w.r.t.data_dir().join("kek").display().to_string();
    let mut t = Tarello::external(&w.r.tdb).with("TARELLO_KEK_FILE", &kek);
    for (k, v) in extra {
        t = t.with(k, v);
    }
    let srv = t.serve().await;
    (t, srv)
}

/// A chunked upload with no Content-Length, written by hand: the limit
/// must hold while the body streams. The response is read while the body
/// is still being written (the server may answer early). Returns the status.
async fn chunked_upload(srv: &Server, path: &str, token: &str, total: usize) -> u16 {
    let addr = srv.base.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n"
    );
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        let chunk = vec![b'z'; 10_000];
        let mut sent = 0;
        while sent < total {
            let framed = [
                format!("{:x}\r\n", chunk.len()).into_bytes(),
                chunk.clone(),
                b"\r\n".to_vec(),
            ]
            .concat();
            wr.write_all(&framed).await?;
            sent += chunk.len();
        }
        wr.write_all(b"0\r\n\r\n").await?;
        Ok::<_, std::io::Error>(wr)
    });
    let mut resp = Vec::new();
    let mut buf = [0u8; 4096];
    while !resp.windows(4).any(|x| x == b"\r\n\r\n") {
        match rd.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => resp.extend_from_slice(&buf[..n]),
        }
    }
    let _ = writer.await;
    let text = String::from_utf8_lossy(&resp);
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

// proves: ENC-4
#[tokio::test]
async fn over_the_limit_nothing_is_stored_and_links_expire() {
    let w = world().await;
    let card = card_on(&w, "workspace").await;
    let (t, srv) = sibling(
        &w,
        &[
            ("TARELLO_MAX_UPLOAD_BYTES", "100000"),
            ("TARELLO_DOWNLOAD_TTL_SECS", "3"),
            ("TARELLO_LOG_LEVEL", "debug"),
        ],
    )
    .await;
    let api = srv.url("/api/v1");
    let blobs = t.data_dir().join("blobs");
    let mut su = w.r.tdb.superuser().await;
    let schema = crate::flows::schema_of(&mut su, "acme").await;
    let count = format!("SELECT count(*) FROM {schema}.attachment");

    // Declared too large: refused before anything is read.
    let (s, b) = upload_to(
        &w.r.c,
        &api,
        &w.member.token,
        &card,
        "big.bin",
        Some("application/octet-stream"),
        sample(150_000),
    )
    .await;
    assert_eq!((s, b["status"].as_u64()), (413, Some(413)), "{b}");
    // Streamed too large (no Content-Length): cut off while streaming.
    let path = format!("/api/v1/workspaces/acme/cards/{card}/attachments?filename=big.bin");
    assert_eq!(
        chunked_upload(&srv, &path, &w.member.token, 150_000).await,
        413
    );
    let rows: i64 = sqlx::query_scalar(&count).fetch_one(&mut su).await.unwrap();
    assert_eq!(rows, 0, "no row");
    assert!(
        files_under(&blobs).is_empty(),
        "no blob, no temp file: {:?}",
        files_under(&blobs)
    );

    // Exactly at the limit is fine, streamed or not.
    let (s, b) = upload_to(
        &w.r.c,
        &api,
        &w.member.token,
        &card,
        "edge.bin",
        Some("application/octet-stream"),
        sample(100_000),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        chunked_upload(&srv, &path, &w.member.token, 100_000).await,
        201
    );
    assert_eq!(files_under(&blobs).len(), 2);

    // Links minted by the main server (5 min) and by the sibling (3 s):
    // the short one works now and not after its lifetime.
    let (s, fresh) = list(&w, &w.member, &card).await;
    assert_eq!(s, 200);
    let long_lived = fresh["items"][0]["download_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let issued = Instant::now();
    let res =
        w.r.c
            .get(format!("{api}/workspaces/acme/cards/{card}/attachments"))
            .bearer_auth(&w.member.token)
            .send()
            .await
            .unwrap();
    let short: Value = res.json().await.unwrap();
    let short_lived = short["items"][0]["download_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = fetch(&w.r.c, &srv, &short_lived).await;
    if issued.elapsed() < Duration::from_secs(2) {
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.bytes().await.unwrap().as_ref(),
            sample(100_000).as_slice()
        );
    }
    tokio::time::sleep(Duration::from_secs(4).saturating_sub(issued.elapsed())).await;
    let res = fetch(&w.r.c, &srv, &short_lived).await;
    assert_eq!(res.status(), 404, "an expired link is dead");
    // A link is not tied to the server that minted it.
    let res = fetch(&w.r.c, &srv, &long_lived).await;
    assert_eq!(res.status(), 200);

    srv.wait_log_contains("/files/{token}").await;
    for log in [srv.log_text(), w.r.srv.log_text()] {
        for url in [&short_lived, &long_lived] {
            assert!(
                !log.contains(&token_of(url)),
                "a download token reached the log"
            );
        }
    }
    drop(t);
}

// proves: ENC-4
#[tokio::test]
async fn download_links_point_at_the_configured_files_origin() {
    let w = world().await;
    let card = card_on(&w, "workspace").await;
    let (_t, srv) = sibling(
        &w,
        &[("TARELLO_FILES_ORIGIN", "https://files.example.test/")],
    )
    .await;
    let api = srv.url("/api/v1");
    let (s, a) = upload_to(
        &w.r.c,
        &api,
        &w.member.token,
        &card,
        "o.txt",
        Some("text/plain"),
        b"hi".to_vec(),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    let url = a["download_url"].as_str().unwrap();
    let path = url
        .strip_prefix("https://files.example.test/files/")
        .unwrap_or_else(|| panic!("{url}"));
    // The same binary serves the files origin (behind its own host name).
    let res = fetch(&w.r.c, &srv, &format!("/files/{path}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"hi");
}

/// moto's S3 server (see `crates/tarello-blobs/tests/moto_s3.py`), with
/// bucket `tarello`; stops when dropped.
struct Moto {
    child: std::process::Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn moto() -> Moto {
    use std::io::BufRead;
    let py = std::env::var("TARELLO_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tarello-blobs/tests/moto_s3.py");
    let mut child = std::process::Command::new(&py)
        .arg(script)
        .arg("tarello")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{py}` ({e}); set TARELLO_PYTHON"));
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .strip_prefix("ready ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("moto did not start (pip install 'moto[server]'): {line:?}"));
    Moto { child, port }
}

async fn read_object(s: &tarello_blobs::S3, key: &tarello_blobs::BlobKey) -> Option<Vec<u8>> {
    use futures::StreamExt;
    use tarello_blobs::BlobStore;
    let mut st = match s.get(key).await {
        Ok(st) => st,
        Err(tarello_blobs::BlobError::NotFound) => return None,
        Err(e) => panic!("{e}"),
    };
    let mut out = Vec::new();
    while let Some(c) = st.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    Some(out)
}

// proves: ENC-4
#[tokio::test]
async fn attachments_can_live_in_an_s3_bucket_encrypted() {
    let w = world().await;
    let card = card_on(&w, "workspace").await;
    let m = moto();
    let endpoint = format!("http://127.0.0.1:{}", m.port);
    let (t, srv) = sibling(
        &w,
        &[
            ("TARELLO_S3_BUCKET", "tarello"),
            ("TARELLO_S3_ENDPOINT", &endpoint),
            ("TARELLO_S3_REGION", "us-east-1"),
            ("TARELLO_S3_ACCESS_KEY_ID", "moto"),
            ("TARELLO_S3_SECRET_ACCESS_KEY", "moto-secret-never-logged"),
            ("TARELLO_S3_PREFIX", "att/"),
        ],
    )
    .await;
    let api = srv.url("/api/v1");
    let plain = sample(300_000);
    let (s, a) = upload_to(
        &w.r.c,
        &api,
        &w.member.token,
        &card,
        "in-s3.bin",
        Some("application/octet-stream"),
        plain.clone(),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_str().unwrap();
    // Nothing on the local disk; the object in the bucket is ciphertext.
    assert!(files_under(&t.data_dir().join("blobs")).is_empty());
    let mut su = w.r.tdb.superuser().await;
    let ws: uuid::Uuid =
        sqlx::query_scalar("SELECT workspace_id FROM control.workspace WHERE slug = 'acme'")
            .fetch_one(&mut su)
            .await
            .unwrap();
    // The raw object, read straight from the bucket.
    let bucket = tarello_blobs::S3::new(&tarello_blobs::S3Config {
        bucket: "tarello".into(),
        region: "us-east-1".into(),
        endpoint: endpoint.clone(),
        access_key_id: "moto".into(),
        secret_access_key: "moto".into(),
        prefix: "att/".into(),
    })
    .unwrap();
    let key = tarello_blobs::BlobKey::new(ws, uuid::Uuid::parse_str(id).unwrap());
    let raw = read_object(&bucket, &key).await.unwrap();
    assert!(raw.len() > plain.len());
    assert!(!raw.windows(MARKER.len()).any(|x| x == MARKER));
    let res = fetch(&w.r.c, &srv, a["download_url"].as_str().unwrap()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), plain.as_slice());
    // Deleted through the server that uses the bucket.
    let res =
        w.r.c
            .delete(format!("{api}/workspaces/acme/attachments/{id}"))
            .bearer_auth(&w.member.token)
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 204);
    assert!(
        read_object(&bucket, &key).await.is_none(),
        "the object goes with the row"
    );
    assert!(!srv.log_text().contains("moto-secret-never-logged"));
}
