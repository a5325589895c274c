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
