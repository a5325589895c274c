//! Tarello's cryptography: typed secrets, the key hierarchy and field
//! encryption.
//!
//! Key hierarchy: operator-supplied KEKs ([`KekSet`]) wrap per-workspace
//! [`DataKey`]s with AES-256-GCM bound to `(workspace, version)`; each
//! encrypted field uses a Fernet key derived from a data key and the field's
//! [`FieldPlace`] (workspace, table, column, row).
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
mod kek;
mod secret;

pub use datakey::{DataKey, KeyContext, WrappedKey};
pub use error::CryptoError;
pub use field::{
    FIELD_PREFIX, FIELD_SALT, FieldCipher, FieldPlace, fernet_key_for, stored_version,
};
pub use kek::{KEY_LEN, KekSet};
pub use secret::{REDACTED, Secret, SecretString};
