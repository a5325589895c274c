//! One-time codes and opaque tokens.
//!
//! Invariants:
//! - Codes and tokens come from the OS CSPRNG; codes are uniform over
//!   `000000..=999999` (leading zeros kept).
//! - Only hashes are meant for storage: a code's hash is HMAC-SHA256 under a
//!   server pepper over an unambiguous encoding of (purpose, subject, code),
//!   so a code issued for one purpose or subject never verifies for another,
//!   and a database dump alone cannot brute-force the 10^6 code space.
//! - Opaque tokens carry 256 random bits; they are stored as plain SHA-256
//!   (enough for full-entropy secrets).
//! - Comparisons of hashes are constant-time (`subtle`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::Rng as _;
use rand::RngCore as _;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use crate::SecretString;

/// Number of digits of a one-time code.
pub const CODE_DIGITS: usize = 6;
/// Random bytes in an opaque token.
pub const TOKEN_BYTES: usize = 32;

/// Six-digit one-time codes (password reset, email confirmation).
#[derive(Debug, Clone, Copy)]
pub struct OneTimeCode;

impl OneTimeCode {
    /// A fresh code and its hash for storage, bound to `purpose` (e.g.
    /// `"password-reset"`) and `subject` (e.g. the user or request id).
    pub fn generate(pepper: &[u8; 32], purpose: &str, subject: &str) -> (SecretString, String) {
        let n: u32 = OsRng.gen_range(0..1_000_000);
        let code = SecretString::new(format!("{n:06}"));
        let hash = code_hash(pepper, purpose, subject, code.expose());
        (code, hash)
    }
}

/// The stored hash of a code: hex HMAC-SHA256 keyed by `pepper` over the
/// length-prefixed `purpose`, `subject` and `code`.
pub fn code_hash(pepper: &[u8; 32], purpose: &str, subject: &str, code: &str) -> String {
    hex(&keyed(pepper, &[purpose, subject, code]))
}

/// True when `code` is the code whose hash is `stored_hash` for this
/// purpose and subject. Input must be exactly six ASCII digits (surrounding
/// whitespace is ignored). The hash comparison is constant-time.
pub fn verify_code(
    pepper: &[u8; 32],
    purpose: &str,
    subject: &str,
    code: &str,
    stored_hash: &str,
) -> bool {
    let code = code.trim();
    if code.len() != CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    ct_eq_str(&code_hash(pepper, purpose, subject, code), stored_hash)
}

/// A fresh opaque token `"{prefix}{base64url(32 random bytes)}"` and its
/// SHA-256 hex for storage (refresh tokens, API tokens).
pub fn random_token(prefix: &str) -> (SecretString, String) {
    let mut bytes = [0u8; TOKEN_BYTES];
    OsRng.fill_bytes(&mut bytes);
    let token = SecretString::new(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)));
    zeroize::Zeroize::zeroize(&mut bytes);
    let hash = hash_token(token.expose());
    (token, hash)
}

