#!/usr/bin/env python3
"""Independent NumPy reference for tplr's pseudo-gradient codec.

Implements SparseLoCo as Templar runs it (shared/reference/templar.md §1) from
its description, vectorized the NumPy way: error feedback e <- beta*e + delta,
tiles of the largest divisor <= target_chunk per dimension, optional
orthonormal DCT-II per tile, top-k by magnitude per tile (ties: lower position
first), Templar's 12-bit position pairs, the per-tensor quantizer
(round-half-even, lookup table of bin means), e <- e - decode(sent), and the
aggregation of several peers (lower-median norm clipping, scatter-mean), plus
the index-overlap statistic. Conventions that Templar leaves open follow
docs/codec.md: sums of the quantizer statistics in float64 rounded to float32,
norms in float64, DCT in float64.

Inputs come from hash_floats (which the C test recomputes), so the file holds
only results. Writes one safetensors file that tests/test_codec_golden.c
compares against.
usage: codec_ref.py OUT.safetensors
"""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

F32 = np.float32
SHAPES = [(64, 128), (100, 70), (96,), (37,), (67, 64), (64, 130)]
NAMES = ["t%d" % i for i in range(len(SHAPES))]


def split(n, target):
    """The largest divisor of n that is <= target."""
    return max(d for d in range(1, min(n, target) + 1) if n % d == 0)


def clamp_k(topk, totalk):
    k = max(min(topk, totalk), 2)
    return k - k % 2


class Tensor:
    def __init__(self, shape, p):
        self.rows, self.cols = (shape if len(shape) == 2 else (1, shape[0]))
        self.n1, self.n2 = split(self.rows, p["chunk"]), split(self.cols, p["chunk"])
        self.ty, self.tx = self.rows // self.n1, self.cols // self.n2
        self.totalk = self.n1 * self.n2
        self.k = clamp_k(p["topk"], self.totalk)

    def tiles(self, x):
        """(rows, cols) -> (ty*tx, n1, n2), tiles row-major."""
        t = x.reshape(self.ty, self.n1, self.tx, self.n2).transpose(0, 2, 1, 3)
        return t.reshape(self.ty * self.tx, self.n1, self.n2)

    def untile(self, t):
        x = t.reshape(self.ty, self.tx, self.n1, self.n2).transpose(0, 2, 1, 3)
        return x.reshape(self.rows, self.cols)


def dct_basis(n):
    i = np.arange(n)[:, None]
    k = np.arange(n)[None, :]
    c = np.where(k == 0, math.sqrt(1.0 / n), math.sqrt(2.0 / n))
    return c * np.cos(math.pi * (2 * i + 1) * k / (2 * n))


def dct(t, tensor, inverse=False):
    f1, f2 = dct_basis(tensor.n1), dct_basis(tensor.n2)
    x = t.astype(np.float64)
    if inverse:
        return np.einsum("ia,cab,jb->cij", f1, x, f2).astype(F32)
    return np.einsum("ia,cij,jb->cab", f1, x, f2).astype(F32)


def top_k(flat, k):
    """Per tile: the k largest |x| (stable: lower position first), ascending."""
    order = np.argsort(-np.abs(flat), axis=1, kind="stable")[:, :k]
    return np.sort(order, axis=1)


