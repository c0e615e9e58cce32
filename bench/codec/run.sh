#!/usr/bin/env bash
# bench/codec: tplr's codec (bench_codec) beside the same codec written
# straightforwardly in PyTorch (torch_codec.py), on the tensor shapes of a
# preset (150M), same thread count (1: the targets are per core), same run.
# ROUNDS rounds, interleaved; the best round counts. Prints one JSON line per
# result and a summary line with the issue's targets.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
preset=${PRESET:-150M}
threads=${THREADS:-1}
peers=${PEERS:-20}
reps=${REPS:-3}
rounds=${ROUNDS:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/tplr-bench-codec-XXXXXX")
trap 'rm -rf "$work"' EXIT

"$build/bench_codec" --preset "$preset" --shapes >"$work/shapes.json"
: >"$work/tplr"
: >"$work/torch"
for _ in $(seq "$rounds"); do
  "$build/bench_codec" --preset "$preset" --threads "$threads" --peers "$peers" --reps "$reps" >>"$work/tplr"
  OMP_NUM_THREADS=$threads /usr/bin/python3 "$root/bench/codec/torch_codec.py" "$work/shapes.json" \
    --threads "$threads" --peers "$peers" --reps "$reps" >>"$work/torch"
done

/usr/bin/python3 - "$work" "$preset" <<'PY'
import json, sys
work, preset = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for f in ("tplr", "torch") for l in open(f"{work}/{f}") if l.strip()]
def best(bench, impl, key="gb_s", **match):
    cand = [r for r in rows if r["bench"] == bench and r["impl"] == impl
            and all(r.get(k) == v for k, v in match.items())]
    return max(cand, key=lambda r: r[key])
out = []
for impl in ("tplr", "pytorch"):
    for r in rows:
        if r["impl"] == impl and r["bench"] == "codec_ratio" and r not in out:
            out.append(r)
    out += [best("codec_encode", impl), best("codec_aggregate", impl)]
out += [best("codec_validate", "tplr", "container_mb_s"), best("codec_decode", "tplr")]
seen = set()
for r in out:
    line = json.dumps(r)
    if line not in seen:
        seen.add(line)
        print(line)
ours_ratio = best("codec_ratio", "tplr", "ratio", layout="auto (Rice positions when smaller, 2-bit codes)")["ratio"]
torch_ratio = best("codec_ratio", "pytorch", "ratio")["ratio"]
enc, agg = best("codec_encode", "tplr"), best("codec_aggregate", "tplr")
tenc, tagg = best("codec_encode", "pytorch"), best("codec_aggregate", "pytorch")
print(json.dumps({"bench": "codec_summary", "preset": preset,
                  "ratio": ours_ratio, "ratio_templar_layout_pytorch": torch_ratio,
                  "encode_gb_s_per_core": enc["gb_s_per_thread"],
                  "aggregate_gb_s_per_core": agg["gb_s_per_thread"], "peers": agg["peers"],
                  "validate_and_aggregate_gb_s_per_core": agg["with_validation_gb_s"] / agg["threads"],
                  "encode_speedup_vs_pytorch": round(enc["gb_s"] / tenc["gb_s"], 1),
                  "aggregate_speedup_vs_pytorch": round(agg["gb_s"] / tagg["gb_s"], 1),
                  "targets": {"ratio": 146, "encode_gb_s_per_core": 0.5, "aggregate_gb_s_per_core": 1.0}}))
PY
