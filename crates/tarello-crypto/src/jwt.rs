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

#[cfg(test)]
mod tests {
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;

    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn claims(aud: &str) -> WorkspaceClaims {
        WorkspaceClaims {
            sub: Uuid::now_v7(),
            aud: aud.to_owned(),
            iss: "https://tarello.example".to_owned(),
            iat: NOW,
            exp: NOW + 600,
            jti: Uuid::new_v4(),
            sid: Some(Uuid::now_v7()),
            lane: Lane::Human,
        }
    }

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    fn payload_of(token: &str) -> Value {
        let p = token.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
    }

    /// Signs arbitrary header/payload JSON with `key` (for forged tokens).
    fn sign_raw(key: &SigningKey, header: &Value, payload: &Value) -> String {
        use ed25519_dalek::Signer as _;
        let input = format!("{}.{}", b64(header), b64(payload));
        let sig = key.key.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    // proves: ACC-8
    #[test]
    fn issued_tokens_verify_with_their_workspace_keys() {
        let key = SigningKey::generate_ed25519();
        let ws = Uuid::now_v7().to_string();
        let c = claims(&ws);
        let token = issue(&key, &c).unwrap();
        let header = header_of(&token).unwrap();
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(header["kid"], key.kid());
        assert_eq!(
            verify(&token, &ws, &[key.public_key().clone()], NOW),
            Ok(c.clone())
        );

        let machine = WorkspaceClaims {
            sid: None,
            lane: Lane::Machine,
            ..c
        };
        let token = issue(&key, &machine).unwrap();
        assert_eq!(payload_of(&token)["lane"], "machine");
        assert!(payload_of(&token).get("sid").is_none());
        assert_eq!(
            verify(&token, &ws, &[key.public_key().clone()], NOW),
            Ok(machine)
        );
    }

    // proves: ACC-8
    #[test]
    fn kid_is_sha256_prefix_and_jwks_publishes_public_parts_only() {
        let key = SigningKey::generate_ed25519();
        let x = key.public_key().as_bytes();
        assert_eq!(key.kid(), &hex(&Sha256::digest(x))[..16]);
        let jwk = key.public_jwk();
        assert_eq!(jwk["kty"], "OKP");
        assert_eq!(jwk["crv"], "Ed25519");
        assert_eq!(jwk["alg"], "EdDSA");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["kid"], key.kid());
        assert_eq!(jwk["x"], URL_SAFE_NO_PAD.encode(x));
        assert!(jwk.get("d").is_none());
        assert_eq!(PublicKey::from_jwk(&jwk).unwrap(), *key.public_key());
        let other = SigningKey::generate_ed25519();
        let set = jwks(&[key.public_key().clone(), other.public_key().clone()]);
        assert_eq!(set["keys"].as_array().unwrap().len(), 2);
        assert_eq!(set["keys"][1]["kid"], other.kid());
        let mut private = jwk.clone();
        private["d"] = json!("AAAA");
        assert!(PublicKey::from_jwk(&private).is_err());
    }

    #[test]
    fn pkcs8_round_trips_in_v1_and_v2() {
        let key = SigningKey::generate_ed25519();
        let der = key.private_pkcs8();
        assert_eq!(der.expose().len(), 48);
        let back = SigningKey::from_pkcs8(der.expose()).unwrap();
        assert_eq!(back.kid(), key.kid());
        // The v2 form (with the public key) that other tools write loads too.
        let v2 = key.key.to_pkcs8_der().unwrap();
        assert_eq!(v2.as_bytes()[16..48], der.expose()[16..48]);
        assert_eq!(
            SigningKey::from_pkcs8(v2.as_bytes()).unwrap().kid(),
            key.kid()
        );
        assert!(SigningKey::from_pkcs8(&der.expose()[..40]).is_err());
        let dbg = format!("{key:?}");
        assert!(dbg.contains(key.kid()) && dbg.contains("***"), "{dbg}");
        assert!(!dbg.contains(&format!("{:?}", key.key.as_bytes())));
        assert_eq!(format!("{der:?}"), "***");
    }

