//! Key-encryption keys (KEKs), the root of the key hierarchy.
//!
//! Invariants:
//! - A [`KekSet`] holds at least one distinct 32-byte key; the first is the
//!   primary (used for every new wrap), the others are older keys that are
//!   still accepted for unwrapping, so a new KEK can be rolled in as `new,old`.
//! - A KEK is identified by its *kek id*: the first 8 bytes of
//!   `HMAC-SHA256(key, b"tarello kek id v1")` as 16 lowercase hex characters.
//!   The id reveals nothing usable about the key and is the only thing that
//!   `Debug` and errors ever show.
//! - Parse errors say which key (1-based) is wrong and how, never echoing the
//!   input.

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::error::CryptoError;
use crate::secret::{Secret, SecretString};

/// Length in bytes of a KEK and of a data key.
pub const KEY_LEN: usize = 32;

/// Label under which the kek id is computed.
const KEK_ID_LABEL: &[u8] = b"tarello kek id v1";

const DECODE_CONFIG: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const URL_SAFE_ANY_PAD: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, DECODE_CONFIG);
const STANDARD_ANY_PAD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, DECODE_CONFIG);

/// One key-encryption key with its id.
pub(crate) struct Kek {
    pub(crate) id: String,
    pub(crate) key: Secret<[u8; KEY_LEN]>,
}

/// The configured KEKs: a primary and zero or more older keys.
pub struct KekSet {
    /// The key every new wrap uses.
    primary: Kek,
    /// Older keys, still accepted for unwrapping. Ids are distinct from each
    /// other and from the primary's.
    older: Vec<Kek>,
}

impl KekSet {
    /// Parses one or more base64 (url-safe or standard, padded or not)
    /// 32-byte keys separated by commas, whitespace or newlines. The first
    /// is the primary.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let mut keys: Vec<Kek> = Vec::new();
        let parts = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty());
        for (i, part) in parts.enumerate() {
            let index = i + 1;
            let bytes = decode_base64(part).ok_or(CryptoError::KeyNotBase64 { index })?;
            if bytes.len() != KEY_LEN {
                return Err(CryptoError::KeyWrongLength {
                    index,
                    len: bytes.len(),
                });
            }
            let mut array = [0u8; KEY_LEN];
            array.copy_from_slice(&bytes);
            let key = Secret::new(array);
            array.zeroize();
            let id = kek_id(key.expose())?;
            if let Some(first) = keys.iter().position(|k| k.id == id) {
                return Err(CryptoError::DuplicateKey {
                    index,
                    first: first + 1,
                });
            }
            keys.push(Kek { id, key });
        }
        let mut keys = keys.into_iter();
        let primary = keys.next().ok_or(CryptoError::NoKey)?;
        Ok(Self {
            primary,
            older: keys.collect(),
        })
    }

    /// A new random KEK as text (base64url, no padding) that [`KekSet::parse`]
    /// accepts.
    pub fn generate_key_text() -> SecretString {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        OsRng.fill_bytes(key.as_mut());
        Secret::new(URL_SAFE_NO_PAD.encode(key.as_ref()))
    }

    /// The id of the primary KEK (the one [`KekSet::wrap`] uses).
    pub fn primary_id(&self) -> &str {
        &self.primary().id
    }

    /// All ids, primary first.
    pub fn ids(&self) -> Vec<&str> {
        self.all().map(|k| k.id.as_str()).collect()
    }

    /// Whether a KEK with this id is configured.
    pub fn contains(&self, kek_id: &str) -> bool {
        self.find(kek_id).is_some()
    }

    pub(crate) fn primary(&self) -> &Kek {
        &self.primary
    }

    pub(crate) fn find(&self, kek_id: &str) -> Option<&Kek> {
        self.all().find(|k| k.id == kek_id)
    }

    fn all(&self) -> impl Iterator<Item = &Kek> {
        std::iter::once(&self.primary).chain(&self.older)
    }
}

impl fmt::Debug for KekSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KekSet")
            .field("primary", &self.primary_id())
            .field("ids", &self.ids())
            .finish()
    }
}

/// Decodes url-safe or standard base64, with or without padding.
fn decode_base64(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    URL_SAFE_ANY_PAD
        .decode(text)
        .or_else(|_| STANDARD_ANY_PAD.decode(text))
        .ok()
        .map(Zeroizing::new)
}

