#!/usr/bin/env python3
"""The PyTorch peer of bench/codec: the same codec written straightforwardly
with PyTorch tensor operations on the CPU, the way Templar's compress.py
does it (topk on |x|, 12-bit packing, one byte per code, scatter_reduce
"mean"), on the same tensor shapes and thread count.

Prints JSON lines: the Templar-layout size against dense fp32, encode
throughput (error feedback, tiles, top-k, packing, quantizer, and the
decode that the error feedback subtracts), and aggregation of PEERS peers
(dequantize, lower-median norm clipping, unpack, scatter-mean, untile).
Peer 0 is a real encoding; peers 1.. shift its positions per tile by a
peer-specific offset and rotate its codes (the same amount of work,
without PEERS full encodes).

usage: torch_codec.py SHAPES.json [--threads T] [--peers P] [--reps R]
"""
import argparse
import json
import time
import warnings

import torch

warnings.filterwarnings("ignore", message="scatter_reduce")  # "in beta" in PyTorch 1.13

TOPK, CHUNK, BINS, RANGE, DECAY = 64, 64, 4, 6, 0.95


def split(n, target):
    return max(d for d in range(1, min(n, target) + 1) if n % d == 0)


class Geom:
    def __init__(self, shape):
        self.shape = tuple(shape)
        self.rows, self.cols = shape if len(shape) == 2 else (1, shape[0])
        self.n1, self.n2 = split(self.rows, CHUNK), split(self.cols, CHUNK)
        self.ty, self.tx = self.rows // self.n1, self.cols // self.n2
        self.totalk = self.n1 * self.n2
        k = max(min(TOPK, self.totalk), 2)
        self.k = k - k % 2

    def tiles(self, x):
        return x.view(self.ty, self.n1, self.tx, self.n2).permute(0, 2, 1, 3).reshape(-1, self.totalk)

    def untile(self, t):
        return t.view(self.ty, self.tx, self.n1, self.n2).permute(0, 2, 1, 3).reshape(self.shape)


def pack12(idx):
    flat = idx.reshape(-1).to(torch.int32)
    a, b = flat[0::2], flat[1::2]
    out = torch.empty(a.numel() * 3, dtype=torch.uint8)
    out[0::3] = (a & 0xFF).to(torch.uint8)
    out[1::3] = (((a >> 8) & 0x0F) | ((b & 0x0F) << 4)).to(torch.uint8)
    out[2::3] = (b >> 4).to(torch.uint8)
    return out


def unpack12(packed, shape):
    p = packed.to(torch.int64)
    out = torch.empty(packed.numel() // 3 * 2, dtype=torch.int64)
    out[0::2] = p[0::3] | ((p[1::3] & 0x0F) << 8)
    out[1::2] = (p[1::3] >> 4) | (p[2::3] << 4)
    return out.view(shape)


def quantize(vals):
    shift = vals.mean()
    c = vals - shift
    std = c.norm() / (c.numel() - 1) ** 0.5
    scale = RANGE * std / BINS
    if scale == 0 or not torch.isfinite(scale):
        scale = torch.tensor(1.0)
    codes = (c / scale + BINS // 2).round().clamp(0, BINS - 1).to(torch.uint8)
    sums = torch.zeros(BINS).scatter_add_(0, codes.view(-1).long(), c.view(-1))
    counts = torch.zeros(BINS).scatter_add_(0, codes.view(-1).long(), torch.ones(c.numel()))
    lookup = torch.where(counts > 0, sums / counts.clamp(min=1), torch.zeros(BINS))
    return codes, shift, scale, lookup


def encode(geoms, e, delta):
    out = []
    for g, ei, di in zip(geoms, e, delta):
        ei.mul_(DECAY).add_(di)
        x = g.tiles(ei)
        idx = torch.topk(x.abs(), g.k, dim=1, largest=True, sorted=False).indices
        codes, shift, scale, lookup = quantize(torch.gather(x, 1, idx))
        sent = torch.zeros_like(x).scatter_reduce_(1, idx, lookup[codes.long()] + shift, "mean", include_self=False)
        ei.sub_(g.untile(sent))
        out.append((pack12(idx), codes, shift, lookup))
    return out


def aggregate(geoms, peers):
    result = []
    for t, g in enumerate(geoms):
        vals = [p[t][3][p[t][1].long()] + p[t][2] for p in peers]
        norms = torch.stack([v.norm() for v in vals])
        med = norms.median()
        vals = [v * torch.clamp(med / (n + 1e-8), max=1) for v, n in zip(vals, norms)]
        idx = torch.cat([unpack12(p[t][0], (g.ty * g.tx, g.k)) for p in peers], dim=1)
        out = torch.zeros(g.ty * g.tx, g.totalk).scatter_reduce_(1, idx, torch.cat(vals, dim=1), "mean",
                                                                   include_self=False)
        result.append(g.untile(out))
    return result


def derived_peer(geoms, base, p):
    """Peer p: base's positions shifted by a peer-specific offset in each tile."""
    out = []
    for g, (packed, codes, shift, lookup) in zip(geoms, base):
        idx = (unpack12(packed, (g.ty * g.tx, g.k)) + 97 * p) % g.totalk
        out.append((pack12(idx), torch.roll(codes, p, dims=1), shift, lookup))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("shapes")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--peers", type=int, default=20)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    geoms = [Geom(s[1:]) for s in json.load(open(args.shapes))]
    n_floats = sum(g.rows * g.cols for g in geoms)
    delta = [((torch.rand(g.shape) * 2 - 1) ** 3 * 1e-3) for g in geoms]
    e = [torch.zeros(g.shape) for g in geoms]
    times = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        payload = encode(geoms, e, delta)
        times.append(time.perf_counter() - t0)
    size = sum(p[0].numel() + p[1].numel() + 4 + 4 + 4 * BINS for p in payload)
    gb = n_floats * 4 / 1e9
    meta = {"impl": "pytorch", "torch": torch.__version__, "threads": args.threads}
    print(json.dumps({"bench": "codec_ratio", **meta, "layout": "Templar (12-bit positions, byte codes)",
                      "bytes": size, "dense_bytes": n_floats * 4, "ratio": round(n_floats * 4 / size, 2)}))
    print(json.dumps({"bench": "codec_encode", **meta, "seconds_best": round(min(times), 4),
                      "gb_s": round(gb / min(times), 3), "gb_s_per_thread": round(gb / min(times) / args.threads, 3)}))
    peers = [payload] + [derived_peer(geoms, payload, p) for p in range(1, args.peers)]
    times = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        aggregate(geoms, peers)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"bench": "codec_aggregate", **meta, "peers": args.peers, "seconds_best": round(min(times), 4),
                      "gb_s": round(gb / min(times), 3), "gb_s_per_thread": round(gb / min(times) / args.threads, 3)}))


if __name__ == "__main__":
    main()
