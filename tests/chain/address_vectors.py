#!/usr/bin/env python3
"""Independent reference for tplr addresses (docs/formats.md, "Addresses"):
base58(version 42 | public key | first 4 bytes of BLAKE2b-256("tplr-address" |
version | key)). Writes address_vectors.json, which tests/test_wallet.c checks
the C encoder and decoder against. Needs only the Python standard library."""
import hashlib
import json
import os

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
VERSION = 42


def base58(data: bytes) -> str:
    value = int.from_bytes(data, "big")
    out = ""
    while value:
        value, r = divmod(value, 58)
        out = ALPHABET[r] + out
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + out


def address(pk: bytes) -> str:
    body = bytes([VERSION]) + pk
    check = hashlib.blake2b(b"tplr-address" + body, digest_size=32).digest()[:4]
    return base58(body + check)


keys = [
    bytes(32),
    bytes([0xFF] * 32),
    bytes(range(32)),
    # RFC 8032, section 7.1, test 1: the public key of seed 9d61b19d...7f60
    bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
    hashlib.sha256(b"tplr").digest(),
]
vectors = [{"public_key": k.hex(), "address": address(k)} for k in keys]
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "address_vectors.json"), "w") as f:
    json.dump(vectors, f, indent=1)
    f.write("\n")
for v in vectors:
    print(v["address"], len(v["address"]))
