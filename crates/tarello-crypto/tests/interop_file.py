"""Interop partner for tests/interop_file.rs (proves: ENC-4).

Implements the attachment blob format and the file-key wrapping documented
in src/file.rs with Python's `cryptography` (AESGCM, HKDF), independently of
the Rust crate.

Input (stdin, JSON):
  {"mode": "decrypt" | "encrypt",
   "data_key": <base64>, "version": int,
   "workspace_id": <uuid>, "attachment_id": <uuid>,
   "file_key": <stored k1:... string>   (decrypt),
   "blob": <base64>                     (decrypt),
   "plaintext": <base64>                (encrypt)}
Output (stdout, JSON): {"plaintext": <base64>} or {"file_key": ..., "blob": <base64>}.
"""

import base64
import json
import os
import struct
import sys
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEGMENT = 64 * 1024
TAG = 16
MAGIC = b"tarF\x01"


def wrap_cipher(data_key):
    okm = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"tarello-file-v1", info=b"file key"
    ).derive(data_key)
    return AESGCM(okm)


def wrap_aad(req):
    return (
        b"tarello fk v1|"
        + uuid.UUID(req["workspace_id"]).bytes
        + uuid.UUID(req["attachment_id"]).bytes
        + struct.pack(">i", req["version"])
    )


def b64url_nopad_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def unwrap(req, data_key):
    tag, version, blob = req["file_key"].split(":", 2)
    assert tag == "k1" and int(version) == req["version"]
    raw = b64url_nopad_decode(blob)
    return wrap_cipher(data_key).decrypt(raw[:12], raw[12:], wrap_aad(req))


def nonce(prefix, index, last):
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


def decrypt(file_key, blob):
    header, body = blob[:12], blob[12:]
    assert header[:5] == MAGIC
    aead, prefix = AESGCM(file_key), header[5:12]
    full = SEGMENT + TAG
    segments = [body[i : i + full] for i in range(0, len(body), full)] or [b""]
    out = b""
    for i, seg in enumerate(segments):
        out += aead.decrypt(nonce(prefix, i, i == len(segments) - 1), seg, header)
    return out


def encrypt(file_key, plain):
    prefix = os.urandom(7)
    header = MAGIC + prefix
    aead = AESGCM(file_key)
    pieces = [plain[i : i + SEGMENT] for i in range(0, len(plain), SEGMENT)] or [b""]
    out = header
    for i, piece in enumerate(pieces):
        out += aead.encrypt(nonce(prefix, i, i == len(pieces) - 1), piece, header)
    return out


def main():
    req = json.load(sys.stdin)
    data_key = base64.b64decode(req["data_key"])
    if req["mode"] == "decrypt":
        file_key = unwrap(req, data_key)
        plain = decrypt(file_key, base64.b64decode(req["blob"]))
        out = {"plaintext": base64.b64encode(plain).decode()}
    elif req["mode"] == "encrypt":
        file_key = os.urandom(32)
        n = os.urandom(12)
        wrapped = n + wrap_cipher(data_key).encrypt(n, file_key, wrap_aad(req))
        stored = "k1:%d:%s" % (
            req["version"],
            base64.urlsafe_b64encode(wrapped).decode().rstrip("="),
        )
        blob = encrypt(file_key, base64.b64decode(req["plaintext"]))
        out = {"file_key": stored, "blob": base64.b64encode(blob).decode()}
    else:
        raise SystemExit(f"unknown mode {req['mode']!r}")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
