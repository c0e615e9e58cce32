#!/usr/bin/env python3
"""Independent PyTorch reference for tplr's engine.

Builds a Llama decoder with Hugging Face's semantics (RMSNorm, rotate-half
RoPE, grouped-query causal attention, SwiGLU, optional tied embeddings) from a
checkpoint folder written by `tplr model init`, then on a fixed batch records:
the logits and mean cross-entropy of the first forward pass, every parameter's
gradient, and the losses of N AdamW steps (decay on matrices only, global-norm
clipping). Everything is written to one safetensors file that the C test
tests/test_golden_torch.c compares against.

usage: llama_ref.py MODEL_DIR OUT.safetensors [--batch B --seq T --steps N --seed S --device cpu|cuda]
(--device cuda computes the same golden in fp32 on a GPU, without TF32, for
the CUDA backend's test: TPLR_GOLDEN_DIR=... test_cuda_kernels)
"""
import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402


class Llama(torch.nn.Module):
    def __init__(self, cfg, weights):
        super().__init__()
        self.cfg = cfg
        self.params = torch.nn.ParameterDict()
        self.names = list(weights.keys())
        for name, arr in weights.items():
            self.params[name.replace(".", "__")] = torch.nn.Parameter(torch.from_numpy(arr.copy()))

    def w(self, name):
        return self.params[name.replace(".", "__")]

    def named(self):
        return [(n, self.w(n)) for n in self.names]

    @staticmethod
    def rmsnorm(x, weight, eps):
        var = x.pow(2).mean(-1, keepdim=True)
        return weight * (x * torch.rsqrt(var + eps))

    def rope(self, T, hd):
        theta = self.cfg["rope_theta"]
        inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
        t = torch.arange(T, dtype=torch.float32)
        freqs = torch.outer(t, inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()

    @staticmethod
    def rotate_half(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), dim=-1)

    def forward(self, ids):
        c = self.cfg
        B, T = ids.shape
        C, H, KV = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        hd = C // H
        eps = c["rms_norm_eps"]
        x = self.w("model.embed_tokens.weight")[ids]
        cos, sin = (t.to(x.device) for t in self.rope(T, hd))
        mask = torch.full((T, T), float("-inf"), device=x.device).triu(1)
        for i in range(c["num_hidden_layers"]):
            p = f"model.layers.{i}."
            h = self.rmsnorm(x, self.w(p + "input_layernorm.weight"), eps)
            q = F.linear(h, self.w(p + "self_attn.q_proj.weight")).view(B, T, H, hd).transpose(1, 2)
            k = F.linear(h, self.w(p + "self_attn.k_proj.weight")).view(B, T, KV, hd).transpose(1, 2)
            v = F.linear(h, self.w(p + "self_attn.v_proj.weight")).view(B, T, KV, hd).transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            k = k.repeat_interleave(H // KV, dim=1)
            v = v.repeat_interleave(H // KV, dim=1)
            att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
            att = torch.softmax(att, dim=-1)
            o = (att @ v).transpose(1, 2).reshape(B, T, H * hd)
            x = x + F.linear(o, self.w(p + "self_attn.o_proj.weight"))
            h = self.rmsnorm(x, self.w(p + "post_attention_layernorm.weight"), eps)
            g = F.linear(h, self.w(p + "mlp.gate_proj.weight"))
            u = F.linear(h, self.w(p + "mlp.up_proj.weight"))
            x = x + F.linear(F.silu(g) * u, self.w(p + "mlp.down_proj.weight"))
        x = self.rmsnorm(x, self.w("model.norm.weight"), eps)
        head = self.w("model.embed_tokens.weight") if c.get("tie_word_embeddings") else self.w("lm_head.weight")
        return F.linear(x, head)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seq", type=int, default=32)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False

    torch.set_num_threads(1)
    with open(os.path.join(args.model_dir, "config.json")) as f:
        cfg = json.load(f)
    wpath = os.path.join(args.model_dir, "model.safetensors")
    weights, _ = st_io.load(wpath)
    with open(wpath, "rb") as f:
        model_sha = hashlib.sha256(f.read()).hexdigest()
    model = Llama(cfg, weights).to(args.device)

    rng = np.random.RandomState(args.seed)
    V = cfg["vocab_size"]
    inputs = rng.randint(0, V, size=(args.batch, args.seq)).astype(np.int32)
    targets = rng.randint(0, V, size=(args.batch, args.seq)).astype(np.int32)
    targets[0, :3] = -100  # ignored positions
    targets[-1, -1] = -100
    ids = torch.from_numpy(inputs).long().to(args.device)
    tg = torch.from_numpy(targets).long().to(args.device)

    logits = model(ids)
    loss = F.cross_entropy(logits.reshape(-1, V), tg.reshape(-1), ignore_index=-100)
    loss.backward()
    out = [("inputs", inputs), ("targets", targets), ("logits", logits.detach().cpu().numpy()),
           ("loss", np.array([loss.item()], dtype=np.float32))]
    for n, p in model.named():
        out.append(("grad." + n, p.grad.cpu().numpy().copy()))

    decay = [p for n, p in model.named() if p.dim() >= 2]
    no_decay = [p for n, p in model.named() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    losses, norms = [], []
    model.zero_grad()
    for _ in range(args.steps):
        logits = model(ids)
        loss = F.cross_entropy(logits.reshape(-1, V), tg.reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)))
        opt.step()
        losses.append(loss.item())
    out.append(("curve.loss", np.array(losses, dtype=np.float32)))
    out.append(("curve.grad_norm", np.array(norms, dtype=np.float32)))
    meta = {"model_sha256": model_sha, "torch": torch.__version__, "lr": args.lr, "beta1": 0.9,
            "beta2": 0.95, "eps": 1e-8, "weight_decay": args.weight_decay, "clip": args.clip,
            "steps": args.steps}
    st_io.save(args.out, out, meta)
    print(f"{args.out}: loss {out[3][1][0]:.6f}, curve {losses[0]:.5f} -> {losses[-1]:.5f} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
