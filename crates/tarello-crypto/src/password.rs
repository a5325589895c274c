//! Password hashing (Argon2id, PHC strings) and the password policy.
//!
//! Invariants:
//! - Every hash this module writes is `$argon2id$v=19$m=..,t=..,p=..$salt$hash`
//!   with the configured parameters and a fresh 16-byte random salt.
//! - Passwords are NFC-normalised before hashing and verifying, and measured
//!   in Unicode scalar values after NFC; nothing is truncated or case-folded.
//! - `verify` reports `needs_rehash` whenever the stored hash differs from the
//!   configured algorithm, version or parameters, so hashes follow the policy.
//! - `dummy_verify` costs one real verify, so unknown accounts take as long.
//! - No error or rejection ever contains the password.

use std::borrow::Cow;
use std::sync::OnceLock;

use argon2::password_hash::PasswordHasher as _;
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordVerifier as _, Version};
use unicode_normalization::{IsNormalized, UnicodeNormalization as _, is_nfc_quick};
use zxcvbn::matching::patterns::MatchPattern;

use crate::{CryptoError, SecretString};

/// Fewest characters (Unicode scalar values after NFC) a password may have.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Most characters a password may have (an Argon2 work bound, ASVS V15.2.2).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Longest password in bytes that `verify` will hash (4 bytes per char).
const MAX_PASSWORD_BYTES: usize = MAX_PASSWORD_CHARS * 4;
/// A password whose best zxcvbn guess count is below this is refused as
/// trivially guessable (repeats, sequences, keyboard walks, list words).
const MIN_GUESSES_LOG10: f64 = 4.0;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for PasswordParams {
    /// OWASP's Argon2id minimum: m=19456 KiB, t=2, p=1.
    fn default() -> Self {
        Self {
            m_kib: Params::DEFAULT_M_COST,
            t: Params::DEFAULT_T_COST,
            p: Params::DEFAULT_P_COST,
        }
    }
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The password matches.
    pub ok: bool,
    /// The stored hash uses other parameters than the configured ones: when
    /// `ok`, store a fresh [`PasswordHasher::hash`] of the password.
    pub needs_rehash: bool,
}

/// Hashes and verifies passwords with Argon2id.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: PasswordParams,
    argon: Argon2<'static>,
    dummy: OnceLock<Option<String>>,
}

impl PasswordHasher {
    /// A hasher with these parameters.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKey`] when Argon2 refuses the parameters.
    pub fn new(params: PasswordParams) -> Result<Self, CryptoError> {
        let p = Params::new(params.m_kib, params.t, params.p, None).map_err(|_| {
            CryptoError::InvalidKey {
                what: "Argon2 parameters",
            }
        })?;
        Ok(Self {
            params,
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, p),
            dummy: OnceLock::new(),
        })
    }

    /// The configured parameters.
    pub fn params(&self) -> PasswordParams {
        self.params
    }

    /// Hashes a password into a PHC string (fresh random salt).
    ///
    /// # Errors
    /// [`CryptoError::Internal`] if Argon2 or the system RNG fails.
    pub fn hash(&self, password: &SecretString) -> Result<String, CryptoError> {
        let pw = nfc(password.expose());
        let hash = self
            .argon
            .hash_password(pw.as_bytes())
            .map_err(|_| CryptoError::Internal {
                what: "argon2 hash",
            })?;
        Ok(hash.to_string())
    }

    /// Checks a password against a stored PHC string (Argon2 only; the
    /// stored string's own parameters are used for the check).
    ///
    /// # Errors
    /// [`CryptoError::MalformedPasswordHash`] if `phc` is not an Argon2 PHC
    /// string; a wrong password is `Ok(Verified { ok: false, .. })`.
    pub fn verify(&self, password: &SecretString, phc: &str) -> Result<Verified, CryptoError> {
        let parsed = PasswordHash::new(phc).map_err(|_| CryptoError::MalformedPasswordHash)?;
        let alg = Algorithm::try_from(parsed.algorithm.as_str())
            .map_err(|_| CryptoError::MalformedPasswordHash)?;
        let stored = Params::try_from(&parsed).map_err(|_| CryptoError::MalformedPasswordHash)?;
        let needs_rehash = alg != Algorithm::Argon2id
            || parsed.version != Some(Version::V0x13.into())
            || stored.m_cost() != self.params.m_kib
            || stored.t_cost() != self.params.t
            || stored.p_cost() != self.params.p
            || parsed.hash.map(|h| h.len()) != Some(Params::DEFAULT_OUTPUT_LEN);
        let pw = nfc(password.expose());
        if pw.len() > MAX_PASSWORD_BYTES {
            // Longer than any password the policy admits: never a match, but
            // cost the same as a real check.
            self.dummy_verify(&SecretString::from("x"));
            return Ok(Verified {
                ok: false,
                needs_rehash,
            });
        }
        match self.argon.verify_password(pw.as_bytes(), &parsed) {
            Ok(()) => Ok(Verified {
                ok: true,
                needs_rehash,
            }),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(Verified {
                ok: false,
                needs_rehash,
            }),
            Err(_) => Err(CryptoError::MalformedPasswordHash),
        }
    }

    /// Runs one verify against a fixed hash made once with the configured
    /// parameters, so a login for an unknown account costs as much as one
    /// for a known account. The result is always "no match".
    pub fn dummy_verify(&self, password: &SecretString) {
        let dummy = self.dummy.get_or_init(|| {
            self.hash(&SecretString::from("tarello-dummy-password-never-matches"))
                .ok()
        });
        match dummy {
            Some(phc) if password.expose().len() <= MAX_PASSWORD_BYTES => {
                let _ = self.verify(password, phc);
            }
            Some(phc) => {
                let _ = self.verify(&SecretString::from("x"), phc);
            }
            None => {
                let _ = self.hash(password);
            }
        }
    }
}

