//! Access tokens: EdDSA (Ed25519) JWTs signed with per-workspace keys and
//! published as JWKS.
//!
//! Invariants:
//! - [`verify`] accepts only `alg: EdDSA` with `typ: at+jwt`, and only a
//!   `kid` found in the key set the caller passes (the token's own
//!   workspace's keys); `jwk`/`jku`/`x5u`/`x5c` headers are never used, so
//!   `none`, HS256-with-the-public-key and injected keys all fail.
//! - The audience must equal the expected one exactly (a workspace id, or
//!   [`ACCOUNT_AUDIENCE`] for account-level tokens); expiry is checked
//!   against the caller's clock with at most [`LEEWAY_SECS`] of leeway.
//! - `kid` is the first 16 hex characters of SHA-256 of the raw public key.
//! - Private keys render as `***` and leave only as PKCS#8 DER in a
//!   [`Secret`] (the caller encrypts it before storing).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore as _;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::otp::hex;
use crate::{CryptoError, Secret};

/// Audience of account-level access tokens (signed with the global key).
pub const ACCOUNT_AUDIENCE: &str = "tarello:account";
/// Largest clock difference tolerated on `exp` and `iat`, in seconds.
pub const LEEWAY_SECS: i64 = 30;
/// The `typ` header of our access tokens (RFC 9068).
pub const TOKEN_TYPE: &str = "at+jwt";

/// RFC 8410 PKCS#8 v1 prefix of an Ed25519 private key; the 32-byte seed
/// follows.
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// An Ed25519 signing key with its key id.
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    public: PublicKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.public.kid)
            .field("private", &crate::REDACTED)
            .finish()
    }
}

impl SigningKey {
    /// A fresh key from the OS CSPRNG.
    pub fn generate_ed25519() -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(seed.as_mut());
        Self::from_dalek(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    fn from_dalek(key: ed25519_dalek::SigningKey) -> Self {
        let public = PublicKey::from_verifying(key.verifying_key());
        Self { key, public }
    }

    /// Loads a key from PKCS#8 DER (v1 or v2).
    ///
    /// # Errors
    /// [`CryptoError::InvalidKey`] if `der` is not an Ed25519 PKCS#8 key.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, CryptoError> {
        ed25519_dalek::SigningKey::from_pkcs8_der(der)
            .map(Self::from_dalek)
            .map_err(|_| CryptoError::InvalidKey {
                what: "Ed25519 PKCS#8 key",
            })
    }

    /// The private key as PKCS#8 v1 DER (48 bytes), for encrypted storage.
    pub fn private_pkcs8(&self) -> Secret<Vec<u8>> {
        let mut der = Vec::with_capacity(PKCS8_PREFIX.len() + 32);
        der.extend_from_slice(&PKCS8_PREFIX);
        der.extend_from_slice(self.key.as_bytes());
        Secret::new(der)
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.public.kid
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The public key as a JWK.
    pub fn public_jwk(&self) -> Value {
        self.public.jwk()
    }
}

/// An Ed25519 public key with its key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    kid: String,
    x: [u8; 32],
}

impl PublicKey {
    fn from_verifying(key: ed25519_dalek::VerifyingKey) -> Self {
        let x = key.to_bytes();
        let kid = hex(&Sha256::digest(x)[..8]);
        Self { kid, x }
    }

    /// A public key from its 32 raw bytes.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKey`] if the bytes are not a curve point.
    pub fn from_bytes(x: &[u8; 32]) -> Result<Self, CryptoError> {
        ed25519_dalek::VerifyingKey::from_bytes(x)
            .map(Self::from_verifying)
            .map_err(|_| CryptoError::InvalidKey {
                what: "Ed25519 public key",
            })
    }

    /// A public key from an OKP/Ed25519 JWK (`kid` recomputed, not trusted).
    ///
    /// # Errors
    /// [`CryptoError::InvalidKey`] if the JWK is not an Ed25519 public key.
    pub fn from_jwk(jwk: &Value) -> Result<Self, CryptoError> {
        let bad = CryptoError::InvalidKey {
            what: "Ed25519 JWK",
        };
        if jwk["kty"] != "OKP" || jwk["crv"] != "Ed25519" || jwk.get("d").is_some() {
            return Err(bad);
        }
        let x = jwk["x"].as_str().ok_or(bad.clone())?;
        let bytes = URL_SAFE_NO_PAD.decode(x).map_err(|_| bad.clone())?;
        let x: [u8; 32] = bytes.try_into().map_err(|_| bad)?;
        Self::from_bytes(&x)
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The raw 32-byte public key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.x
    }

