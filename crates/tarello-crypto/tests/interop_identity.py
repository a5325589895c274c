"""Interop partner for tests/interop_identity.rs (proves: ACC-1, ACC-6, ACC-8).

Checks the identity primitives of the Rust crate against independent Python
implementations: pyotp (TOTP), argon2-cffi (Argon2id PHC strings) and PyJWT
(EdDSA JWTs verified from our JWKS alone).

Input (stdin, JSON), one of:
  {"mode": "totp", "secret_b32": str, "times": [int]}
      -> {"codes": [str]}                       pyotp.TOTP(secret).at(t)
  {"mode": "argon2_verify", "phc": str, "password": str}
      -> {"ok": bool, "needs_rehash": bool}     argon2.PasswordHasher().verify
  {"mode": "argon2_hash", "password": str}
      -> {"phc": str}                           argon2.PasswordHasher().hash
  {"mode": "jwt_verify", "token": str, "jwks": {...}, "audience": str}
      -> {"claims": {...}, "header": {...}} or {"error": <exception class>}
"""

import json
import sys

import argon2
import jwt
import pyotp
from jwt import PyJWK


def totp(req):
    t = pyotp.TOTP(req["secret_b32"])
    return {"codes": [t.at(int(x)) for x in req["times"]]}


def argon2_verify(req):
    ph = argon2.PasswordHasher()
    try:
        ok = ph.verify(req["phc"], req["password"])
    except argon2.exceptions.VerifyMismatchError:
        ok = False
    return {"ok": ok, "needs_rehash": ph.check_needs_rehash(req["phc"])}


def argon2_hash(req):
    return {"phc": argon2.PasswordHasher().hash(req["password"])}


def jwt_verify(req):
    token = req["token"]
    header = jwt.get_unverified_header(token)
    keys = {k["kid"]: k for k in req["jwks"]["keys"]}
    if header.get("kid") not in keys:
        return {"error": "UnknownKid"}
    key = PyJWK(keys[header["kid"]]).key
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=["EdDSA"],
            audience=req["audience"],
            options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"],
                     "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as e:
        return {"error": type(e).__name__}
    return {"claims": claims, "header": header}


MODES = {
    "totp": totp,
    "argon2_verify": argon2_verify,
    "argon2_hash": argon2_hash,
    "jwt_verify": jwt_verify,
}


def main():
    req = json.load(sys.stdin)
    json.dump(MODES[req["mode"]](req), sys.stdout)


if __name__ == "__main__":
    main()
