//! Field encryption with Fernet, bound to the field's place.
//!
//! Invariants:
//! - Every encrypted field is stored as `f1:<version>:<fernet token>`, where
//!   `<version>` is the decimal data key version and the token is a standard
//!   Fernet token (interoperable with Python `cryptography.fernet`).
//! - The Fernet key is derived per place, so a token copied to another row,
//!   column, table or workspace does not verify there.
//!
//! # Exact key derivation (re-derived by `tests/interop_fernet.py`)
//!
//! ```text
//! info = be32(16)          || workspace_id (16 raw uuid bytes, RFC 4122 order)
//!     || be32(len(table))  || table  (UTF-8)
//!     || be32(len(column)) || column (UTF-8)
//!     || be32(len(row))    || row    (UTF-8)
//! okm  = HKDF-SHA256(ikm = data key (32 bytes), salt = b"tarello-field-v1",
//!                    info = info, length = 32)
//! fernet_key = base64url_with_padding(okm)      // 44 characters
//! ```
//!
//! `be32(n)` is `n` as a 4-byte big-endian unsigned integer. In Python:
//! `HKDF(algorithm=SHA256(), length=32, salt=b"tarello-field-v1",
//! info=info).derive(data_key)` then `base64.urlsafe_b64encode(okm)`.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use fernet::Fernet;
use hkdf::Hkdf;
use sha2::Sha256;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::datakey::DataKey;
use crate::error::CryptoError;
use crate::kek::KEY_LEN;
use crate::secret::{Secret, SecretString};

/// HKDF salt of the field key derivation.
pub const FIELD_SALT: &[u8] = b"tarello-field-v1";
/// Format tag at the start of every stored field value.
pub const FIELD_PREFIX: &str = "f1";

/// Where an encrypted value lives; the per-field key is derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldPlace<'a> {
    /// The owning workspace.
    pub workspace_id: Uuid,
    /// Table name.
    pub table: &'a str,
    /// Column name.
    pub column: &'a str,
    /// Row identity (usually the row's id as text).
    pub row: &'a str,
}

impl<'a> FieldPlace<'a> {
    /// A place from its four parts.
    pub fn new(workspace_id: Uuid, table: &'a str, column: &'a str, row: &'a str) -> Self {
        Self {
            workspace_id,
            table,
            column,
            row,
        }
    }

    /// The HKDF `info`: each part length-prefixed with a big-endian u32.
    pub fn encode(&self) -> Result<Vec<u8>, CryptoError> {
        let parts: [&[u8]; 4] = [
            self.workspace_id.as_bytes(),
            self.table.as_bytes(),
            self.column.as_bytes(),
            self.row.as_bytes(),
        ];
        let mut out = Vec::with_capacity(16 + parts.iter().map(|p| p.len()).sum::<usize>());
        for part in parts {
            let len = u32::try_from(part.len()).map_err(|_| CryptoError::PlaceTooLong)?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(part);
        }
        Ok(out)
    }
}

/// The Fernet key (base64url, padded) for `place` under `key`.
///
/// For interop tests and rotation tooling; application code uses
/// [`FieldCipher`].
pub fn fernet_key_for(key: &DataKey, place: &FieldPlace<'_>) -> Result<SecretString, CryptoError> {
    let info = place.encode()?;
    let mut okm = Zeroizing::new([0u8; KEY_LEN]);
    Hkdf::<Sha256>::new(Some(FIELD_SALT), key.expose_bytes())
        .expand(&info, okm.as_mut())
        .map_err(|_| CryptoError::Internal {
            what: "hkdf length",
        })?;
    Ok(Secret::new(URL_SAFE.encode(okm.as_ref())))
}

fn fernet_for(key: &DataKey, place: &FieldPlace<'_>) -> Result<Fernet, CryptoError> {
    let text = fernet_key_for(key, place)?;
    Fernet::new(text.expose()).ok_or(CryptoError::Internal { what: "fernet key" })
}

/// The data key version a stored field value was encrypted under (for
/// rotation: values whose version is not the primary need re-encryption).
pub fn stored_version(stored: &str) -> Result<i32, CryptoError> {
    split_stored(stored).map(|(version, _)| version)
}

/// Splits `f1:<version>:<token>`; the version must be canonical decimal.
fn split_stored(stored: &str) -> Result<(i32, &str), CryptoError> {
    let mut parts = stored.splitn(3, ':');
    let (Some(FIELD_PREFIX), Some(version), Some(token)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(CryptoError::MalformedField);
    };
    let version: i32 = version.parse().map_err(|_| CryptoError::MalformedField)?;
    if token.is_empty() || !stored.starts_with(&format!("{FIELD_PREFIX}:{version}:")) {
        return Err(CryptoError::MalformedField);
    }
    Ok((version, token))
}

/// Encrypts and decrypts fields of one workspace with its data keys.
#[derive(Clone)]
pub struct FieldCipher {
    /// Contains `primary`.
    keys: BTreeMap<i32, DataKey>,
    primary: i32,
}

