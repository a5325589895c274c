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

use crate::{CryptoError, SecretString};

/// Fewest characters (Unicode scalar values after NFC) a password may have.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Most characters a password may have (an Argon2 work bound, ASVS V15.2.2).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Longest password in bytes that `verify` will hash (4 bytes per char).
const MAX_PASSWORD_BYTES: usize = MAX_PASSWORD_CHARS * 4;
/// A password zxcvbn can guess in fewer tries than this is refused as common
/// (see [`is_common`]).
const MAX_COMMON_GUESSES: u64 = 100_000;

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
        if parsed.salt.is_none() || parsed.hash.is_none() {
            return Err(CryptoError::MalformedPasswordHash);
        }
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
/// after NFC; not on the common-password list (zxcvbn's 30,000 most common
/// passwords, compiled into the binary, also capitalised or upper case) nor
/// otherwise guessable in under 100,000 tries by zxcvbn (repeats,
/// sequences, keyboard walks, a word plus a year); and not equal (case-insensitively) to any `context`
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

/// True when zxcvbn can guess the password in fewer than [`MAX_COMMON_GUESSES`]
/// tries. zxcvbn rates a password from its 30,000-entry common-password list
/// at no more than its rank (times 2 when capitalised or all upper case), so
/// every such entry falls below the bound, as do repeats, sequences, keyboard
/// walks and dictionary words with a digit or year appended.
fn is_common(pw: &str) -> bool {
    zxcvbn::zxcvbn(pw, &[]).guesses() < MAX_COMMON_GUESSES
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::PasswordHasher as _;
    use proptest::prelude::*;
    use rand::Rng as _;

    use super::*;

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(PasswordParams::default()).unwrap()
    }

    fn pw(s: &str) -> SecretString {
        SecretString::from(s)
    }

    // proves: ACC-1
    #[test]
    fn hashes_are_argon2id_phc_and_verify_exactly() {
        let h = hasher();
        let phc = h.hash(&pw("correct horse battery staple")).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert_eq!(
            h.verify(&pw("correct horse battery staple"), &phc).unwrap(),
            Verified {
                ok: true,
                needs_rehash: false
            }
        );
        for wrong in [
            "Correct horse battery staple",
            "correct horse battery stapl",
            "correct horse battery staple ",
            "",
        ] {
            assert!(!h.verify(&pw(wrong), &phc).unwrap().ok, "{wrong:?}");
        }
        // Fresh salt every time.
        assert_ne!(phc, h.hash(&pw("correct horse battery staple")).unwrap());
        // The hash never contains the password.
        assert!(!phc.contains("correct"));
    }

    // proves: ACC-1
    #[test]
    fn weaker_or_other_parameters_need_rehash() {
        let old = PasswordHasher::new(PasswordParams {
            m_kib: 8192,
            t: 1,
            p: 1,
        })
        .unwrap();
        let phc = old.hash(&pw("rising-parameters-42")).unwrap();
        assert!(phc.contains("$m=8192,t=1,p=1$"), "{phc}");
        let v = hasher().verify(&pw("rising-parameters-42"), &phc).unwrap();
        assert_eq!(
            v,
            Verified {
                ok: true,
                needs_rehash: true
            }
        );
        assert!(hasher().verify(&pw("wrong"), &phc).unwrap().needs_rehash);

        // Argon2i with the same costs is another algorithm: rehash.
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(19456, 2, 1, None).unwrap(),
        );
        let phc = argon2i
            .hash_password(b"rising-parameters-42")
            .unwrap()
            .to_string();
        assert!(phc.starts_with("$argon2i$"));
        let v = hasher().verify(&pw("rising-parameters-42"), &phc).unwrap();
        assert!(v.ok && v.needs_rehash);
    }

    #[test]
    fn malformed_hashes_are_errors_not_matches() {
        let h = hasher();
        for bad in [
            "",
            "plaintext",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$argon2id$v=19$m=19456,t=2,p=1$bm90IGEgaGFzaA",
            "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
        ] {
            assert_eq!(
                h.verify(&pw("whatever-password"), bad),
                Err(CryptoError::MalformedPasswordHash),
                "{bad}"
            );
        }
    }

    // proves: ACC-1
    #[test]
    fn nfc_equivalent_passwords_match_and_overlong_never_does() {
        let h = hasher();
        let composed = "caf\u{e9}-na\u{ef}ve-p\u{e2}ss";
        let decomposed = "cafe\u{301}-nai\u{308}ve-pa\u{302}ss";
        let phc = h.hash(&pw(composed)).unwrap();
        assert!(h.verify(&pw(decomposed), &phc).unwrap().ok);
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        let phc = h.hash(&pw(&long)).unwrap();
        assert!(!h.verify(&pw(&long), &phc).unwrap().ok);
    }

    // proves: ACC-3
    #[test]
    fn dummy_verify_uses_a_real_hash_with_current_parameters() {
        let h = hasher();
        h.dummy_verify(&pw("unknown-account-password"));
        let dummy = h.dummy.get().unwrap().as_deref().unwrap();
        assert!(
            dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{dummy}"
        );
        // A second call reuses the same hash.
        h.dummy_verify(&pw("x"));
        assert_eq!(h.dummy.get().unwrap().as_deref(), Some(dummy));
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(
            PasswordHasher::new(PasswordParams {
                m_kib: 1,
                t: 0,
                p: 0
            })
            .is_err()
        );
    }

    fn random_password(len: usize) -> String {
        const ALPHABET: &[char] = &['a', 'Z', '7', '#', 'é', '中', 'k', 'q', 'ß', '!', 'x', 'M'];
        let mut rng = rand::thread_rng();
        (0..len)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())])
            .collect()
    }

    // proves: ACC-2
    #[test]
    fn length_bounds_count_characters_after_nfc() {
        assert_eq!(
            check_password(&pw("kq7#mZ2"), &[]),
            Err(PasswordRejected::TooShort { min: 8 })
        );
        assert_eq!(check_password(&pw("kq7#mZ2p"), &[]), Ok(()));
        // 7 two-byte characters: 14 bytes but 7 characters.
        assert!(matches!(
            check_password(&pw("éßü中ñøå"), &[]),
            Err(PasswordRejected::TooShort { .. })
        ));
        // 8 characters once composed (16 scalars before NFC).
        let decomposed = "e\u{301}a\u{308}o\u{302}u\u{300}i\u{301}n\u{303}c\u{327}y\u{308}";
        assert_eq!(check_password(&pw(decomposed), &[]), Ok(()));
        for len in [64, 128, 256] {
            assert_eq!(
                check_password(&pw(&random_password(len)), &[]),
                Ok(()),
                "{len}"
            );
        }
        assert_eq!(
            check_password(&pw(&random_password(257)), &[]),
            Err(PasswordRejected::TooLong { max: 256 })
        );
    }

    // proves: ACC-2
    #[test]
    fn common_and_breached_passwords_are_refused() {
        // Entries of the compiled-in list (some that zxcvbn splits into a
        // name plus a digit), capitalised variants and obvious patterns.
        for common in [
            "password",
            "password1",
            "password123456",
            "baseball",
            "iloveyou2",
            "patrick9",
            "1william",
            "heathers",
            "zxcvbnmm",
            "q12345678",
            "123123123a",
            "Wonderwoman",
            "Mercede1",
            "PASSWORD1",
            "P@ssw0rd",
            "qwertyuiop",
            "1qaz2wsx3edc",
            "aaaaaaaaaaaa",
            "12345678",
            "abcdefghijklmnop",
            "summer2024",
        ] {
            assert_eq!(
                check_password(&pw(common), &[]),
                Err(PasswordRejected::Common),
                "{common}"
            );
        }
    }

    // proves: ACC-2
    #[test]
    fn no_composition_rules() {
        for fine in [
            "correct horse battery staple",
            "alllowercasepassphrase",
            "740291836502913",
            "mydogmax1",
            "welcome2tarello",
            "Tr0ub4dor&3",
            "日本語のパスフレーズです",
        ] {
            assert_eq!(check_password(&pw(fine), &[]), Ok(()), "{fine}");
        }
    }

    // proves: ACC-2
    #[test]
    fn password_equal_to_email_or_name_is_refused() {
        let ctx = ["Ann.Smith-Tarello@Example.com", "Annabel Smithson Jones"];
        for bad in [
            "ann.smith-tarello@example.com",
            "ANN.SMITH-TARELLO@EXAMPLE.COM",
            "ann.smith-tarello",
            "annabel smithson jones",
        ] {
            assert_eq!(
                check_password(&pw(bad), &ctx),
                Err(PasswordRejected::MatchesContext),
                "{bad}"
            );
        }
        assert_eq!(check_password(&pw("ann.smith-tarello!vault"), &ctx), Ok(()));
        assert_eq!(check_password(&pw("kq7#mZ2p"), &["", "@"]), Ok(()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        // proves: ACC-2
        #[test]
        fn rejections_never_echo_the_password(s in "[a-zA-Z0-9 #é中]{4,40}") {
            if let Err(e) = check_password(&pw(&s), &[&s]) {
                let text = format!("{e} {e:?}");
                prop_assert!(!text.contains(s.trim()), "{}", text);
            }
        }
    }
}
