//! Files at rest: a fresh AES-256-GCM key per file, the file sealed as a
//! stream of segments, the key stored wrapped by the workspace's data key.
//!
//! # Blob format v1 (re-implemented by `tests/interop_file.py`)
//!
//! ```text
//! header  = b"tarF" || 0x01 || prefix            // 12 bytes; prefix: 7 random bytes
//! segment = AES-256-GCM(file key,
//!             nonce = prefix || be32(index) || last,   // last: 0x01 on the final segment, else 0x00
//!             aad   = header,
//!             plaintext)                              // ciphertext || 16-byte tag
//! blob    = header || segment_0 || … || segment_n
//! ```
//!
//! Every segment but the last holds exactly [`SEGMENT_LEN`] plaintext bytes;
//! the last holds 0 to [`SEGMENT_LEN`] (an empty file is one empty last
//! segment). The index in the nonce detects reordering and dropped
//! segments; the last flag detects truncation at a segment boundary and
//! anything appended. Decryption releases a segment's plaintext only after
//! its tag verified; a consumer must treat an error from
//! [`Decryptor::finish`] as "the whole file is bad" (e.g. abort the response).
//!
//! # File keys
//!
//! Stored as `k1:<data key version>:<base64url(nonce (12) || ciphertext (32) || tag (16))>`:
//!
//! ```text
//! wrap key = HKDF-SHA256(ikm = data key, salt = b"tarello-file-v1", info = b"file key", 32)
//! aad      = b"tarello fk v1|" || workspace uuid (16) || attachment uuid (16) || be32(version)
//! ```
//!
//! A wrapped key copied to another attachment or workspace, or relabelled
//! with another version, does not unwrap.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;
use uuid::Uuid;
use zeroize::{Zeroize, Zeroizing};

use crate::error::CryptoError;
use crate::field::FieldCipher;
use crate::kek::KEY_LEN;
use crate::secret::Secret;

/// Plaintext bytes per segment (all but the last are exactly this long).
pub const SEGMENT_LEN: usize = 64 * 1024;
/// Bytes of the blob header.
pub const HEADER_LEN: usize = 12;
const TAG_LEN: usize = 16;
const PREFIX_LEN: usize = 7;
const NONCE_LEN: usize = 12;
const MAGIC: &[u8; 5] = b"tarF\x01";
const WRAP_SALT: &[u8] = b"tarello-file-v1";
const WRAP_INFO: &[u8] = b"file key";
const WRAP_LABEL: &[u8] = b"tarello fk v1|";
/// Format tag at the start of a stored file key.
pub const FILE_KEY_PREFIX: &str = "k1";

/// The size of the blob for a file of `plain_len` bytes.
pub fn encrypted_len(plain_len: u64) -> u64 {
    let seg = SEGMENT_LEN as u64;
    let segments = plain_len.div_ceil(seg).max(1);
    HEADER_LEN as u64 + plain_len + segments * TAG_LEN as u64
}

/// A file's own 256-bit key; renders as `***`.
#[derive(Clone)]
pub struct FileKey(Secret<[u8; KEY_LEN]>);

impl FileKey {
    /// A new random key from the OS RNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// Wraps known key bytes (tests and tooling); the copy is zeroized.
    pub fn from_bytes(mut bytes: [u8; KEY_LEN]) -> Self {
        let key = Self(Secret::new(bytes));
        bytes.zeroize();
        key
    }

    /// Reads the key bytes. Never log or persist them unwrapped.
    pub fn expose_bytes(&self) -> &[u8; KEY_LEN] {
        self.0.expose()
    }

