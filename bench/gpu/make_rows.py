#!/usr/bin/env python3
"""Synthetic training rows for the GPU checks: a fixed random bigram
language (each token has four likely successors, probabilities .55/.25/.15/.05),
so that a model's loss falls from ln(V) towards ~1.2 and two trainers' loss
curves can be compared. Writes a 2-D uint16 .npy (N, seq+1), the format
`tplr train --data` reads.

usage: make_rows.py OUT.npy [--rows N --seq S --vocab V --seed K]"""
import argparse

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--seq", type=int, default=1024)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.RandomState(a.seed)
    succ = rng.randint(0, a.vocab, size=(a.vocab, 4))
    choice = rng.choice(4, size=(a.rows, a.seq), p=[0.55, 0.25, 0.15, 0.05])
    rows = np.empty((a.rows, a.seq + 1), dtype=np.int64)
    rows[:, 0] = rng.randint(0, a.vocab, size=a.rows)
    for t in range(a.seq):
        rows[:, t + 1] = succ[rows[:, t], choice[:, t]]
    np.save(a.out, rows.astype(np.uint16 if a.vocab <= 65536 else np.int32))


if __name__ == "__main__":
    main()
