#!/usr/bin/env python3
"""The PyTorch peer for bench/train: trains the same model (the reference
module in tests/reference/llama_ref.py, loaded from the same checkpoint) on
the same rows, with AdamW, global-norm clipping and the same thread count.
Prints one JSON line with tokens/s over the steps after the warm-up."""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "reference"))
import llama_ref  # noqa: E402
import st_io  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("model_dir")
    ap.add_argument("data")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup-steps", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    with open(os.path.join(args.model_dir, "config.json")) as f:
        cfg = json.load(f)
    weights, _ = st_io.load(os.path.join(args.model_dir, "model.safetensors"))
    model = llama_ref.Llama(cfg, weights)
    rows = np.load(args.data, mmap_mode="r")
    V = cfg["vocab_size"]
    decay = [p for _, p in model.named() if p.dim() >= 2]
    no_decay = [p for _, p in model.named() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8, foreach=True)
    total = args.warmup_steps + args.steps
    t_start = None
    for step in range(total):
        if step == args.warmup_steps:
            t_start = time.perf_counter()
        idx = [(step * args.batch + b) % rows.shape[0] for b in range(args.batch)]
        batch = torch.from_numpy(np.asarray(rows[idx], dtype=np.int64))
        logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, V), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    seconds = time.perf_counter() - t_start
    tokens = args.steps * args.batch * (rows.shape[1] - 1)
    print(json.dumps({"bench": "train", "impl": "pytorch", "torch": torch.__version__, "threads": args.threads,
                      "steps": args.steps, "tok_s": round(tokens / seconds, 1), "final_loss": round(loss.item(), 5),
                      "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


if __name__ == "__main__":
    main()