    fn aead(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(self.expose_bytes()))
    }

    /// Wraps this key under the cipher's primary data key, bound to `place`.
    pub fn wrap(&self, cipher: &FieldCipher, place: &FilePlace) -> Result<String, CryptoError> {
        let version = cipher.primary_version();
        let kek = wrap_key(cipher, version)?;
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let sealed = kek
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: self.expose_bytes(),
                    aad: &place.aad(version),
                },
            )
            .map_err(|_| CryptoError::WrapFailed)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(format!(
            "{FILE_KEY_PREFIX}:{version}:{}",
            URL_SAFE_NO_PAD.encode(blob)
        ))
    }

    /// Unwraps a stored key with the data key of its version.
    pub fn unwrap(
        stored: &str,
        cipher: &FieldCipher,
        place: &FilePlace,
    ) -> Result<FileKey, CryptoError> {
        let (version, blob) = split_stored(stored)?;
        let kek = wrap_key(cipher, version)?;
        if blob.len() != NONCE_LEN + KEY_LEN + TAG_LEN {
            return Err(CryptoError::FileKeyUnwrap);
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let plain = Zeroizing::new(
            kek.decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &place.aad(version),
                },
            )
            .map_err(|_| CryptoError::FileKeyUnwrap)?,
        );
        let bytes: [u8; KEY_LEN] = plain
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::FileKeyUnwrap)?;
        Ok(FileKey::from_bytes(bytes))
    }
}

impl fmt::Debug for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileKey(***)")
    }
}

/// The data key version a stored file key is wrapped under (rotation
/// re-wraps those not under the primary).
pub fn file_key_version(stored: &str) -> Result<i32, CryptoError> {
    split_stored(stored).map(|(v, _)| v)
}

fn split_stored(stored: &str) -> Result<(i32, Vec<u8>), CryptoError> {
    let mut parts = stored.splitn(3, ':');
    let (Some(FILE_KEY_PREFIX), Some(version), Some(blob)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(CryptoError::MalformedFileKey);
    };
    let v: i32 = version.parse().map_err(|_| CryptoError::MalformedFileKey)?;
    if v.to_string() != version {
        return Err(CryptoError::MalformedFileKey);
    }
    let blob = URL_SAFE_NO_PAD
        .decode(blob)
        .map_err(|_| CryptoError::MalformedFileKey)?;
    Ok((v, blob))
}

/// The AES key that wraps file keys under data key `version`.
fn wrap_key(cipher: &FieldCipher, version: i32) -> Result<Aes256Gcm, CryptoError> {
    let dk = cipher
        .key(version)
        .ok_or(CryptoError::UnknownKeyVersion { version })?;
    let mut okm = Zeroizing::new([0u8; KEY_LEN]);
    Hkdf::<Sha256>::new(Some(WRAP_SALT), dk.expose_bytes())
        .expand(WRAP_INFO, okm.as_mut())
        .map_err(|_| CryptoError::Internal {
            what: "hkdf length",
        })?;
    Ok(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(okm.as_ref())))
}

/// Which attachment a file key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FilePlace {
    pub workspace_id: Uuid,
    pub attachment_id: Uuid,
}

impl FilePlace {
    fn aad(&self, version: i32) -> Vec<u8> {
        let mut aad = Vec::with_capacity(WRAP_LABEL.len() + 36);
        aad.extend_from_slice(WRAP_LABEL);
        aad.extend_from_slice(self.workspace_id.as_bytes());
        aad.extend_from_slice(self.attachment_id.as_bytes());
        aad.extend_from_slice(&version.to_be_bytes());
        aad
    }
}

/// Shared by both directions: the key, the header and the segment counter.
struct Segments {
    aead: Aes256Gcm,
    header: [u8; HEADER_LEN],
    index: u32,
}

impl Segments {
    fn nonce(&self, last: bool) -> [u8; NONCE_LEN] {
        let mut n = [0u8; NONCE_LEN];
        n[..PREFIX_LEN].copy_from_slice(&self.header[MAGIC.len()..]);
        n[PREFIX_LEN..PREFIX_LEN + 4].copy_from_slice(&self.index.to_be_bytes());
        n[NONCE_LEN - 1] = u8::from(last);
        n
    }

    fn advance(&mut self) -> Result<(), CryptoError> {
        self.index = self.index.checked_add(1).ok_or(CryptoError::FileTooLong)?;
        Ok(())
    }

