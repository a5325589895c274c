use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::datakey::DataKey;

const SEG: usize = SEGMENT_LEN;
const FULL: usize = SEGMENT_LEN + TAG_LEN;

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn encrypt_in(key: &FileKey, plain: &[u8], piece: usize) -> Vec<u8> {
    let mut enc = Encryptor::new(key);
    let mut out = Vec::new();
    for chunk in plain.chunks(piece.max(1)) {
        enc.push(chunk, &mut out).unwrap();
    }
    enc.finish(&mut out).unwrap();
    out
}

fn decrypt_in(key: &FileKey, blob: &[u8], piece: usize) -> Result<Vec<u8>, CryptoError> {
    let mut dec = Decryptor::new(key);
    let mut out = Vec::new();
    for chunk in blob.chunks(piece.max(1)) {
        dec.push(chunk, &mut out)?;
    }
    dec.finish(&mut out)?;
    Ok(out)
}

fn place() -> FilePlace {
    FilePlace {
        workspace_id: Uuid::from_u128(0xaaaa),
        attachment_id: Uuid::from_u128(0xbbbb),
    }
}

#[test]
fn round_trip_and_layout() {
    let key = FileKey::generate();
    for len in [0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG, 2 * SEG + 7] {
        let plain = data(len);
        let blob = encrypt_in(&key, &plain, 4096);
        assert_eq!(blob.len() as u64, encrypted_len(len as u64), "{len}");
        assert_eq!(&blob[..5], b"tarF\x01");
        assert_eq!(decrypt_in(&key, &blob, 1000).unwrap(), plain, "{len}");
    }
    // A fresh nonce prefix each time: the same file never encrypts alike.
    let plain = data(100);
    assert_ne!(encrypt_in(&key, &plain, 100), encrypt_in(&key, &plain, 100));
}

#[test]
fn ciphertext_does_not_contain_the_plaintext() {
    let key = FileKey::generate();
    let plain = b"MARKER-THE-PLAINTEXT-MARKER ".repeat(5000);
    let blob = encrypt_in(&key, &plain, 777);
    assert!(!blob.windows(27).any(|w| w == &plain[..27]));
}

// proves: ENC-4
#[test]
fn tampering_truncation_reordering_and_extension_are_detected() {
    let key = FileKey::generate();
    let plain = data(3 * SEG + 100);
    let blob = encrypt_in(&key, &plain, SEG);
    let segs: Vec<&[u8]> = blob[HEADER_LEN..].chunks(FULL).collect();
    assert_eq!(segs.len(), 4);

    let mut bad: Vec<(&str, Vec<u8>)> = Vec::new();
    for pos in [0, 5, 11, HEADER_LEN, HEADER_LEN + FULL + 3, blob.len() - 1] {
        let mut b = blob.clone();
        b[pos] ^= 0x01;
        bad.push(("flipped byte", b));
    }
    // Truncated at each segment boundary, inside a segment, and to nothing.
    for cut in [
        HEADER_LEN,
        HEADER_LEN + FULL,
        HEADER_LEN + 2 * FULL,
        HEADER_LEN + 3 * FULL,
        blob.len() - 1,
        7,
        0,
    ] {
        bad.push(("truncated", blob[..cut].to_vec()));
    }
    // Two segments swapped.
    let mut swapped = blob[..HEADER_LEN].to_vec();
    for i in [1, 0, 2, 3] {
        swapped.extend_from_slice(segs[i]);
    }
    bad.push(("swapped", swapped));
    // A middle segment dropped.
    let mut dropped = blob[..HEADER_LEN].to_vec();
    for i in [0, 2, 3] {
        dropped.extend_from_slice(segs[i]);
    }
    bad.push(("dropped", dropped));
    // Something appended after the last segment.
    let mut extended = blob.clone();
    extended.extend_from_slice(segs[1]);
    bad.push(("extended", extended));
    // A segment of another file under the same key (other nonce prefix).
    let other = encrypt_in(&key, &plain, SEG);
    let mut spliced = blob[..HEADER_LEN + FULL].to_vec();
    spliced.extend_from_slice(&other[HEADER_LEN + FULL..]);
    bad.push(("spliced", spliced));

    for (what, b) in bad {
        assert_eq!(
            decrypt_in(&key, &b, 5000).unwrap_err(),
            CryptoError::FileDecrypt,
            "{what} ({} bytes)",
            b.len()
        );
    }
    // Another key: refused.
    assert_eq!(
        decrypt_in(&FileKey::generate(), &blob, 5000).unwrap_err(),
        CryptoError::FileDecrypt
    );
    assert_eq!(decrypt_in(&key, &blob, 5000).unwrap(), plain);
}

