//! TOTP second factor (RFC 6238: HMAC-SHA1, 6 digits, 30 s) and recovery
//! codes.
//!
//! Invariants:
//! - The clock is always a parameter; nothing here reads the system time.
//! - [`check`] accepts the current step and one step either side, and never
//!   a step at or before `last_used_step`: store the step it returns and a
//!   code is usable once (replay protection, as Vaultwarden and Keycloak do).
//! - Code comparison is constant-time; secrets and codes render as `***`.
//! - Recovery codes come from the OS CSPRNG (50 bits each) and are stored
//!   only as peppered HMACs bound to their subject (ASVS V6.5.2: a code
//!   under 112 bits must not be stored as a plain hash).

use rand::RngCore as _;
use rand::rngs::OsRng;
use totp_rs::{Algorithm, Builder};

use crate::otp::{code_hash, ct_eq_str};
use crate::{CryptoError, Secret, SecretString};

/// Seconds per TOTP step.
pub const STEP_SECS: u64 = 30;
/// Digits of a TOTP code.
pub const DIGITS: u8 = 6;
/// Bytes of a generated TOTP secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
/// Recovery codes issued per batch.
pub const RECOVERY_CODES: usize = 10;
/// The unambiguous alphabet of recovery codes (Crockford base32, lower case).
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters in a recovery code, not counting the dash.
const RECOVERY_LEN: usize = 10;
/// Purpose string under which recovery codes are hashed.
const RECOVERY_PURPOSE: &str = "tarello recovery code v1";

/// A TOTP shared secret (store it encrypted).
#[derive(Debug, Clone)]
pub struct TotpSecret(Secret<Vec<u8>>);

impl TotpSecret {
    /// A fresh 20-byte secret from the OS CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        OsRng.fill_bytes(&mut bytes);
        Self(Secret::new(bytes))
    }

    /// A secret from stored bytes (at least 16).
    ///
    /// # Errors
    /// [`CryptoError::InvalidKey`] if shorter than 128 bits.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, CryptoError> {
        let secret = Secret::new(bytes);
        if secret.expose().len() < 16 {
            return Err(CryptoError::InvalidKey {
                what: "TOTP secret",
            });
        }
        Ok(Self(secret))
    }

    /// A secret from RFC 4648 base32 text (as shown to users).
    ///
    /// # Errors
    /// [`CryptoError::InvalidKey`] if not base32 or shorter than 128 bits.
    pub fn from_base32(text: &str) -> Result<Self, CryptoError> {
        let secret =
            totp_rs::Secret::try_from_base32(text.trim()).map_err(|_| CryptoError::InvalidKey {
                what: "TOTP secret",
            })?;
        Self::from_bytes(secret.as_ref().to_vec())
    }

    /// The raw secret bytes.
    pub fn expose_bytes(&self) -> &[u8] {
        self.0.expose()
    }

    /// Unpadded base32, for manual entry into an authenticator.
    pub fn to_base32(&self) -> SecretString {
        SecretString::new(totp_rs::Secret::from(self.0.expose().as_slice()).to_base32())
    }

    /// The `otpauth://totp/...` URI for authenticator apps. It contains the
    /// secret, hence the [`SecretString`].
    ///
    /// # Errors
    /// [`CryptoError::InvalidKey`] if `issuer` or `account` contains `:` or
    /// `account` is empty.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Result<SecretString, CryptoError> {
        let totp = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_step_duration(STEP_SECS)
            .with_secret(self.0.expose().as_slice())
            .with_issuer(Some(issuer))
            .with_account_name(account)
            .build()
            .map_err(|_| CryptoError::InvalidKey {
                what: "TOTP issuer or account name",
            })?;
        totp.to_url()
            .map(SecretString::new)
            .map_err(|_| CryptoError::InvalidKey {
                what: "TOTP issuer or account name",
            })
    }

    /// The code for the step containing `now_unix` (for tests and tools).
    pub fn code_at(&self, now_unix: u64) -> Option<SecretString> {
        let step = i64::try_from(now_unix / STEP_SECS).ok()?;
        self.code_for_step(step)
    }

    fn code_for_step(&self, step: i64) -> Option<SecretString> {
        let time = u64::try_from(step).ok()?.checked_mul(STEP_SECS)?;
        let totp = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_step_duration(STEP_SECS)
            .with_secret(self.0.expose().as_slice())
            .build()
            .ok()?;
        Some(SecretString::new(totp.generate(time).to_string()))
    }
}

