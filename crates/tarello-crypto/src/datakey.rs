//! Per-workspace data keys and their wrapping under a KEK (envelope
//! encryption).
//!
//! Invariants:
//! - A [`DataKey`] is 32 random bytes from the OS RNG; it renders as `***`.
//! - A [`WrappedKey`] blob is `nonce (12 random bytes) || AES-256-GCM
//!   ciphertext || tag (16 bytes)` under the KEK named by `kek_id`.
//! - The AEAD associated data is the canonical encoding of the
//!   [`KeyContext`]: `b"tarello dk v1|" || workspace uuid (16 bytes) ||
//!   version (i32 big-endian)`. A wrapped key copied to another workspace or
//!   version therefore fails to unwrap, exactly like a wrong KEK: with a clear
//!   error, never with garbage.
//! - [`KekSet::wrap`] always uses the primary KEK; [`KekSet::unwrap`] accepts
//!   any configured KEK, found by id.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rand::RngCore;
use rand::rngs::OsRng;
use uuid::Uuid;
use zeroize::{Zeroize, Zeroizing};

use crate::error::CryptoError;
use crate::kek::{KEY_LEN, Kek, KekSet};
use crate::secret::Secret;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const AAD_LABEL: &[u8] = b"tarello dk v1|";

/// A 32-byte data key (one per workspace and version).
#[derive(Clone)]
pub struct DataKey(Secret<[u8; KEY_LEN]>);

impl DataKey {
    /// A new random data key from the OS RNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// Wraps known key bytes (tests and tooling); the argument copy is
    /// zeroized.
    pub fn from_bytes(mut bytes: [u8; KEY_LEN]) -> Self {
        let key = Self(Secret::new(bytes));
        bytes.zeroize();
        key
    }

    /// Reads the key bytes. Never log or persist them unwrapped.
    pub fn expose_bytes(&self) -> &[u8; KEY_LEN] {
        self.0.expose()
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(***)")
    }
}

impl fmt::Display for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(***)")
    }
}

/// What a data key is bound to; the AEAD associated data of its wrapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyContext {
    /// The workspace the key belongs to.
    pub workspace_id: Uuid,
    /// The key version within the workspace.
    pub version: i32,
}

impl KeyContext {
    /// Canonical encoding: `b"tarello dk v1|" || uuid bytes || version BE`.
    pub fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(AAD_LABEL.len() + 16 + 4);
        aad.extend_from_slice(AAD_LABEL);
        aad.extend_from_slice(self.workspace_id.as_bytes());
        aad.extend_from_slice(&self.version.to_be_bytes());
        aad
    }
}

/// A data key encrypted under a KEK; safe to store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WrappedKey {
    /// Id of the KEK that wrapped the key.
    pub kek_id: String,
    /// `nonce (12) || ciphertext (32) || tag (16)`.
    pub blob: Vec<u8>,
}

impl KekSet {
    /// Wraps `key` under the primary KEK, bound to `ctx`.
    ///
    /// Fails only if AES-GCM rejects a 32-byte message, which it does not;
    /// the `Result` keeps panics out of library code.
    pub fn wrap(&self, key: &DataKey, ctx: &KeyContext) -> Result<WrappedKey, CryptoError> {
        let kek = self.primary();
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let aad = ctx.aad();
        let sealed = cipher(kek)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: key.expose_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::WrapFailed)?;
        let mut blob = Vec::with_capacity(NONCE_LEN + sealed.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        Ok(WrappedKey {
            kek_id: kek.id.clone(),
            blob,
        })
    }

    /// Unwraps a key wrapped under any configured KEK for the same `ctx`.
    ///
    /// [`CryptoError::UnknownKek`] when its KEK is not configured,
    /// [`CryptoError::UnwrapFailed`] when it does not authenticate.
    pub fn unwrap(&self, wrapped: &WrappedKey, ctx: &KeyContext) -> Result<DataKey, CryptoError> {
        let kek = self
            .find(&wrapped.kek_id)
            .ok_or_else(|| CryptoError::UnknownKek {
                kek_id: wrapped.kek_id.clone(),
            })?;
        if wrapped.blob.len() != NONCE_LEN + KEY_LEN + TAG_LEN {
            return Err(CryptoError::UnwrapFailed);
        }
        let (nonce, sealed) = wrapped.blob.split_at(NONCE_LEN);
        let aad = ctx.aad();
        let plain = Zeroizing::new(
            cipher(kek)
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: sealed,
                        aad: &aad,
                    },
                )
                .map_err(|_| CryptoError::UnwrapFailed)?,
        );
        let bytes: [u8; KEY_LEN] = plain
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::UnwrapFailed)?;
        Ok(DataKey::from_bytes(bytes))
    }
}