impl FieldCipher {
    /// A cipher over `keys`; new values are encrypted under `primary`.
    pub fn new(keys: BTreeMap<i32, DataKey>, primary: i32) -> Result<Self, CryptoError> {
        if !keys.contains_key(&primary) {
            return Err(CryptoError::NoPrimaryKey { version: primary });
        }
        Ok(Self { keys, primary })
    }

    /// A cipher with a single key, which is the primary.
    pub fn single(version: i32, key: DataKey) -> Self {
        Self {
            keys: BTreeMap::from([(version, key)]),
            primary: version,
        }
    }

    /// The version new values are encrypted under.
    pub fn primary_version(&self) -> i32 {
        self.primary
    }

    /// The data key of `version` (for file-key wrapping in `file.rs`).
    pub(crate) fn key(&self, version: i32) -> Option<&DataKey> {
        self.keys.get(&version)
    }

    /// All loaded versions, ascending.
    pub fn versions(&self) -> Vec<i32> {
        self.keys.keys().copied().collect()
    }

    /// Encrypts under the primary key: `f1:<version>:<fernet token>`.
    ///
    /// Fails only on impossible internal errors or a place part longer than
    /// 4 GiB; the `Result` keeps panics out of library code.
    pub fn encrypt(&self, place: &FieldPlace<'_>, plaintext: &[u8]) -> Result<String, CryptoError> {
        let key = self
            .keys
            .get(&self.primary)
            .ok_or(CryptoError::NoPrimaryKey {
                version: self.primary,
            })?;
        let token = fernet_for(key, place)?.encrypt(plaintext);
        Ok(format!("{FIELD_PREFIX}:{}:{token}", self.primary))
    }

    /// Decrypts a stored value with the key of its version.
    pub fn decrypt(
        &self,
        place: &FieldPlace<'_>,
        stored: &str,
    ) -> Result<Secret<Vec<u8>>, CryptoError> {
        let (version, token) = split_stored(stored)?;
        let key = self
            .keys
            .get(&version)
            .ok_or(CryptoError::UnknownKeyVersion { version })?;
        fernet_for(key, place)?
            .decrypt(token)
            .map(Secret::new)
            .map_err(|_| CryptoError::FieldDecrypt)
    }
}

