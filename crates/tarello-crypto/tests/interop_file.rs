//! Interop of the attachment blob format with Python's `cryptography`
//! (AESGCM, HKDF): `tests/interop_file.py` implements the format from the
//! documentation in `src/file.rs` and must agree with us both ways, at
//! sizes around the segment boundary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tarello_crypto::file::SEGMENT_LEN;
use tarello_crypto::{DataKey, Decryptor, Encryptor, FieldCipher, FileKey, FilePlace};
use uuid::Uuid;

mod support;

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 253) as u8).collect()
}

fn request(mode: &str, dk: &DataKey, place: &FilePlace) -> Value {
    json!({
        "mode": mode,
        "data_key": STANDARD.encode(dk.expose_bytes()),
        "version": 4,
        "workspace_id": place.workspace_id.to_string(),
        "attachment_id": place.attachment_id.to_string(),
    })
}

// proves: ENC-4
#[test]
fn python_decrypts_our_blobs_and_we_decrypt_theirs() {
    let dk = DataKey::generate();
    let cipher = FieldCipher::single(4, dk.clone());
    let place = FilePlace {
        workspace_id: Uuid::now_v7(),
        attachment_id: Uuid::now_v7(),
    };
    for len in [0, 5, SEGMENT_LEN, SEGMENT_LEN + 1, 2 * SEGMENT_LEN + 3] {
        let plain = plaintext(len);
        // Ours -> Python.
        let fk = FileKey::generate();
        let mut enc = Encryptor::new(&fk);
        let mut blob = Vec::new();
        for piece in plain.chunks(10_000) {
            enc.push(piece, &mut blob).unwrap();
        }
        enc.finish(&mut blob).unwrap();
        let mut req = request("decrypt", &dk, &place);
        req["file_key"] = json!(fk.wrap(&cipher, &place).unwrap());
        req["blob"] = json!(STANDARD.encode(&blob));
        let resp = support::run("interop_file.py", "cryptography", &req);
        let back = STANDARD
            .decode(resp["plaintext"].as_str().unwrap())
            .unwrap();
        assert_eq!(back, plain, "python decrypting {len} bytes");

        // Python -> ours.
        let mut req = request("encrypt", &dk, &place);
        req["plaintext"] = json!(STANDARD.encode(&plain));
        let resp = support::run("interop_file.py", "cryptography", &req);
        let fk = FileKey::unwrap(resp["file_key"].as_str().unwrap(), &cipher, &place).unwrap();
        let blob = STANDARD.decode(resp["blob"].as_str().unwrap()).unwrap();
        let mut dec = Decryptor::new(&fk);
        let mut out = Vec::new();
        for piece in blob.chunks(9_999) {
            dec.push(piece, &mut out).unwrap();
        }
        dec.finish(&mut out).unwrap();
        assert_eq!(out, plain, "we decrypting python's {len} bytes");
    }
}