fn cipher(kek: &Kek) -> Aes256Gcm {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(kek.key.expose()))
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    use super::*;

    fn key_text() -> String {
        KekSet::generate_key_text().expose().clone()
    }

    fn ctx(version: i32) -> KeyContext {
        KeyContext {
            workspace_id: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
            version,
        }
    }

    #[test]
    fn aad_is_canonical() {
        let c = ctx(-2);
        let mut expected = b"tarello dk v1|".to_vec();
        expected.extend_from_slice(c.workspace_id.as_bytes());
        expected.extend_from_slice(&[0xff, 0xff, 0xff, 0xfe]);
        assert_eq!(c.aad(), expected);
    }

    #[test]
    fn wrap_unwrap_round_trip() {
        let keks = KekSet::parse(&key_text()).unwrap();
        let dk = DataKey::generate();
        let w = keks.wrap(&dk, &ctx(1)).unwrap();
        assert_eq!(w.kek_id, keks.primary_id());
        assert_eq!(w.blob.len(), 12 + 32 + 16);
        assert!(!w.blob.windows(32).any(|win| win == dk.expose_bytes()));
        let back = keks.unwrap(&w, &ctx(1)).unwrap();
        assert_eq!(back.expose_bytes(), dk.expose_bytes());
        // fresh nonce each time
        assert_ne!(keks.wrap(&dk, &ctx(1)).unwrap().blob, w.blob);
    }

    // proves: ENC-2
    #[test]
    fn wrong_kek_is_unwrap_failed() {
        let real = KekSet::parse(&key_text()).unwrap();
        let w = real.wrap(&DataKey::generate(), &ctx(1)).unwrap();
        let other = KekSet::parse(&key_text()).unwrap();
        // Unknown id: clear error naming the id.
        let err = other.unwrap(&w, &ctx(1)).unwrap_err();
        assert_eq!(
            err,
            CryptoError::UnknownKek {
                kek_id: w.kek_id.clone()
            }
        );
        assert!(err.to_string().contains(&w.kek_id));
        // Same id claimed but a different key behind it: the tag fails.
        let forged = WrappedKey {
            kek_id: other.primary_id().to_owned(),
            blob: w.blob.clone(),
        };
        assert_eq!(
            other.unwrap(&forged, &ctx(1)).unwrap_err(),
            CryptoError::UnwrapFailed
        );
    }

    // proves: ENC-2
    #[test]
    fn wrapped_key_is_bound_to_workspace_and_version() {
        let keks = KekSet::parse(&key_text()).unwrap();
        let w = keks.wrap(&DataKey::generate(), &ctx(3)).unwrap();
        let moved_ws = KeyContext {
            workspace_id: Uuid::from_u128(1),
            version: 3,
        };
        assert_eq!(
            keks.unwrap(&w, &moved_ws).unwrap_err(),
            CryptoError::UnwrapFailed
        );
        assert_eq!(
            keks.unwrap(&w, &ctx(4)).unwrap_err(),
            CryptoError::UnwrapFailed
        );
        let mut tampered = w.clone();
        tampered.blob[20] ^= 1;
        assert_eq!(
            keks.unwrap(&tampered, &ctx(3)).unwrap_err(),
            CryptoError::UnwrapFailed
        );
        let mut short = w.clone();
        short.blob.truncate(30);
        assert_eq!(
            keks.unwrap(&short, &ctx(3)).unwrap_err(),
            CryptoError::UnwrapFailed
        );
        assert!(keks.unwrap(&w, &ctx(3)).is_ok());
    }

    // proves: ENC-3
    #[test]
    fn new_primary_kek_keeps_old_wraps_readable() {
        let old_text = key_text();
        let old = KekSet::parse(&old_text).unwrap();
        let dk = DataKey::generate();
        let w_old = old.wrap(&dk, &ctx(1)).unwrap();

        let new_text = key_text();
        let rolled = KekSet::parse(&format!("{new_text},{old_text}")).unwrap();
        assert_ne!(rolled.primary_id(), old.primary_id());
        assert_eq!(rolled.ids(), vec![rolled.primary_id(), old.primary_id()]);
        let back = rolled.unwrap(&w_old, &ctx(1)).unwrap();
        assert_eq!(back.expose_bytes(), dk.expose_bytes());

        let w_new = rolled.wrap(&dk, &ctx(1)).unwrap();
        assert_eq!(w_new.kek_id, rolled.primary_id());
        assert_eq!(
            rolled.unwrap(&w_new, &ctx(1)).unwrap().expose_bytes(),
            dk.expose_bytes()
        );
        // The old set alone cannot read the re-wrapped key.
        assert!(matches!(
            old.unwrap(&w_new, &ctx(1)),
            Err(CryptoError::UnknownKek { .. })
        ));
    }

    // proves: ENC-6
    #[test]
    fn data_key_renders_redacted() {
        let dk = DataKey::from_bytes([0xab; 32]);
        for shown in [
            format!("{dk:?}"),
            format!("{dk}"),
            format!("{:?}", Some(dk.clone())),
        ] {
            assert!(shown.contains("***"), "{shown}");
            assert!(!shown.contains("171"), "{shown}");
            assert!(!shown.to_lowercase().contains("abab"), "{shown}");
            assert!(!shown.contains(&URL_SAFE_NO_PAD.encode([0xab; 32])[..8]));
            assert!(!shown.contains(&STANDARD.encode([0xab; 32])[..8]));
        }
    }
}