/// Checks a TOTP `code` at time `now_unix`, allowing one step of clock skew
/// either way. Returns the accepted step, which the caller stores as the new
/// `last_used_step`; `None` for a wrong code or a step `<= last_used_step`
/// (a replay, or an older code after a newer one was used).
pub fn check(
    secret: &TotpSecret,
    code: &str,
    now_unix: u64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let code = SecretString::new(code);
    let given = code.expose();
    if given.len() != usize::from(DIGITS) || !given.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = i64::try_from(now_unix / STEP_SECS).ok()?;
    let mut accepted = None;
    // Every candidate step is computed and compared, match or not.
    for step in [current - 1, current, current + 1] {
        let Some(expected) = secret.code_for_step(step) else {
            continue;
        };
        let matches = ct_eq_str(expected.expose(), given);
        let fresh = last_used_step.is_none_or(|last| step > last);
        if matches && fresh {
            accepted = Some(step);
        }
    }
    accepted
}

/// A fresh batch of `n` recovery codes, `xxxxx-xxxxx` from an unambiguous
/// alphabet (50 random bits each). Show them once; store only
/// [`hash_recovery_code`] of each, and replace the whole batch on reissue.
pub fn recovery_codes(n: usize) -> Vec<SecretString> {
    (0..n)
        .map(|_| {
            let mut bytes = [0u8; RECOVERY_LEN];
            OsRng.fill_bytes(&mut bytes);
            let mut code = String::with_capacity(RECOVERY_LEN + 1);
            for (i, b) in bytes.iter().enumerate() {
                if i == RECOVERY_LEN / 2 {
                    code.push('-');
                }
                // 32 divides 256: masking keeps every symbol equally likely.
                code.push(char::from(RECOVERY_ALPHABET[usize::from(b & 31)]));
            }
            zeroize::Zeroize::zeroize(&mut bytes);
            SecretString::new(code)
        })
        .collect()
}

/// Canonical form of a typed recovery code: lower case, dashes and spaces
/// dropped, `o`→`0`, `i`/`l`→`1`. `None` if it cannot be a recovery code.
fn normalize_recovery(code: &str) -> Option<SecretString> {
    let mut out = String::with_capacity(RECOVERY_LEN);
    for c in code.chars() {
        let c = match c.to_ascii_lowercase() {
            '-' | ' ' | '\t' => continue,
            'o' => '0',
            'i' | 'l' => '1',
            c => c,
        };
        if !c.is_ascii() || !RECOVERY_ALPHABET.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == RECOVERY_LEN).then(|| SecretString::new(out))
}

/// The stored form of a recovery code: peppered HMAC-SHA256 (hex) bound to
/// `subject` (the user id). `None` if `code` is not shaped like one.
pub fn hash_recovery_code(pepper: &[u8; 32], subject: &str, code: &str) -> Option<String> {
    let canonical = normalize_recovery(code)?;
    Some(code_hash(
        pepper,
        RECOVERY_PURPOSE,
        subject,
        canonical.expose(),
    ))
}