impl fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldCipher")
            .field("versions", &self.versions())
            .field("primary", &self.primary)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const WS: Uuid = Uuid::from_u128(0x1111_2222_3333_4444_5555_6666_7777_8888);

    fn place<'a>(row: &'a str) -> FieldPlace<'a> {
        FieldPlace::new(WS, "users", "email", row)
    }

    #[test]
    fn encoding_is_length_prefixed() {
        let enc = FieldPlace::new(WS, "t", "co", "r1").encode().unwrap();
        let mut expected = vec![0, 0, 0, 16];
        expected.extend_from_slice(WS.as_bytes());
        expected.extend_from_slice(&[
            0, 0, 0, 1, b't', 0, 0, 0, 2, b'c', b'o', 0, 0, 0, 2, b'r', b'1',
        ]);
        assert_eq!(enc, expected);
        // Moving a boundary changes the encoding.
        let shifted = FieldPlace::new(WS, "tc", "o", "r1").encode().unwrap();
        assert_ne!(enc, shifted);
    }

    #[test]
    fn fernet_key_matches_manual_hkdf() {
        let dk = DataKey::from_bytes([3; 32]);
        let p = place("row-1");
        let key = fernet_key_for(&dk, &p).unwrap();
        assert_eq!(key.expose().len(), 44);
        assert!(key.expose().ends_with('='));
        let mut okm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"tarello-field-v1"), &[3; 32])
            .expand(&p.encode().unwrap(), &mut okm)
            .unwrap();
        assert_eq!(key.expose(), &URL_SAFE.encode(okm));
        assert_ne!(
            key.expose(),
            fernet_key_for(&dk, &place("row-2")).unwrap().expose()
        );
    }

    #[test]
    fn round_trip_and_format() {
        let cipher = FieldCipher::single(7, DataKey::generate());
        let stored = cipher.encrypt(&place("r"), b"ann@example.com").unwrap();
        assert!(stored.starts_with("f1:7:gAAAAA"), "{stored}");
        assert!(!stored.contains("ann@example.com"));
        assert_eq!(stored_version(&stored).unwrap(), 7);
        let plain = cipher.decrypt(&place("r"), &stored).unwrap();
        assert_eq!(plain.expose(), b"ann@example.com");
    }

    // proves: ENC-1
    #[test]
    fn moved_ciphertext_does_not_decrypt() {
        let cipher = FieldCipher::single(1, DataKey::generate());
        let here = FieldPlace::new(WS, "users", "email", "row-1");
        let stored = cipher.encrypt(&here, b"secret").unwrap();
        let elsewhere = [
            FieldPlace {
                row: "row-2",
                ..here
            },
            FieldPlace {
                column: "phone",
                ..here
            },
            FieldPlace {
                table: "contacts",
                ..here
            },
            FieldPlace {
                workspace_id: Uuid::from_u128(9),
                ..here
            },
            // Boundary shifts between parts are different places too.
            FieldPlace {
                table: "usersemail",
                column: "",
                ..here
            },
        ];
        for there in elsewhere {
            assert_eq!(
                cipher.decrypt(&there, &stored).unwrap_err(),
                CryptoError::FieldDecrypt,
                "{there:?}"
            );
        }
        assert_eq!(cipher.decrypt(&here, &stored).unwrap().expose(), b"secret");
    }

    // proves: ENC-3
    #[test]
    fn two_versions_decrypt_and_encrypt_uses_primary() {
        let (k1, k2) = (DataKey::generate(), DataKey::generate());
        let old = FieldCipher::single(1, k1.clone());
        let v1 = old.encrypt(&place("r"), b"one").unwrap();
        let both = FieldCipher::new(BTreeMap::from([(1, k1), (2, k2)]), 2).unwrap();
        assert_eq!(both.versions(), vec![1, 2]);
        assert_eq!(both.primary_version(), 2);
        let v2 = both.encrypt(&place("r"), b"two").unwrap();
        assert_eq!(stored_version(&v1).unwrap(), 1);
        assert_eq!(stored_version(&v2).unwrap(), 2);
        assert_eq!(both.decrypt(&place("r"), &v1).unwrap().expose(), b"one");
        assert_eq!(both.decrypt(&place("r"), &v2).unwrap().expose(), b"two");
        assert_eq!(
            old.decrypt(&place("r"), &v2).unwrap_err(),
            CryptoError::UnknownKeyVersion { version: 2 }
        );
        // Relabelling a token with another version does not help.
        let relabelled = v1.replacen("f1:1:", "f1:2:", 1);
        assert_eq!(
            both.decrypt(&place("r"), &relabelled).unwrap_err(),
            CryptoError::FieldDecrypt
        );
    }

    #[test]
    fn primary_must_be_loaded() {
        let err = FieldCipher::new(BTreeMap::from([(1, DataKey::generate())]), 2).unwrap_err();
        assert_eq!(err, CryptoError::NoPrimaryKey { version: 2 });
    }

    #[test]
    fn malformed_stored_values() {
        let cipher = FieldCipher::single(1, DataKey::generate());
        for bad in [
            "",
            "f1",
            "f1:1",
            "f1:1:",
            "f2:1:gAAA",
            "f1:x:gAAA",
            "f1:+1:gAAA",
            "f1:01:gAAA",
            "gAAAAA",
        ] {
            assert_eq!(
                stored_version(bad).unwrap_err(),
                CryptoError::MalformedField,
                "{bad}"
            );
            assert_eq!(
                cipher.decrypt(&place("r"), bad).unwrap_err(),
                CryptoError::MalformedField
            );
        }
        assert_eq!(stored_version("f1:-3:tok").unwrap(), -3);
        assert_eq!(
            cipher.decrypt(&place("r"), "f1:1:not-a-token").unwrap_err(),
            CryptoError::FieldDecrypt
        );
    }

    // proves: ENC-6
    #[test]
    fn cipher_debug_and_errors_hide_secrets() {
        let dk = DataKey::from_bytes([0x5a; 32]);
        let cipher = FieldCipher::single(4, dk.clone());
        let key_text = fernet_key_for(&dk, &place("r")).unwrap();
        let stored = cipher.encrypt(&place("r"), b"plain-text-value").unwrap();
        let err = cipher.decrypt(&place("other"), &stored).unwrap_err();
        let shown = format!("{cipher:?} {err} {err:?} {key_text:?} {key_text}");
        assert!(shown.contains("***"));
        assert!(!shown.contains(key_text.expose().as_str()));
        assert!(!shown.contains("plain-text-value"));
        assert!(!shown.contains(&stored[5..]));
    }

    fn arb_place() -> impl Strategy<Value = (u128, String, String, String)> {
        (any::<u128>(), ".{0,12}", "[a-z_]{0,12}", "\\PC{0,24}")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        // proves: ENC-1
        #[test]
        fn prop_round_trip(data in proptest::collection::vec(any::<u8>(), 0..512),
                           (ws, table, column, row) in arb_place(),
                           version in any::<i32>()) {
            let cipher = FieldCipher::single(version, DataKey::generate());
            let p = FieldPlace::new(Uuid::from_u128(ws), &table, &column, &row);
            let stored = cipher.encrypt(&p, &data).unwrap();
            prop_assert_eq!(stored_version(&stored).unwrap(), version);
            let plain = cipher.decrypt(&p, &stored).unwrap();
            prop_assert_eq!(plain.expose(), &data);
        }

        // proves: ENC-1
        #[test]
        fn prop_other_place_fails(data in proptest::collection::vec(any::<u8>(), 0..64),
                                  a in arb_place(), b in arb_place()) {
            prop_assume!(a != b);
            let cipher = FieldCipher::single(1, DataKey::generate());
            let pa = FieldPlace::new(Uuid::from_u128(a.0), &a.1, &a.2, &a.3);
            let pb = FieldPlace::new(Uuid::from_u128(b.0), &b.1, &b.2, &b.3);
            let stored = cipher.encrypt(&pa, &data).unwrap();
            prop_assert_eq!(cipher.decrypt(&pb, &stored).unwrap_err(), CryptoError::FieldDecrypt);
        }
    }
}
