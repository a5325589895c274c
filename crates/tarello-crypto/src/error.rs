//! Errors of the crypto crate.
//!
//! Invariant: no message ever contains key material, plaintext, ciphertext or
//! any part of the text that was parsed. Errors name *which* input was wrong
//! (by 1-based position, version or key id) and *what* was wrong with it.

/// Everything that can go wrong in `tarello-crypto`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The KEK text held no key at all.
    #[error("no key given: expected one or more base64-encoded 32-byte keys")]
    NoKey,
    /// A KEK entry could not be decoded as base64 (url-safe or standard).
    #[error("key {index} is not base64")]
    KeyNotBase64 {
        /// 1-based position of the key in the text.
        index: usize,
    },
    /// A KEK entry decoded to the wrong number of bytes.
    #[error("key {index} is {len} bytes, expected 32")]
    KeyWrongLength {
        /// 1-based position of the key in the text.
        index: usize,
        /// Decoded length in bytes.
        len: usize,
    },
    /// The same KEK was listed twice.
    #[error("key {index} is the same key as key {first}")]
    DuplicateKey {
        /// 1-based position of the repeated key.
        index: usize,
        /// 1-based position of its first occurrence.
        first: usize,
    },
    /// A wrapped key names a KEK that is not configured.
    #[error("data key is wrapped under KEK {kek_id}, which is not configured")]
    UnknownKek {
        /// The id of the missing KEK (an HMAC of the key, not the key).
        kek_id: String,
    },
    /// The wrapped key did not authenticate: wrong KEK, wrong workspace or
    /// version, or a damaged blob.
    #[error("data key could not be unwrapped: wrong key, wrong workspace/version, or damaged")]
    UnwrapFailed,
    /// Wrapping a data key failed (not expected to happen).
    #[error("data key could not be wrapped")]
    WrapFailed,
    /// A stored field value refers to a data key version that is not loaded.
    #[error("field is encrypted under data key version {version}, which is not loaded")]
    UnknownKeyVersion {
        /// The version named by the stored value.
        version: i32,
    },
    /// A stored field value is not of the form `f1:<version>:<token>`.
    #[error("stored field value is not in the f1:<version>:<token> format")]
    MalformedField,
    /// A field token did not verify under the key derived for this place
    /// (moved to another row/column/table/workspace, or tampered with).
    #[error("field could not be decrypted: token does not verify for this place")]
    FieldDecrypt,
    /// A `FieldCipher` was built without a key for its primary version.
    #[error("no data key for primary version {version}")]
    NoPrimaryKey {
        /// The requested primary version.
        version: i32,
    },
    /// A part of a field place is longer than 2^32 - 1 bytes.
    #[error("field place part is too long to encode")]
    PlaceTooLong,
    /// A stored password hash is not a PHC string this crate can verify
    /// (not Argon2, damaged, or parameters out of range).
    #[error("stored password hash is not a valid Argon2 PHC string")]
    MalformedPasswordHash,
    /// A signing key, public key or TOTP secret has the wrong form.
    #[error("invalid {what}")]
    InvalidKey {
        /// Which kind of key was malformed.
        what: &'static str,
    },
    /// A file blob did not verify: damaged, truncated, reordered, extended
    /// or under another key.
    #[error("file could not be decrypted: damaged, truncated or not this file's")]
    FileDecrypt,
    /// A stored file key is not of the form `k1:<version>:<base64url>`.
    #[error("stored file key is not in the k1:<version>:<key> format")]
    MalformedFileKey,
    /// A wrapped file key did not authenticate for this attachment.
    #[error("file key could not be unwrapped: wrong key, wrong attachment, or damaged")]
    FileKeyUnwrap,
    /// More segments than a 32-bit counter can number.
    #[error("file is too long to encrypt")]
    FileTooLong,
    /// A primitive reported an error that its inputs rule out.
    #[error("internal crypto error: {what}")]
    Internal {
        /// Which step failed.
        what: &'static str,
    },
}