    /// `{"kty":"OKP","crv":"Ed25519","x":..,"kid":..,"alg":"EdDSA","use":"sig"}`.
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.x),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        })
    }
}

/// A JWK Set (`{"keys":[...]}`) of these public keys.
pub fn jwks(keys: &[PublicKey]) -> Value {
    json!({ "keys": keys.iter().map(PublicKey::jwk).collect::<Vec<_>>() })
}

/// Who a token speaks for: a person, or a machine (API token, integration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lane {
    /// A human user's session.
    Human,
    /// An API token or integration.
    Machine,
}

/// The claims of an access token. For account-level tokens `aud` is
/// [`ACCOUNT_AUDIENCE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceClaims {
    /// The user, or the API token's id.
    pub sub: Uuid,
    /// The workspace id, or [`ACCOUNT_AUDIENCE`].
    pub aud: String,
    /// The issuer (the server's public URL).
    pub iss: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
    /// Token id.
    pub jti: Uuid,
    /// The session, for human tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    /// Human or machine.
    pub lane: Lane,
}

/// Why a token was refused. Messages never contain the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a compact JWS with a JSON header.
    #[error("token is malformed")]
    Malformed,
    /// `alg` is not `EdDSA` (including `none` and HMAC), or `typ` is wrong,
    /// or the header has `crit` extensions.
    #[error("token algorithm or type is not accepted")]
    Algorithm,
    /// No `kid`, or a `kid` not in this audience's key set.
    #[error("token is signed with an unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("token signature is invalid")]
    BadSignature,
    /// A required claim is missing or has the wrong type.
    #[error("token claims are missing or invalid")]
    InvalidClaims,
    /// `aud` is not the expected audience.
    #[error("token is for another audience")]
    WrongAudience,
    /// `exp` has passed.
    #[error("token has expired")]
    Expired,
    /// `iat` is in the future.
    #[error("token is not yet valid")]
    NotYetValid,
}

/// Signs `claims` as a JWT with header `{"alg":"EdDSA","typ":"at+jwt","kid":..}`.
///
/// # Errors
/// [`CryptoError::Internal`] if signing fails (not expected).
pub fn issue(key: &SigningKey, claims: &WorkspaceClaims) -> Result<String, CryptoError> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some(TOKEN_TYPE.to_owned());
    header.kid = Some(key.public.kid.clone());
    let der = key.private_pkcs8();
    let encoding = EncodingKey::from_ed_der(der.expose());
    jsonwebtoken::encode(&header, claims, &encoding)
        .map_err(|_| CryptoError::Internal { what: "jwt sign" })
}

/// Verifies an access token for `expected_aud` against `keys` (the key set
/// of that audience only) at time `now` (Unix seconds).
///
/// # Errors
/// The first check that failed; see [`TokenError`].
pub fn verify(
    token: &str,
    expected_aud: &str,
    keys: &[PublicKey],
    now: i64,
) -> Result<WorkspaceClaims, TokenError> {
    let header = header_of(token)?;
    if header.get("alg").and_then(Value::as_str) != Some("EdDSA")
        || header.get("typ").and_then(Value::as_str) != Some(TOKEN_TYPE)
        || header.get("crit").is_some()
    {
        return Err(TokenError::Algorithm);
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(TokenError::UnknownKey)?;
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or(TokenError::UnknownKey)?;

    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<WorkspaceClaims>(
        token,
        &DecodingKey::from_ed_der(&key.x),
        &validation,
    )
    .map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::BadSignature,
        jsonwebtoken::errors::ErrorKind::Json(_) => TokenError::InvalidClaims,
        jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => TokenError::Algorithm,
        _ => TokenError::Malformed,
    })?;
    let claims = data.claims;
    if claims.aud != expected_aud {
        return Err(TokenError::WrongAudience);
    }
    if claims.exp <= claims.iat {
        return Err(TokenError::InvalidClaims);
    }
    if now >= claims.exp.saturating_add(LEEWAY_SECS) {
        return Err(TokenError::Expired);
    }
    if claims.iat > now.saturating_add(LEEWAY_SECS) {
        return Err(TokenError::NotYetValid);
    }
    Ok(claims)
}

/// Verifies an account-level token (audience [`ACCOUNT_AUDIENCE`]) against
/// the global key set.
///
/// # Errors
/// As [`verify`].
pub fn verify_account(
    token: &str,
    keys: &[PublicKey],
    now: i64,
) -> Result<WorkspaceClaims, TokenError> {
    verify(token, ACCOUNT_AUDIENCE, keys, now)
}

fn header_of(token: &str) -> Result<serde_json::Map<String, Value>, TokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(h)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}
