#!/usr/bin/env python3
"""The PyTorch peer for bench/gpu: trains the same Llama (weights from the
same `tplr model init` checkpoint) on the same rows in the same order as
`tplr train` (step i uses rows i*B .. i*B+B-1), on a GPU, with bf16 autocast,
fused AdamW (decay on matrices only), global-norm clipping 1.0 and tplr's
learning-rate schedule (linear warmup, cosine to 0.1·lr). Attention is
PyTorch's fused scaled_dot_product_attention (flash), RMSNorm F.rms_norm;
--compile wraps the model in torch.compile.

Prints one JSON line: tokens/s over the steps after --skip, peak memory;
with --log, one JSON line per step (step, loss), as `tplr train --log`."""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "reference"))
import st_io  # noqa: E402


class Llama(torch.nn.Module):
    def __init__(self, cfg, weights, T):
        super().__init__()
        self.cfg = cfg
        self.names = list(weights.keys())
        self.params = torch.nn.ParameterDict(
            {n.replace(".", "__"): torch.nn.Parameter(torch.from_numpy(a.copy())) for n, a in weights.items()})
        hd = cfg["hidden_size"] // cfg["num_attention_heads"]
        inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
        f = torch.outer(torch.arange(T, dtype=torch.float32), inv)
        emb = torch.cat((f, f), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)

    def w(self, n):
        return self.params[n.replace(".", "__")]

    def rope(self, x):
        h = x.shape[-1] // 2
        rot = torch.cat((-x[..., h:], x[..., :h]), dim=-1)
        return (x * self.cos + rot * self.sin).to(x.dtype)

    def forward(self, ids):
        c = self.cfg
        B, T = ids.shape
        C, H, KV = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        hd, eps = C // H, c["rms_norm_eps"]
        x = self.w("model.embed_tokens.weight")[ids]
        for i in range(c["num_hidden_layers"]):
            p = f"model.layers.{i}."
            h = F.rms_norm(x, (C,), self.w(p + "input_layernorm.weight"), eps)
            q = F.linear(h, self.w(p + "self_attn.q_proj.weight")).view(B, T, H, hd).transpose(1, 2)
            k = F.linear(h, self.w(p + "self_attn.k_proj.weight")).view(B, T, KV, hd).transpose(1, 2)
            v = F.linear(h, self.w(p + "self_attn.v_proj.weight")).view(B, T, KV, hd).transpose(1, 2)
            o = F.scaled_dot_product_attention(self.rope(q), self.rope(k), v, is_causal=True, enable_gqa=H != KV)
            x = x + F.linear(o.transpose(1, 2).reshape(B, T, H * hd), self.w(p + "self_attn.o_proj.weight"))
            h = F.rms_norm(x, (C,), self.w(p + "post_attention_layernorm.weight"), eps)
            g = F.linear(h, self.w(p + "mlp.gate_proj.weight"))
            u = F.linear(h, self.w(p + "mlp.up_proj.weight"))
            x = x + F.linear(F.silu(g) * u, self.w(p + "mlp.down_proj.weight"))
        x = F.rms_norm(x, (C,), self.w("model.norm.weight"), eps)
        head = self.w("model.embed_tokens.weight") if c.get("tie_word_embeddings") else self.w("lm_head.weight")
        return F.linear(x, head)


def lr_at(step, lr, warmup, t_max, eta_min_factor=0.1):
    """tplr_lr_at (src/optim/adamw.c)."""
    if step < warmup:
        return lr * (step + 1) / warmup
    eta_min = eta_min_factor * lr
    if t_max <= 0:
        return lr
    prog = min(1.0, (step - warmup) / t_max)
    return eta_min + (lr - eta_min) * 0.5 * (1.0 + math.cos(math.pi * prog))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("data")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--skip", type=int, default=5, help="steps left out of the timing (warm-up, compilation)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=6e-4)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--log")
    args = ap.parse_args()

    dev = "cuda"
    with open(os.path.join(args.model_dir, "config.json")) as f:
        cfg = json.load(f)
    weights, _ = st_io.load(os.path.join(args.model_dir, "model.safetensors"))
    rows = np.load(args.data, mmap_mode="r")
    T = rows.shape[1] - 1
    model = Llama(cfg, weights, T).to(dev)
    fwd = torch.compile(model) if args.compile else model
    V = cfg["vocab_size"]
    params = list(model.parameters())
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8, fused=True)
    t_max = max(0, args.steps - args.warmup)
    log = open(args.log, "w") if args.log else None
    torch.cuda.reset_peak_memory_stats()
    t_start = None
    for step in range(args.steps):
        if step == args.skip:
            torch.cuda.synchronize()
            t_start = time.perf_counter()
        idx = [(step * args.batch + b) % rows.shape[0] for b in range(args.batch)]
        batch = torch.from_numpy(np.asarray(rows[idx], dtype=np.int64)).to(dev, non_blocking=True)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.lr, args.warmup, t_max)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = fwd(batch[:, :-1])
        loss = F.cross_entropy(logits.float().reshape(-1, V), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, 1.0, foreach=True)
        opt.step()
        lv = loss.item()
        if log:
            log.write(json.dumps({"step": step + 1, "loss": round(lv, 6), "grad_norm": round(float(norm), 6)}) + "\n")
    torch.cuda.synchronize()
    seconds = time.perf_counter() - t_start
    tokens = (args.steps - args.skip) * args.batch * T
    print(json.dumps({"bench": "gpu_train", "impl": "pytorch-compile" if args.compile else "pytorch-eager",
                      "torch": torch.__version__, "gpu": torch.cuda.get_device_name(), "steps": args.steps,
                      "timed_steps": args.steps - args.skip, "tok_s": round(tokens / seconds, 1),
                      "final_loss": round(lv, 5), "peak_allocated_bytes": torch.cuda.max_memory_allocated(),
                      "peak_reserved_bytes": torch.cuda.max_memory_reserved()}))


if __name__ == "__main__":
    main()