/// Finds which stored recovery-code hash `code` matches, comparing against
/// every entry in constant time. The caller deletes that entry (single use).
pub fn find_recovery_code(
    pepper: &[u8; 32],
    subject: &str,
    code: &str,
    stored: &[&str],
) -> Option<usize> {
    let hash = hash_recovery_code(pepper, subject, code)?;
    let mut found = None;
    for (i, s) in stored.iter().enumerate() {
        if ct_eq_str(&hash, s) && found.is_none() {
            found = Some(i);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    // proves: ACC-6
    #[test]
    fn rfc6238_sha1_vectors_truncated_to_six_digits() {
        let s = rfc_secret();
        for (t, code) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(s.code_at(t).unwrap().expose(), code, "t={t}");
            assert_eq!(
                check(&s, code, t, None),
                Some(i64::try_from(t / 30).unwrap())
            );
        }
    }

    // proves: ACC-6
    #[test]
    fn one_step_of_skew_either_way_and_no_more() {
        let s = TotpSecret::generate();
        let now = 1_700_000_015u64;
        let step = i64::try_from(now / 30).unwrap();
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let t = u64::try_from((step + offset) * 30).unwrap();
            let code = s.code_at(t).unwrap();
            let expected = accepted.then_some(step + offset);
            assert_eq!(
                check(&s, code.expose(), now, None),
                expected,
                "offset {offset}"
            );
        }
    }

    // proves: ACC-6
    #[test]
    fn a_code_is_accepted_once_and_never_an_older_step() {
        let s = TotpSecret::generate();
        let now = 1_700_000_000u64;
        let code = s.code_at(now).unwrap();
        let step = check(&s, code.expose(), now, None).unwrap();
        // Replay in the same window, and a few seconds later.
        assert_eq!(check(&s, code.expose(), now, Some(step)), None);
        assert_eq!(check(&s, code.expose(), now + 20, Some(step)), None);
        // The previous step's code after this one was used.
        let older = s.code_at(now - 30).unwrap();
        assert_eq!(check(&s, older.expose(), now, Some(step)), None);
        // The next step's code is fresh.
        let next = s.code_at(now + 30).unwrap();
        assert_eq!(
            check(&s, next.expose(), now + 30, Some(step)),
            Some(step + 1)
        );
    }

    #[test]
    fn malformed_codes_are_refused_and_spaces_ignored() {
        let s = rfc_secret();
        assert_eq!(check(&s, "287 082", 59, None), Some(1));
        for bad in ["", "28708", "2870822", "+87082", "28708a", "２８７０８２"] {
            assert_eq!(check(&s, bad, 59, None), None, "{bad}");
        }
    }

    #[test]
    fn secrets_round_trip_and_render_redacted() {
        let s = TotpSecret::generate();
        assert_eq!(s.expose_bytes().len(), 20);
        let b32 = s.to_base32();
        assert_eq!(b32.expose().len(), 32);
        let back = TotpSecret::from_base32(b32.expose()).unwrap();
        assert_eq!(back.expose_bytes(), s.expose_bytes());
        assert!(TotpSecret::from_bytes(vec![1; 15]).is_err());
        assert!(TotpSecret::from_base32("not base32!").is_err());
        assert_eq!(format!("{s:?}"), "TotpSecret(***)");
        assert_ne!(TotpSecret::generate().expose_bytes(), s.expose_bytes());
    }

    #[test]
    fn otpauth_uri_names_issuer_and_account() {
        let s = rfc_secret();
        let uri = s.otpauth_uri("Tarello", "ann@example.com").unwrap();
        assert_eq!(
            uri.expose(),
            "otpauth://totp/Tarello:ann%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Tarello"
        );
        assert_eq!(format!("{uri}"), "***");
        assert!(s.otpauth_uri("Tar:ello", "ann").is_err());
        assert!(s.otpauth_uri("Tarello", "a:nn").is_err());
        assert!(s.otpauth_uri("Tarello", "").is_err());
    }

    // proves: ACC-6
    #[test]
    fn recovery_codes_are_random_unambiguous_and_single_use() {
        let pepper = [3u8; 32];
        let codes = recovery_codes(RECOVERY_CODES);
        assert_eq!(codes.len(), 10);
        let unique: HashSet<_> = codes.iter().map(|c| c.expose().clone()).collect();
        assert_eq!(unique.len(), 10);
        for c in &codes {
            let c = c.expose();
            assert_eq!(c.len(), 11, "{c}");
            assert_eq!(c.as_bytes()[5], b'-');
            assert!(
                c.bytes()
                    .filter(|&b| b != b'-')
                    .all(|b| RECOVERY_ALPHABET.contains(&b))
            );
            assert!(!c.contains(['i', 'l', 'o', 'u']));
        }
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| hash_recovery_code(&pepper, "user-1", c.expose()).unwrap())
            .collect();
        let mut stored: Vec<&str> = hashes.iter().map(String::as_str).collect();
        let third = codes[2].expose();
        // Typed in upper case without the dash, with O/I/L look-alikes.
        let typed: String = third
            .replace('-', "")
            .to_uppercase()
            .replace('0', "O")
            .replace('1', "l");
        assert_eq!(
            find_recovery_code(&pepper, "user-1", &typed, &stored),
            Some(2)
        );
        assert_eq!(find_recovery_code(&pepper, "user-2", third, &stored), None);
        assert_eq!(
            find_recovery_code(&[4u8; 32], "user-1", third, &stored),
            None
        );
        stored.remove(2);
        assert_eq!(find_recovery_code(&pepper, "user-1", third, &stored), None);
        assert_eq!(hash_recovery_code(&pepper, "user-1", "short"), None);
        assert_eq!(hash_recovery_code(&pepper, "user-1", "uuuuu-uuuuu"), None);
    }

    #[test]
    fn recovery_symbols_are_uniform() {
        let mut counts = [0usize; 32];
        for c in recovery_codes(3_200) {
            for b in c.expose().bytes().filter(|&b| b != b'-') {
                let i = RECOVERY_ALPHABET.iter().position(|&a| a == b).unwrap();
                counts[i] += 1;
            }
        }
        // 32,000 symbols, 1000 expected each, sd ~31: allow 6 sd.
        for (i, &n) in counts.iter().enumerate() {
            assert!((811..=1189).contains(&n), "symbol {i}: {n}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        // proves: ACC-6
        #[test]
        fn only_window_codes_are_accepted(
            secret in proptest::collection::vec(any::<u8>(), 16..40),
            now in 60u64..4_000_000_000,
            guess in 0u32..1_000_000,
        ) {
            let s = TotpSecret::from_bytes(secret).unwrap();
            let guess = format!("{guess:06}");
            let window: Vec<String> = [now - 30, now, now + 30]
                .iter()
                .map(|&t| s.code_at(t).unwrap().expose().clone())
                .collect();
            let got = check(&s, &guess, now, None);
            if window.contains(&guess) {
                prop_assert!(got.is_some());
            } else {
                prop_assert_eq!(got, None);
            }
            let step = i64::try_from(now / 30).unwrap();
            prop_assert_eq!(check(&s, &window[1], now, Some(step)), None);
        }
    }
}