#[test]
fn a_full_last_segment_cut_off_is_detected() {
    // Exactly two segments: dropping the second leaves a full first
    // segment that was sealed as "not last".
    let key = FileKey::generate();
    let blob = encrypt_in(&key, &data(2 * SEG), 3000);
    assert_eq!(blob.len(), HEADER_LEN + 2 * FULL);
    assert_eq!(
        decrypt_in(&key, &blob[..HEADER_LEN + FULL], 3000).unwrap_err(),
        CryptoError::FileDecrypt
    );
}

fn cipher_v(versions: &[(i32, DataKey)], primary: i32) -> FieldCipher {
    FieldCipher::new(
        versions.iter().cloned().collect::<BTreeMap<_, _>>(),
        primary,
    )
    .unwrap()
}

// proves: ENC-4
#[test]
fn file_keys_are_wrapped_and_bound_to_their_attachment() {
    let (k1, k2) = (DataKey::generate(), DataKey::generate());
    let c1 = cipher_v(&[(1, k1.clone())], 1);
    let fk = FileKey::generate();
    let stored = fk.wrap(&c1, &place()).unwrap();
    assert!(stored.starts_with("k1:1:"), "{stored}");
    assert_eq!(file_key_version(&stored).unwrap(), 1);
    let back = FileKey::unwrap(&stored, &c1, &place()).unwrap();
    assert_eq!(back.expose_bytes(), fk.expose_bytes());

    for there in [
        FilePlace {
            attachment_id: Uuid::from_u128(1),
            ..place()
        },
        FilePlace {
            workspace_id: Uuid::from_u128(1),
            ..place()
        },
    ] {
        assert_eq!(
            FileKey::unwrap(&stored, &c1, &there).unwrap_err(),
            CryptoError::FileKeyUnwrap
        );
    }
    // Both versions loaded: old wraps still open; new ones use the primary.
    let both = cipher_v(&[(1, k1), (2, k2)], 2);
    assert!(FileKey::unwrap(&stored, &both, &place()).is_ok());
    let rewrapped = fk.wrap(&both, &place()).unwrap();
    assert_eq!(file_key_version(&rewrapped).unwrap(), 2);
    let relabelled = stored.replacen("k1:1:", "k1:2:", 1);
    assert_eq!(
        FileKey::unwrap(&relabelled, &both, &place()).unwrap_err(),
        CryptoError::FileKeyUnwrap
    );
    assert_eq!(
        FileKey::unwrap(&rewrapped, &c1, &place()).unwrap_err(),
        CryptoError::UnknownKeyVersion { version: 2 }
    );
    for bad in [
        "",
        "k1:1",
        "k2:1:AAAA",
        "k1:01:AAAA",
        "k1:x:AAAA",
        "k1:1:!!",
    ] {
        assert_eq!(
            FileKey::unwrap(bad, &c1, &place()).unwrap_err(),
            CryptoError::MalformedFileKey,
            "{bad}"
        );
    }
    assert_eq!(
        FileKey::unwrap("k1:1:AAAA", &c1, &place()).unwrap_err(),
        CryptoError::FileKeyUnwrap
    );
}

// proves: ENC-6
#[test]
fn file_keys_render_redacted() {
    let fk = FileKey::from_bytes([0x42; 32]);
    let shown = format!("{fk:?} {:?}", Encryptor::new(&fk));
    assert!(shown.contains("***"));
    assert!(!shown.contains("4242") && !shown.contains("66, 66"));
}

fn boundary_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        (0usize..3, -2i64..=2).prop_map(|(k, d)| (k as i64 * SEG as i64 + d).max(0) as usize),
        0usize..3 * SEG,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    // proves: ENC-4
    #[test]
    fn prop_round_trip_around_segment_boundaries(
        len in boundary_len(),
        piece_in in 1usize..(SEG + 100),
        piece_out in 1usize..(FULL + 100),
    ) {
        let key = FileKey::generate();
        let plain = data(len);
        let blob = encrypt_in(&key, &plain, piece_in);
        prop_assert_eq!(blob.len() as u64, encrypted_len(len as u64));
        prop_assert_eq!(decrypt_in(&key, &blob, piece_out).unwrap(), plain);
    }

    // proves: ENC-4
    #[test]
    fn prop_any_truncation_or_flip_fails(
        len in boundary_len(),
        cut_frac in 0.0f64..1.0,
        flip_frac in 0.0f64..1.0,
    ) {
        let key = FileKey::generate();
        let blob = encrypt_in(&key, &data(len), 10_000);
        let cut = ((blob.len() as f64) * cut_frac) as usize;
        prop_assert!(decrypt_in(&key, &blob[..cut.min(blob.len() - 1)], 9_000).is_err());
        let mut flipped = blob.clone();
        let at = ((blob.len() as f64) * flip_frac) as usize;
        flipped[at.min(blob.len() - 1)] ^= 0x80;
        prop_assert!(decrypt_in(&key, &flipped, 9_000).is_err());
    }
}
