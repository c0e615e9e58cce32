#!/usr/bin/env bash
# bench/gpu: `tplr train --device cuda` (bf16) on the 150M preset, seq 1024,
# batch 8, beside PyTorch eager and torch.compile (bf16 autocast, fused AdamW,
# flash attention) training the same model on the same rows, on the same GPU,
# in this one run. Prints JSON lines: one per trainer (tokens/s, MFU against
# 989 TFLOP/s dense bf16 with 6N + 12·L·d·T FLOPs per token, peak GPU memory),
# the loss-curve comparison of tplr against PyTorch eager (same weights, same
# batches, same schedule), and a summary against the issue's targets.
# Needs a GPU, python3 with torch, and a tplr built with CUDA.
# env: TPLR (binary, default build/tplr), STEPS (100), COMPILE_STEPS (40),
#      DATA (rows .npy; default: bench/gpu/make_rows.py), BENCH_OUT (folder for logs)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tplr=${TPLR:-$root/build/tplr}
steps=${STEPS:-100}
compile_steps=${COMPILE_STEPS:-40}
out=${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/tplr-bench-gpu-XXXXXX")}
py=${PYTHON:-python3}
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/tplr-bench-gpu-work-XXXXXX")
trap 'rm -rf "$work"' EXIT

data=${DATA:-$work/rows.npy}
[ -f "$data" ] || "$py" "$root/bench/gpu/make_rows.py" "$data" --rows $((8 * steps)) --seq 1024 --vocab 32000
"$tplr" model init --preset 150M --seed 0 --out "$work/m150" >/dev/null

# A contender that fails leaves {"error": ...} and the others still run.
run() { local name=$1; shift; "$@" >"$out/$name.json" || echo "{\"error\": \"$name exited with $?\"}" >>"$out/$name.json"; }
run tplr "$tplr" train --device cuda --precision bf16 --model "$work/m150" --data "$data" --steps "$steps" --batch 8 \
  --lr 6e-4 --warmup 10 --log "$out/tplr_curve.jsonl" --quiet --json
run torch_eager "$py" "$root/bench/gpu/torch_gpu_train.py" "$work/m150" "$data" --steps "$steps" --skip 5 --batch 8 \
  --lr 6e-4 --warmup 10 --log "$out/torch_eager_curve.jsonl"
run torch_compile "$py" "$root/bench/gpu/torch_gpu_train.py" "$work/m150" "$data" --steps "$compile_steps" --skip 10 \
  --batch 8 --lr 6e-4 --warmup 10 --compile

"$py" - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def one(name):
    lines = [l for l in open(f"{out}/{name}.json").read().splitlines() if l.strip()]
    return json.loads(lines[-1]) if lines else {"error": f"{name}: no output"}
def curve(name):
    try:
        return [json.loads(l)["loss"] for l in open(f"{out}/{name}") if l.strip()]
    except OSError:
        return []
ours, eager, comp = one("tplr"), one("torch_eager"), one("torch_compile")
for d in (ours, eager, comp):
    if "error" in d:
        print(json.dumps({"bench": "gpu_train", **d}))
fpt, peak = ours.get("flops_per_token"), 989e12
if fpt is None:  # tplr failed: the same formula from the 150M preset's shapes
    L, C, F, V, T = 12, 1024, 2688, 32000, 1024
    fpt = 6 * (L * (4 * C * C + 3 * F * C) + V * C) + 12 * L * C * T
mfu = lambda tok_s: round(tok_s * fpt / peak, 4)
if "tok_s" in ours:
    print(json.dumps({"bench": "gpu_train", "impl": "tplr", "preset": "150M", "seq": 1024, "batch": 8,
                      "precision": "bf16", "gpu": ours["device"], "tok_s": ours["tok_s"], "mfu": mfu(ours["tok_s"]),
                      "flops_per_token": fpt, "peak_gpu_bytes": ours["gpu_peak_bytes"],
                      "final_loss": ours["final_loss"]}))
for d in (eager, comp):
    if "tok_s" in d:
        print(json.dumps({**d, "preset": "150M", "seq": 1024, "batch": 8, "mfu": mfu(d["tok_s"])}))
a, b = curve("tplr_curve.jsonl"), curve("torch_eager_curve.jsonl")
n = min(len(a), len(b))
if n >= 10:
    diffs = [abs(x - y) / y for x, y in zip(a[:n], b[:n])]
    last = lambda c: sum(c[n - 10:n]) / 10
    tail_rel = abs(last(a) - last(b)) / last(b)
    # bf16 on both sides, different kernels: the curves must track each other
    ok = max(diffs) <= 0.05 and tail_rel <= 0.02
    print(json.dumps({"bench": "gpu_curve", "steps": n, "tplr_first": a[0], "torch_first": b[0],
                      "tplr_last10": last(a), "torch_last10": last(b), "max_step_rel_diff": round(max(diffs), 5),
                      "last10_rel_diff": round(tail_rel, 5), "tolerance": {"max_step": 0.05, "last10": 0.02},
                      "pass": ok}))
else:
    print(json.dumps({"bench": "gpu_curve", "error": f"curves of {len(a)} and {len(b)} steps"}))
if "tok_s" in ours and "tok_s" in comp and "tok_s" in eager:
    print(json.dumps({"bench": "gpu_summary", "speedup_vs_torch_compile": round(ours["tok_s"] / comp["tok_s"], 3),
                      "speedup_vs_torch_eager": round(ours["tok_s"] / eager["tok_s"], 3), "mfu": mfu(ours["tok_s"]),
                      "targets": {"speedup_vs_torch_compile": 1.3, "mfu": 0.45}}))
PY