    // proves: ACC-8
    #[test]
    fn another_workspace_key_or_audience_is_refused() {
        let a = SigningKey::generate_ed25519();
        let b = SigningKey::generate_ed25519();
        let (ws_a, ws_b) = ("workspace-a", "workspace-b");
        let token = issue(&a, &claims(ws_a)).unwrap();
        // Presented to workspace B: B's key set has no such kid.
        assert_eq!(
            verify(&token, ws_b, &[b.public_key().clone()], NOW),
            Err(TokenError::UnknownKey)
        );
        // Even with A's keys, the audience must match.
        assert_eq!(
            verify(&token, ws_b, &[a.public_key().clone()], NOW),
            Err(TokenError::WrongAudience)
        );
        // Signed by B but claiming A's kid.
        let forged = sign_raw(
            &b,
            &json!({"alg": "EdDSA", "typ": "at+jwt", "kid": a.kid()}),
            &payload_of(&token),
        );
        assert_eq!(
            verify(&forged, ws_a, &[a.public_key().clone()], NOW),
            Err(TokenError::BadSignature)
        );
        // Account tokens are their own audience.
        assert_eq!(
            verify_account(&token, &[a.public_key().clone()], NOW),
            Err(TokenError::WrongAudience)
        );
        let account = issue(&a, &claims(ACCOUNT_AUDIENCE)).unwrap();
        assert!(verify_account(&account, &[a.public_key().clone()], NOW).is_ok());
        assert_eq!(
            verify(&account, ws_a, &[a.public_key().clone()], NOW),
            Err(TokenError::WrongAudience)
        );
    }