/// SHA-256 hex of a whole token (prefix included), as stored.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Constant-time equality of two strings (lengths may leak, contents not).
pub fn ct_eq_str(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// HMAC-SHA256 under `key` over each part prefixed by its u64 length.
pub(crate) fn keyed(key: &[u8; 32], parts: &[&str]) -> [u8; 32] {
    // HMAC zero-pads keys shorter than the 64-byte block, so the padded
    // block is the same key; `KeyInit::new` on a full block is infallible.
    let mut block = zeroize::Zeroizing::new([0u8; 64]);
    block[..32].copy_from_slice(key);
    let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new(&(*block).into());
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    mac.finalize().into_bytes().into()
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    const PEPPER: [u8; 32] = [7u8; 32];

    // proves: ACC-4
    #[test]
    fn code_verifies_only_for_its_purpose_and_subject() {
        let (code, hash) = OneTimeCode::generate(&PEPPER, "password-reset", "user-1");
        let c = code.expose();
        assert_eq!(c.len(), 6);
        assert!(c.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(hash.len(), 64);
        assert!(verify_code(&PEPPER, "password-reset", "user-1", c, &hash));
        assert!(verify_code(
            &PEPPER,
            "password-reset",
            "user-1",
            &format!(" {c}\n"),
            &hash
        ));
        assert!(!verify_code(&PEPPER, "password-reset", "user-2", c, &hash));
        assert!(!verify_code(&PEPPER, "email-confirm", "user-1", c, &hash));
        assert!(!verify_code(
            &[8u8; 32],
            "password-reset",
            "user-1",
            c,
            &hash
        ));
        assert!(!verify_code(
            &PEPPER,
            "password-reset",
            "user-1",
            &c[..5],
            &hash
        ));
        assert!(!verify_code(
            &PEPPER,
            "password-reset",
            "user-1",
            &format!("+{}", &c[1..]),
            &hash
        ));
        assert!(!verify_code(&PEPPER, "password-reset", "user-1", c, ""));
        // Field boundaries are unambiguous.
        assert_ne!(
            code_hash(&PEPPER, "ab", "c", "123456"),
            code_hash(&PEPPER, "a", "bc", "123456")
        );
        assert_eq!(format!("{code:?}"), "***");
    }

    // proves: ACC-4
    #[test]
    fn codes_are_six_digits_and_uniform_over_100k_draws() {
        const DRAWS: usize = 100_000;
        let mut buckets = [0usize; 100];
        let mut first = [0usize; 10];
        for _ in 0..DRAWS {
            let (code, _) = OneTimeCode::generate(&PEPPER, "p", "s");
            let c = code.expose();
            assert_eq!(c.len(), 6, "{c}");
            let n: usize = c.parse().unwrap();
            assert!(n < 1_000_000);
            buckets[n / 10_000] += 1;
            first[usize::from(c.as_bytes()[0] - b'0')] += 1;
        }
        // Expected 1000 per bucket, sd ~31.5: allow 6 sd.
        for (i, &b) in buckets.iter().enumerate() {
            assert!((811..=1189).contains(&b), "bucket {i}: {b}");
        }
        // Leading zeros are kept: ~10% of codes start with '0'.
        for (d, &n) in first.iter().enumerate() {
            assert!((9_400..=10_600).contains(&n), "leading {d}: {n}");
        }
        // Chi-square over 100 buckets (99 dof): mean 99, sd 14; allow 5 sd.
        let chi: f64 = buckets
            .iter()
            .map(|&b| {
                let d = b as f64 - 1000.0;
                d * d / 1000.0
            })
            .sum();
        assert!(chi < 170.0, "chi-square {chi}");
    }

    #[test]
    fn padded_block_key_equals_plain_hmac() {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&PEPPER).unwrap();
        for part in ["purpose", "subject", "123456"] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        let expected: [u8; 32] = mac.finalize().into_bytes().into();
        assert_eq!(keyed(&PEPPER, &["purpose", "subject", "123456"]), expected);
    }

    #[test]
    fn random_tokens_are_prefixed_256_bit_and_hashed_with_sha256() {
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let (token, hash) = random_token("tro_");
            let t = token.expose();
            assert!(t.starts_with("tro_"));
            let body = &t[4..];
            assert_eq!(body.len(), 43);
            assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);
            assert_eq!(hash, hash_token(t));
            assert!(seen.insert(t.clone()));
        }
        // SHA-256("abc") test vector.
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        // proves: ACC-4
        #[test]
        fn verify_never_accepts_a_different_code(a in 0u32..1_000_000, b in 0u32..1_000_000, subject in ".{0,20}") {
            prop_assume!(a != b);
            let (a, b) = (format!("{a:06}"), format!("{b:06}"));
            let hash = code_hash(&PEPPER, "reset", &subject, &a);
            prop_assert!(verify_code(&PEPPER, "reset", &subject, &a, &hash));
            prop_assert!(!verify_code(&PEPPER, "reset", &subject, &b, &hash));
        }
    }
}