    fn seal(&mut self, plain: &[u8], last: bool, out: &mut Vec<u8>) -> Result<(), CryptoError> {
        let nonce = self.nonce(last);
        let sealed = self
            .aead
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &self.header,
                },
            )
            .map_err(|_| CryptoError::Internal {
                what: "segment seal",
            })?;
        out.extend_from_slice(&sealed);
        self.advance()
    }

    fn open(&mut self, sealed: &[u8], last: bool, out: &mut Vec<u8>) -> Result<(), CryptoError> {
        let nonce = self.nonce(last);
        let plain = self
            .aead
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: sealed,
                    aad: &self.header,
                },
            )
            .map_err(|_| CryptoError::FileDecrypt)?;
        out.extend_from_slice(&plain);
        self.advance()
    }
}

/// Encrypts a file pushed in pieces of any size.
pub struct Encryptor {
    seg: Segments,
    buf: Vec<u8>,
    header_sent: bool,
}

impl Encryptor {
    /// A new stream under `key` with a fresh random nonce prefix.
    pub fn new(key: &FileKey) -> Self {
        let mut header = [0u8; HEADER_LEN];
        header[..MAGIC.len()].copy_from_slice(MAGIC);
        OsRng.fill_bytes(&mut header[MAGIC.len()..]);
        Self {
            seg: Segments {
                aead: key.aead(),
                header,
                index: 0,
            },
            buf: Vec::with_capacity(SEGMENT_LEN),
            header_sent: false,
        }
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        if !self.header_sent {
            out.extend_from_slice(&self.seg.header);
            self.header_sent = true;
        }
    }

    /// Appends the blob bytes that `data` completes to `out`. A full segment
    /// is held back until more data shows it is not the last.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), CryptoError> {
        self.start(out);
        while !data.is_empty() {
            if self.buf.len() == SEGMENT_LEN {
                self.seg.seal(&self.buf, false, out)?;
                self.buf.clear();
            }
            let take = (SEGMENT_LEN - self.buf.len()).min(data.len());
            let (head, rest) = data.split_at(take);
            self.buf.extend_from_slice(head);
            data = rest;
        }
        Ok(())
    }

    /// Seals the last segment.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), CryptoError> {
        self.start(out);
        let buf = std::mem::take(&mut self.buf);
        self.seg.seal(&buf, true, out)
    }
}

impl Drop for Encryptor {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl fmt::Debug for Encryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encryptor")
            .field("segment", &self.seg.index)
            .finish_non_exhaustive()
    }
}

/// Decrypts a blob pushed in pieces of any size.
pub struct Decryptor {
    aead: Option<Aes256Gcm>,
    seg: Option<Segments>,
    buf: Vec<u8>,
}

impl Decryptor {
    pub fn new(key: &FileKey) -> Self {
        Self {
            aead: Some(key.aead()),
            seg: None,
            buf: Vec::with_capacity(SEGMENT_LEN + TAG_LEN),
        }
    }

    /// Appends the plaintext of every segment `data` completes (and that
    /// verified) to `out`. The final segment is held back for `finish`.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), CryptoError> {
        self.buf.extend_from_slice(data);
        if self.seg.is_none() {
            if self.buf.len() < HEADER_LEN {
                return Ok(());
            }
            let header: [u8; HEADER_LEN] = self.buf[..HEADER_LEN]
                .try_into()
                .map_err(|_| CryptoError::FileDecrypt)?;
            if !header.starts_with(MAGIC) {
                return Err(CryptoError::FileDecrypt);
            }
            let aead = self.aead.take().ok_or(CryptoError::FileDecrypt)?;
            self.seg = Some(Segments {
                aead,
                header,
                index: 0,
            });
            self.buf.drain(..HEADER_LEN);
        }
        let full = SEGMENT_LEN + TAG_LEN;
        let mut used = 0;
        if let Some(seg) = self.seg.as_mut() {
            // More than a full segment buffered: the first one is not the last.
            while self.buf.len() - used > full {
                seg.open(&self.buf[used..used + full], false, out)?;
                used += full;
            }
        }
        self.buf.drain(..used);
        Ok(())
    }

    /// Verifies and releases the last segment; fails on a truncated blob.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), CryptoError> {
        let Some(mut seg) = self.seg.take() else {
            return Err(CryptoError::FileDecrypt);
        };
        if self.buf.len() < TAG_LEN {
            return Err(CryptoError::FileDecrypt);
        }
        seg.open(&self.buf, true, out)
    }
}

impl fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decryptor").finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