    // proves: ACC-8
    #[test]
    fn alg_confusion_none_and_injected_keys_are_refused() {
        use hmac::{Hmac, Mac};
        let key = SigningKey::generate_ed25519();
        let keys = [key.public_key().clone()];
        let payload = serde_json::to_value(claims("ws")).unwrap();
        // HS256 with the public key (raw bytes, or its JWK `x` text) as secret.
        for secret in [
            key.public_key().as_bytes().to_vec(),
            URL_SAFE_NO_PAD
                .encode(key.public_key().as_bytes())
                .into_bytes(),
        ] {
            let input = format!(
                "{}.{}",
                b64(&json!({"alg": "HS256", "typ": "at+jwt", "kid": key.kid()})),
                b64(&payload)
            );
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&secret).unwrap();
            mac.update(input.as_bytes());
            let token = format!(
                "{input}.{}",
                URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            );
            assert_eq!(verify(&token, "ws", &keys, NOW), Err(TokenError::Algorithm));
        }
        // alg none, with and without a signature part.
        let none = format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "at+jwt", "kid": key.kid()})),
            b64(&payload)
        );
        assert_eq!(verify(&none, "ws", &keys, NOW), Err(TokenError::Algorithm));
        let none = none.trim_end_matches('.');
        assert_eq!(verify(none, "ws", &keys, NOW), Err(TokenError::Malformed));
        // Wrong typ, crit extensions.
        let token = issue(&key, &claims("ws")).unwrap();
        let body = token.split_once('.').unwrap().1;
        for header in [
            json!({"alg": "EdDSA", "typ": "JWT", "kid": key.kid()}),
            json!({"alg": "EdDSA", "kid": key.kid()}),
            json!({"alg": "EdDSA", "typ": "at+jwt", "kid": key.kid(), "crit": ["exp"]}),
        ] {
            let t = format!("{}.{body}", b64(&header));
            assert_eq!(verify(&t, "ws", &keys, NOW), Err(TokenError::Algorithm));
        }
        // The attacker's own key embedded as `jwk`, with their kid or ours.
        let attacker = SigningKey::generate_ed25519();
        for kid in [attacker.kid(), key.kid()] {
            let t = sign_raw(
                &attacker,
                &json!({"alg": "EdDSA", "typ": "at+jwt", "kid": kid, "jwk": attacker.public_jwk()}),
                &payload,
            );
            let err = verify(&t, "ws", &keys, NOW).unwrap_err();
            assert!(matches!(
                err,
                TokenError::UnknownKey | TokenError::BadSignature
            ));
        }
        // No kid at all.
        let t = sign_raw(&key, &json!({"alg": "EdDSA", "typ": "at+jwt"}), &payload);
        assert_eq!(verify(&t, "ws", &keys, NOW), Err(TokenError::UnknownKey));
    }

    // proves: ACC-8
    #[test]
    fn expiry_has_at_most_thirty_seconds_leeway() {
        let key = SigningKey::generate_ed25519();
        let keys = [key.public_key().clone()];
        let c = claims("ws");
        let token = issue(&key, &c).unwrap();
        assert!(verify(&token, "ws", &keys, c.exp + LEEWAY_SECS - 1).is_ok());
        assert_eq!(
            verify(&token, "ws", &keys, c.exp + LEEWAY_SECS),
            Err(TokenError::Expired)
        );
        assert_eq!(
            verify(&token, "ws", &keys, c.exp + 3600),
            Err(TokenError::Expired)
        );
        assert!(verify(&token, "ws", &keys, c.iat - LEEWAY_SECS).is_ok());
        assert_eq!(
            verify(&token, "ws", &keys, c.iat - LEEWAY_SECS - 1),
            Err(TokenError::NotYetValid)
        );
        let backwards = WorkspaceClaims { exp: c.iat, ..c };
        let token = issue(&key, &backwards).unwrap();
        assert_eq!(
            verify(&token, "ws", &keys, NOW),
            Err(TokenError::InvalidClaims)
        );
    }

    // proves: ACC-8
    #[test]
    fn missing_or_bad_claims_and_tampering_are_refused() {
        let key = SigningKey::generate_ed25519();
        let keys = [key.public_key().clone()];
        let header = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": key.kid()});
        let full = serde_json::to_value(claims("ws")).unwrap();
        for field in ["sub", "aud", "iss", "iat", "exp", "jti", "lane"] {
            let mut p = full.clone();
            p.as_object_mut().unwrap().remove(field);
            let t = sign_raw(&key, &header, &p);
            assert_eq!(
                verify(&t, "ws", &keys, NOW),
                Err(TokenError::InvalidClaims),
                "{field}"
            );
        }
        let mut p = full.clone();
        p["lane"] = json!("robot");
        let t = sign_raw(&key, &header, &p);
        assert_eq!(verify(&t, "ws", &keys, NOW), Err(TokenError::InvalidClaims));
        let mut p = full.clone();
        p["aud"] = json!(["ws", "other"]);
        let t = sign_raw(&key, &header, &p);
        assert_eq!(verify(&t, "ws", &keys, NOW), Err(TokenError::InvalidClaims));

        // Payload swapped after signing.
        let token = issue(&key, &claims("ws")).unwrap();
        let mut p = payload_of(&token);
        p["sub"] = json!(Uuid::now_v7());
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = b64(&p);
        assert_eq!(
            verify(&parts.join("."), "ws", &keys, NOW),
            Err(TokenError::BadSignature)
        );
        for junk in ["", "a.b", "a.b.c.d", "!!!.e30.x", "e30.e30.e30"] {
            assert!(verify(junk, "ws", &keys, NOW).is_err(), "{junk}");
        }
    }

    // proves: ACC-8
    #[test]
    fn rotation_keeps_old_tokens_until_the_old_key_is_dropped() {
        let old = SigningKey::generate_ed25519();
        let new = SigningKey::generate_ed25519();
        let token = issue(&old, &claims("ws")).unwrap();
        let both = [new.public_key().clone(), old.public_key().clone()];
        assert!(verify(&token, "ws", &both, NOW).is_ok());
        assert!(verify(&issue(&new, &claims("ws")).unwrap(), "ws", &both, NOW).is_ok());
        assert_eq!(
            verify(&token, "ws", &[new.public_key().clone()], NOW),
            Err(TokenError::UnknownKey)
        );
    }
}