def quantize(v, bins, rng):
    n = v.size
    shift = F32(np.sum(v.astype(np.float64)) / n)
    c = (v - shift).astype(F32)
    std = F32(math.sqrt(np.sum(c.astype(np.float64) ** 2) / (n - 1))) if n > 1 else F32(0)
    scale = F32(F32(rng) * std) / F32(bins)
    if scale == 0 or not np.isfinite(scale):
        scale = F32(1)
    codes = np.clip(np.rint(c / scale + F32(bins // 2)), 0, bins - 1).astype(np.uint8)
    lookup = np.zeros(bins, dtype=F32)
    for b in range(bins):
        sel = c[codes == b]
        if sel.size:
            lookup[b] = F32(np.sum(sel.astype(np.float64)) / sel.size)
    return codes, shift, scale, lookup


def pack12(idx):
    a = idx.reshape(-1)[0::2].astype(np.uint32)
    b = idx.reshape(-1)[1::2].astype(np.uint32)
    out = np.empty(a.size * 3, dtype=np.uint8)
    out[0::3] = a & 0xFF
    out[1::3] = ((a >> 8) & 0x0F) | ((b & 0x0F) << 4)
    out[2::3] = b >> 4
    return out


def pack_codes(codes, width):
    bits = ((codes[:, None].astype(np.uint32) >> np.arange(width)) & 1).astype(np.uint8).reshape(-1)
    return np.packbits(bits, bitorder="little")


class Encoder:
    def __init__(self, p):
        self.p = p
        self.t = [Tensor(s, p) for s in SHAPES]
        self.e = [np.zeros(s, dtype=F32) for s in SHAPES]

    def round(self, deltas):
        """One window; returns per tensor (idx, codes, shift, scale, lookup, sent)."""
        p, out = self.p, []
        for i, (t, d) in enumerate(zip(self.t, deltas)):
            self.e[i] = (self.e[i] * F32(p["decay"]) + d).astype(F32)
            tiles = t.tiles(self.e[i].reshape(t.rows, t.cols))
            if p["dct"]:
                tiles = dct(tiles, t)
            flat = tiles.reshape(len(tiles), -1)
            idx = top_k(flat, t.k)
            vals = np.take_along_axis(flat, idx, axis=1)
            codes, shift, scale, lookup = quantize(vals.reshape(-1), p["bins"], p["range"])
            sent = decode_one(t, idx, (lookup[codes] + shift).astype(F32), p)
            self.e[i] = (self.e[i] - sent.reshape(self.e[i].shape)).astype(F32)
            out.append((idx, codes, shift, scale, lookup, sent.reshape(-1)))
        return out


def scatter_mean(t, tile_ids, idx, vals):
    s = np.zeros((t.ty * t.tx, t.totalk), dtype=F32)
    n = np.zeros((t.ty * t.tx, t.totalk), dtype=F32)
    np.add.at(s, (tile_ids, idx), vals)
    np.add.at(n, (tile_ids, idx), F32(1))
    return np.where(n > 0, s / np.maximum(n, F32(1)), F32(0)).astype(F32)


def to_dense(t, tiles, p):
    tiles = tiles.reshape(-1, t.n1, t.n2)
    if p["dct"]:
        tiles = dct(tiles, t, inverse=True)
    return t.untile(tiles)


def decode_one(t, idx, vals, p):
    tile_ids = np.repeat(np.arange(idx.shape[0]), idx.shape[1])
    return to_dense(t, scatter_mean(t, tile_ids, idx.reshape(-1), vals.reshape(-1)), p)


def aggregate(t, peers, p):
    """peers: list of (idx, codes, shift, lookup). Returns (dense, norms)."""
    deq = [(lk[c] + sh).astype(F32) for (_, c, sh, lk) in peers]
    norms = [math.sqrt(np.sum(d.astype(np.float64) ** 2)) for d in deq]
    med = sorted(norms)[(len(norms) - 1) // 2]
    tile_ids, idx, vals = [], [], []
    for (pi, _, _, _), d, nm in zip(peers, deq, norms):
        f = F32(min(1.0, med / (nm + 1e-8)))
        tile_ids.append(np.repeat(np.arange(pi.shape[0]), pi.shape[1]))
        idx.append(pi.reshape(-1))
        vals.append((d * f).astype(F32))
    tiles = scatter_mean(t, np.concatenate(tile_ids), np.concatenate(idx), np.concatenate(vals))
    return to_dense(t, tiles, p).reshape(-1), np.array(norms)


def overlap(a, b):
    """Sum over tiles of |a's positions found in b's|, and tiles*k."""
    shared = sum(int(np.isin(x, y).sum()) for x, y in zip(a, b))
    return shared, a.size


def hash_floats(n, seed):
    """n float32 inputs from an integer hash that tests/test_codec_golden.c
    computes bit for bit: h = mix((i + seed*1000003)*2654435761 mod 2^32),
    u = ((h >> 8) - 2^23) * 2^-23 in [-1, 1), value u^3 (heavy-tailed)."""
    m = np.uint64(0xFFFFFFFF)
    h = ((np.arange(n, dtype=np.uint64) + np.uint64(seed * 1000003)) * np.uint64(2654435761)) & m
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(2246822519)) & m
    h ^= h >> np.uint64(13)
    u = ((h >> np.uint64(8)).astype(np.int64) - (1 << 23)).astype(F32) * F32(2.0**-23)
    return u * u * u


def deltas_for(seed, scale):
    out = []
    for i, s in enumerate(SHAPES):
        d = hash_floats(int(np.prod(s)), seed * 16 + i).reshape(s) * F32(scale * (1 + i))
        if i == 1:  # many equal magnitudes: ties at the threshold
            step = F32(scale * 0.25)
            d = np.rint(d / step) * step
        out.append(d.astype(F32))
    return out


def flat(arrs):
    return np.concatenate([a.reshape(-1) for a in arrs]).astype(F32)


def main():
    out_path = sys.argv[1]
    cases = {
        "plain": {"topk": 8, "chunk": 64, "bins": 4, "range": 6, "dct": 0, "decay": 0.95},
        "dct": {"topk": 16, "chunk": 64, "bins": 16, "range": 6, "dct": 1, "decay": 0.9},
    }
    tensors = []
    for name, p in cases.items():
        enc = Encoder(p)
        for r in range(2):
            deltas = deltas_for(100 * r + len(name), 1e-3)
            res = enc.round(deltas)
            tensors.append((f"{name}.e.{r}", flat(enc.e)))
            tensors.append((f"{name}.sent.{r}", flat([x[5] for x in res])))
            for tn, (idx, codes, shift, scale, lookup, _) in zip(NAMES, res):
                tensors.append((f"{name}.idx.{r}.{tn}", idx.astype(np.int32)))
                tensors.append((f"{name}.codes.{r}.{tn}", codes))
                tensors.append((f"{name}.quant.{r}.{tn}", np.concatenate([[shift, scale], lookup]).astype(F32)))
            if name == "plain" and r == 0:  # Templar's byte layouts of tensor t0
                tensors.append(("plain.pack12.0.t0", pack12(res[0][0])))
                tensors.append(("plain.packed_codes.0.t0", pack_codes(res[0][1], 2)))
        # Peers: one window each from a zero error feedback, deltas of
        # different scales so that clipping bites.
        n_peers = 5
        peer_res = []
        for i in range(n_peers):
            deltas = deltas_for(1000 + i, 1e-3 * (1 + i * i))
            peer_res.append(Encoder(p).round(deltas))
        dense, norms = [], []
        for ti, t in enumerate(Encoder(p).t):
            peers = [(pr[ti][0], pr[ti][1], pr[ti][2], pr[ti][4]) for pr in peer_res]
            d, nm = aggregate(t, peers, p)
            dense.append(d)
            norms.append(nm)
        tensors.append((f"{name}.aggregate", flat(dense)))
        tensors.append((f"{name}.norms", np.array(norms).T.astype(F32)))  # [peer][tensor]
        ov = np.zeros((n_peers, n_peers, 2), dtype=np.int64)
        for a in range(n_peers):
            for b in range(n_peers):
                for ti in range(len(SHAPES)):
                    s, tot = overlap(peer_res[a][ti][0], peer_res[b][ti][0])
                    ov[a, b] += (s, tot)
        tensors.append((f"{name}.overlap", ov))
    meta = {"format": "tplr-codec-golden", "version": "1", "cases": json.dumps(cases),
            "shapes": json.dumps([list(s) for s in SHAPES]), "numpy": np.__version__}
    st_io.save(out_path, tensors, meta)


if __name__ == "__main__":
    main()