fn nfc(s: &str) -> Cow<'_, str> {
    if is_nfc_quick(s.chars()) == IsNormalized::Yes {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfc().collect())
    }
}

/// Why a new password was refused. The messages name the rule, never the
/// password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordRejected {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("password must be at least {min} characters long")]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    #[error("password must be at most {max} characters long")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// On the list of common/breached passwords, or a trivially guessable
    /// pattern (repeats, sequences, keyboard walks).
    #[error(
        "password is too common: it appears in lists of breached passwords or is an easily guessed pattern"
    )]
    Common,
    /// Equal to the account's email address or name.
    #[error("password must not be your email address or name")]
    MatchesContext,
}

/// Applies the password policy (NIST SP 800-63B): length 8..=256 characters
/// after NFC, not on the common-password list (zxcvbn's 30,000 most common
/// passwords, compiled in, with case, l33t and reversal variants) nor
/// trivially guessable, and not equal (case-insensitively) to any `context`
/// value such as the email address or name. No composition rules.
///
/// # Errors
/// The first rule the password breaks.
pub fn check_password(password: &SecretString, context: &[&str]) -> Result<(), PasswordRejected> {
    let pw = nfc(password.expose());
    let chars = pw.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordRejected::TooShort {
            min: MIN_PASSWORD_CHARS,
        });
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordRejected::TooLong {
            max: MAX_PASSWORD_CHARS,
        });
    }
    let lower = pw.to_lowercase();
    for value in context {
        let value = nfc(value.trim()).to_lowercase();
        if value.is_empty() {
            continue;
        }
        let local = value.split_once('@').map(|(local, _)| local);
        if lower == value || local.is_some_and(|l| !l.is_empty() && lower == l) {
            return Err(PasswordRejected::MatchesContext);
        }
    }
    if is_common(&pw) {
        return Err(PasswordRejected::Common);
    }
    Ok(())
}

/// True when zxcvbn explains the whole password as one entry of its
/// common-password list, or its guess estimate is trivially small.
fn is_common(pw: &str) -> bool {
    let entropy = zxcvbn::zxcvbn(pw, &[]);
    if entropy.guesses_log10() < MIN_GUESSES_LOG10 {
        return true;
    }
    let len = pw.chars().count();
    entropy.sequence().iter().any(|m| {
        m.i == 0
            && m.j + 1 >= len.min(100)
            && matches!(&m.pattern, MatchPattern::Dictionary(d)
                // zxcvbn does not export `DictionaryType`; its default
                // variant is `Passwords`, the common-password list.
                if d.dictionary_name == Default::default())
    })
}
