//! Interop of the identity primitives with independent Python libraries.
//!
//! The Python side (`tests/interop_identity.py`) uses pyotp, argon2-cffi and
//! PyJWT: our TOTP codes equal pyotp's, our Argon2id PHC strings verify in
//! argon2-cffi and theirs in ours, and PyJWT verifies our workspace tokens
//! from our JWKS JSON alone.
//! Interpreter: `$TARELLO_PYTHON` (default `python3`); without those modules
//! the tests fail, they never pass silently: run `scripts/test`, which
//! installs them into the project's virtual environment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use tarello_crypto::jwt::{self, Lane, SigningKey, WorkspaceClaims};
use tarello_crypto::totp::{self, TotpSecret};
use tarello_crypto::{PasswordHasher, PasswordParams, SecretString};
use uuid::Uuid;

mod support;

fn run_python(request: &Value) -> Value {
    support::run("interop_identity.py", "pyotp, argon2, jwt", request)
}

// proves: ACC-6
#[test]
fn our_totp_codes_equal_pyotp() {
    let times: Vec<u64> = vec![
        0,
        59,
        1_111_111_109,
        1_234_567_890,
        1_700_000_000,
        1_700_000_029,
        1_700_000_030,
        2_000_000_000,
        20_000_000_000,
    ];
    for secret in [
        TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap(),
        TotpSecret::generate(),
        TotpSecret::generate(),
    ] {
        let resp = run_python(&json!({
            "mode": "totp",
            "secret_b32": secret.to_base32().expose(),
            "times": times,
        }));
        let theirs = resp["codes"].as_array().unwrap();
        for (t, code) in times.iter().zip(theirs) {
            let code = code.as_str().unwrap();
            assert_eq!(secret.code_at(*t).unwrap().expose(), code, "t={t}");
            assert_eq!(
                totp::check(&secret, code, *t, None),
                Some(i64::try_from(t / 30).unwrap())
            );
        }
    }
}

// proves: ACC-1
#[test]
fn argon2id_phc_strings_interoperate_with_argon2_cffi() {
    let hasher = PasswordHasher::new(PasswordParams::default()).unwrap();
    let password = "naïve café – correct horse ✓";
    let ours = hasher.hash(&SecretString::from(password)).unwrap();

    let resp = run_python(&json!({"mode": "argon2_verify", "phc": ours, "password": password}));
    assert_eq!(resp["ok"], true, "{resp}");
    let resp = run_python(&json!({"mode": "argon2_verify", "phc": ours, "password": "naïve"}));
    assert_eq!(resp["ok"], false, "{resp}");

    // argon2-cffi's defaults (m=65536, t=3, p=4) differ from ours: it
    // verifies, and we ask for a rehash to our parameters.
    let resp = run_python(&json!({"mode": "argon2_hash", "password": password}));
    let theirs = resp["phc"].as_str().unwrap();
    assert!(theirs.starts_with("$argon2id$v=19$"), "{theirs}");
    let v = hasher
        .verify(&SecretString::from(password), theirs)
        .unwrap();
    assert!(v.ok && v.needs_rehash, "{v:?}");
    let v = hasher
        .verify(&SecretString::from("naïve café"), theirs)
        .unwrap();
    assert!(!v.ok);
}

// proves: ACC-8
#[test]
fn pyjwt_verifies_our_workspace_token_from_the_jwks_alone() {
    let key = SigningKey::generate_ed25519();
    let other = SigningKey::generate_ed25519();
    let workspace = Uuid::now_v7().to_string();
    let now = 1_800_000_000;
    let claims = WorkspaceClaims {
        sub: Uuid::now_v7(),
        aud: workspace.clone(),
        iss: "https://tarello.example".into(),
        iat: now,
        exp: now + 900,
        jti: Uuid::new_v4(),
        sid: Some(Uuid::now_v7()),
        lane: Lane::Human,
    };
    let token = jwt::issue(&key, &claims).unwrap();
    let jwks = jwt::jwks(&[other.public_key().clone(), key.public_key().clone()]);
    // Through JSON text, as a client would fetch it.
    let jwks: Value = serde_json::from_str(&jwks.to_string()).unwrap();

    let resp = run_python(&json!({
        "mode": "jwt_verify", "token": token, "jwks": jwks, "audience": workspace,
    }));
    assert!(resp.get("error").is_none(), "{resp}");
    assert_eq!(resp["header"]["alg"], "EdDSA");
    assert_eq!(resp["header"]["kid"], key.kid());
    let theirs: WorkspaceClaims = serde_json::from_value(resp["claims"].clone()).unwrap();
    assert_eq!(theirs, claims);

    // PyJWT also refuses it for another workspace, and a token whose
    // signature is not from the published key.
    let resp = run_python(&json!({
        "mode": "jwt_verify", "token": token, "jwks": jwks, "audience": "another-workspace",
    }));
    assert_eq!(resp["error"], "InvalidAudienceError", "{resp}");
    let mut parts: Vec<&str> = token.split('.').collect();
    let foreign = jwt::issue(&other, &claims).unwrap();
    let foreign_sig = foreign.rsplit('.').next().unwrap();
    parts[2] = foreign_sig;
    let resp = run_python(&json!({
        "mode": "jwt_verify", "token": parts.join("."), "jwks": jwks, "audience": workspace,
    }));
    assert_eq!(resp["error"], "InvalidSignatureError", "{resp}");
}