/// `hex(HMAC-SHA256(key, b"tarello kek id v1")[..8])`.
pub(crate) fn kek_id(key: &[u8; KEY_LEN]) -> Result<String, CryptoError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .map_err(|_| CryptoError::Internal { what: "hmac key" })?;
    mac.update(KEK_ID_LABEL);
    let tag = mac.finalize().into_bytes();
    Ok(tag
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<String>())
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};

    use super::*;

    fn key_bytes(seed: u8) -> [u8; KEY_LEN] {
        // Bytes chosen so that standard and url-safe encodings differ.
        std::array::from_fn(|i| seed.wrapping_add((i as u8).wrapping_mul(37)) | 0xf8)
    }

    #[test]
    fn kek_id_is_16_hex_of_hmac() {
        let key = [7u8; KEY_LEN];
        let id = kek_id(&key).unwrap();
        assert_eq!(id.len(), 16);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
        mac.update(b"tarello kek id v1");
        let full = mac.finalize().into_bytes();
        let expected: String = full[..8].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(id, expected);
        assert_ne!(id, kek_id(&[8u8; KEY_LEN]).unwrap());
    }

    #[test]
    fn parses_all_base64_flavours_and_separators() {
        let (a, b, c, d) = (key_bytes(1), key_bytes(2), key_bytes(3), key_bytes(4));
        let text = format!(
            " {}, {}\n{}\t{} ,\n",
            URL_SAFE.encode(a),
            URL_SAFE_NO_PAD.encode(b),
            STANDARD.encode(c),
            STANDARD.encode(d).trim_end_matches('='),
        );
        let set = KekSet::parse(&text).unwrap();
        let expected: Vec<String> = [a, b, c, d].iter().map(|k| kek_id(k).unwrap()).collect();
        assert_eq!(set.ids(), expected);
        assert_eq!(set.primary_id(), expected[0]);
        assert!(set.contains(&expected[3]));
        assert!(!set.contains("0000000000000000"));
    }

    #[test]
    fn generated_key_text_parses() {
        let text = KekSet::generate_key_text();
        assert_eq!(text.expose().len(), 43);
        assert!(!text.expose().contains('='));
        let set = KekSet::parse(text.expose()).unwrap();
        assert_eq!(set.ids().len(), 1);
        assert_ne!(text.expose(), KekSet::generate_key_text().expose());
    }

    #[test]
    fn malformed_inputs_give_precise_errors_without_echo() {
        let good = URL_SAFE_NO_PAD.encode(key_bytes(9));
        let short = URL_SAFE_NO_PAD.encode([5u8; 16]);
        let not_b64 = "not*base64!secretish";
        let mixed = format!("{}+_", &good[..41]);
        let cases: Vec<(String, CryptoError, &str)> = vec![
            (String::new(), CryptoError::NoKey, "no key given"),
            (" ,\n\t, ".into(), CryptoError::NoKey, "no key given"),
            (
                format!("{good},{not_b64}"),
                CryptoError::KeyNotBase64 { index: 2 },
                "key 2 is not base64",
            ),
            (
                short.clone(),
                CryptoError::KeyWrongLength { index: 1, len: 16 },
                "key 1 is 16 bytes, expected 32",
            ),
            (
                mixed.clone(),
                CryptoError::KeyNotBase64 { index: 1 },
                "key 1 is not base64",
            ),
            (
                format!("{good}\n{good}"),
                CryptoError::DuplicateKey { index: 2, first: 1 },
                "key 2 is the same key as key 1",
            ),
        ];
        for (input, expected, message) in cases {
            let err = KekSet::parse(&input).unwrap_err();
            assert_eq!(err, expected, "input #{input:?}");
            let shown = format!("{err} {err:?}");
            assert!(shown.contains(message), "{shown}");
            for secret in [good.as_str(), short.as_str(), not_b64, mixed.as_str()] {
                assert!(!shown.contains(secret), "error echoes input: {shown}");
            }
        }
    }

    // proves: ENC-6
    #[test]
    fn debug_shows_ids_only() {
        let text = format!(
            "{},{}",
            URL_SAFE_NO_PAD.encode(key_bytes(1)),
            URL_SAFE_NO_PAD.encode(key_bytes(2))
        );
        let set = KekSet::parse(&text).unwrap();
        let shown = format!("{set:?} {set:#?}");
        for id in set.ids() {
            assert!(shown.contains(id));
        }
        for part in text.split(',') {
            assert!(!shown.contains(part));
            assert!(!shown.contains(&part[..10]));
        }
        assert!(!shown.contains(&STANDARD.encode(key_bytes(1))[..10]));
        assert!(!shown.contains(&format!("{:?}", key_bytes(1))[..20]));
    }
}
