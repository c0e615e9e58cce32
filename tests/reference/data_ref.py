#!/usr/bin/env python3
"""Golden values for tplr's data layer from NumPy and hashlib (independent of
tplr): Templar's sample pools np.random.default_rng(seed).choice(N, K,
replace=False) with seed = (uid*1000003 ^ window) & 0xFFFFFFFF, sample ids
(BLAKE2b, digest_size 8, over uint32 little-endian tokens) and the pool digest
(BLAKE2b-128 hex over the sorted uint64 ids). The token stream is a simple
formula the C test reproduces: token[i] = (i * 2654435761) % vocab.

usage: data_ref.py OUT.json"""
import hashlib
import json
import sys

import numpy as np

VOCAB, SAMPLE_LEN, N_SAMPLES = 50257, 64, 30000


def tokens():
    i = np.arange(N_SAMPLES * SAMPLE_LEN, dtype=np.uint64)
    return ((i * np.uint64(2654435761)) % np.uint64(VOCAB)).astype(np.uint32)


def sample_ids(tok):
    rows = tok.reshape(N_SAMPLES, SAMPLE_LEN)
    return np.array([int.from_bytes(hashlib.blake2b(r.astype("<u4").tobytes(), digest_size=8).digest(), "little")
                     for r in rows], dtype=np.uint64)


def main():
    ids = sample_ids(tokens())
    cases = []
    for uid, window, k, net in [(0, 0, 10, 0), (7, 12345, 300, 0), (255, 99999999, 1200, 0), (3, 42, 500, 2**40 + 5)]:
        seed = (uid * 1000003 ^ window) & 0xFFFFFFFF
        entropy = seed if net == 0 else [seed, net & 0xFFFFFFFF, net >> 32]
        pool = np.random.default_rng(entropy).choice(N_SAMPLES, k, replace=False)
        digest = hashlib.blake2b(np.sort(ids[pool]).astype("<u8").tobytes(), digest_size=16).hexdigest()
        cases.append({"uid": uid, "window": window, "pool_size": k, "network_seed": net,
                      "pool_head": [int(x) for x in pool[:20]], "pool_sum": int(pool.sum()), "digest": digest})
    out = {"vocab": VOCAB, "sample_len": SAMPLE_LEN, "n_samples": N_SAMPLES,
           "ids_head": [str(int(x)) for x in ids[:8]], "ids_xor": str(int(np.bitwise_xor.reduce(ids))),
           "pools": cases, "numpy": np.__version__}
    with open(sys.argv[1], "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
