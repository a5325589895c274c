//! Interop of field encryption with Python's `cryptography` package.
//!
//! The Python side (`tests/interop_fernet.py`) re-derives the per-field
//! Fernet key from the data key and the place using the derivation documented
//! in `src/field.rs`, and must agree with us in both directions.
//! Interpreter: `$TARELLO_PYTHON` (default `python3`); without `cryptography`
//! the test fails, it never passes silently.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tarello_crypto::{DataKey, FieldCipher, FieldPlace, fernet_key_for};
use uuid::Uuid;

mod support;

fn run_python(request: &Value) -> Value {
    support::run("interop_fernet.py", "cryptography", request)
}

struct Fixture {
    key: DataKey,
    workspace: Uuid,
    table: String,
    column: String,
    row: String,
}

impl Fixture {
    fn new(row: &str) -> Self {
        Self {
            key: DataKey::generate(),
            workspace: Uuid::now_v7(),
            table: "cards".into(),
            column: "description – naïve ✓".into(),
            row: row.into(),
        }
    }

    fn place(&self) -> FieldPlace<'_> {
        FieldPlace::new(self.workspace, &self.table, &self.column, &self.row)
    }

    fn request(&self, mode: &str) -> Value {
        json!({
            "mode": mode,
            "data_key": STANDARD.encode(self.key.expose_bytes()),
            "place": {
                "workspace_id": self.workspace.to_string(),
                "table": self.table,
                "column": self.column,
                "row": self.row,
            },
        })
    }
}

const PLAINTEXT: &[u8] = b"caf\xc3\xa9 \x00\x01\xff binary-safe secret";

// proves: ENC-1
#[test]
fn python_decrypts_our_token_with_rederived_key() {
    let fx = Fixture::new("0190d6a2-0000-7000-8000-000000000001");
    let cipher = FieldCipher::single(3, fx.key.clone());
    let stored = cipher.encrypt(&fx.place(), PLAINTEXT).unwrap();
    let token = stored.strip_prefix("f1:3:").unwrap();

    let mut req = fx.request("decrypt");
    req["token"] = json!(token);
    let resp = run_python(&req);

    let ours = fernet_key_for(&fx.key, &fx.place()).unwrap();
    assert_eq!(resp["fernet_key"].as_str().unwrap(), ours.expose());
    let plain = STANDARD
        .decode(resp["plaintext"].as_str().unwrap())
        .unwrap();
    assert_eq!(plain, PLAINTEXT);
}

// proves: ENC-1
#[test]
fn we_decrypt_python_token() {
    let fx = Fixture::new("row-42");
    let mut req = fx.request("encrypt");
    req["plaintext"] = json!(STANDARD.encode(PLAINTEXT));
    let resp = run_python(&req);
    let token = resp["token"].as_str().unwrap();

    let cipher = FieldCipher::single(7, fx.key.clone());
    let plain = cipher
        .decrypt(&fx.place(), &format!("f1:7:{token}"))
        .unwrap();
    assert_eq!(plain.expose(), PLAINTEXT);

    // The same token does not verify for another row.
    let other = FieldPlace::new(fx.workspace, &fx.table, &fx.column, "row-43");
    assert!(cipher.decrypt(&other, &format!("f1:7:{token}")).is_err());
}

// proves: ENC-1
#[test]
fn python_multifernet_decrypts_our_token() {
    let fx = Fixture::new("");
    let cipher = FieldCipher::single(1, fx.key.clone());
    let stored = cipher.encrypt(&fx.place(), b"multi").unwrap();
    let mut req = fx.request("multi_decrypt");
    req["token"] = json!(stored.strip_prefix("f1:1:").unwrap());
    let resp = run_python(&req);
    let plain = STANDARD
        .decode(resp["plaintext"].as_str().unwrap())
        .unwrap();
    assert_eq!(plain, b"multi");
}
