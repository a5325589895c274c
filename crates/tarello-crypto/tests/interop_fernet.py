"""Interop partner for tests/interop_python.rs (proves: ENC-1).

Re-derives the per-field Fernet key exactly as documented in
src/field.rs and exercises Python's `cryptography.fernet` against tokens
produced by the Rust crate.

Input (stdin, JSON):
  {"mode": "decrypt" | "encrypt" | "multi_decrypt",
   "data_key": <base64 data key>,
   "place": {"workspace_id": <uuid>, "table": str, "column": str, "row": str},
   "token": <fernet token>          (decrypt, multi_decrypt),
   "plaintext": <base64 bytes>      (encrypt)}
Output (stdout, JSON): {"fernet_key": ..., "plaintext": <base64>} or
  {"fernet_key": ..., "token": ...}.
"""

import base64
import json
import struct
import sys
import uuid

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SALT = b"tarello-field-v1"


def encode_place(place):
    parts = [
        uuid.UUID(place["workspace_id"]).bytes,
        place["table"].encode("utf-8"),
        place["column"].encode("utf-8"),
        place["row"].encode("utf-8"),
    ]
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


def derive_key(data_key, place):
    okm = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=SALT,
        info=encode_place(place),
    ).derive(data_key)
    return base64.urlsafe_b64encode(okm)


def main():
    req = json.load(sys.stdin)
    data_key = base64.b64decode(req["data_key"])
    key = derive_key(data_key, req["place"])
    out = {"fernet_key": key.decode("ascii")}
    mode = req["mode"]
    if mode == "decrypt":
        out["plaintext"] = base64.b64encode(Fernet(key).decrypt(req["token"])).decode()
    elif mode == "multi_decrypt":
        multi = MultiFernet([Fernet(Fernet.generate_key()), Fernet(key)])
        out["plaintext"] = base64.b64encode(multi.decrypt(req["token"])).decode()
    elif mode == "encrypt":
        out["token"] = Fernet(key).encrypt(base64.b64decode(req["plaintext"])).decode()
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
