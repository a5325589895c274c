//! Tarello's cryptography: typed secrets, the key hierarchy and field
//! encryption.
//!
//! Key hierarchy: operator-supplied KEKs ([`KekSet`]) wrap per-workspace
//! [`DataKey`]s with AES-256-GCM bound to `(workspace, version)`; each
//! encrypted field uses a Fernet key derived from a data key and the field's
//! [`FieldPlace`] (workspace, table, column, row).
//!
//! Identity primitives: [`password`] (Argon2id + policy), [`otp`] (one-time
//! codes, opaque tokens), [`totp`] (RFC 6238 + recovery codes) and [`jwt`]
//! (per-workspace Ed25519 access tokens, JWKS).
//!
//! Crate invariants:
//! - No `unsafe`; no panics in library code (fallible steps return
//!   [`CryptoError`]).
//! - Key material and plaintext only ever render as `***` (or a key id), in
//!   `Debug`, `Display`, serde output and error messages.

#![forbid(unsafe_code)]

mod datakey;
mod error;
mod field;
pub mod file;
pub mod jwt;
mod kek;
pub mod otp;
pub mod password;
pub mod seal;
mod secret;
pub mod totp;

pub use datakey::{DataKey, KeyContext, WrappedKey};
pub use error::CryptoError;
pub use field::{
    FIELD_PREFIX, FIELD_SALT, FieldCipher, FieldPlace, fernet_key_for, stored_version,
};
pub use file::{Decryptor, Encryptor, FileKey, FilePlace};
pub use jwt::{Lane, PublicKey, SigningKey, TokenError, WorkspaceClaims};
pub use kek::{KEY_LEN, KekSet};
pub use otp::{OneTimeCode, hash_token, random_token, verify_code};
pub use password::{PasswordHasher, PasswordParams, PasswordRejected, Verified, check_password};
pub use secret::{REDACTED, Secret, SecretString};
pub use totp::TotpSecret;
