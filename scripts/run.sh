#!/usr/bin/env bash
# `make run`: trains a small byte-level model on the King James Bible (from
# Debian's bible-kjv) on this machine and shows the validation loss fall.
# Everything goes under runs/demo/. Override STEPS, THREADS or PRESET.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tplr="$root/build/tplr"
out="$root/runs/demo"
steps=${STEPS:-300}
threads=${THREADS:-$(nproc)}
mkdir -p "$out"

if [ ! -s "$out/kjv.txt" ]; then
  echo "== preparing the corpus: the King James Bible (bible-kjv)"
  bible -l0 'Gen1:1-Rev22:21' > "$out/kjv.txt.tmp" && mv "$out/kjv.txt.tmp" "$out/kjv.txt"
fi
if [ ! -s "$out/train.npy" ]; then
  "$tplr" data bytes --input "$out/kjv.txt" --seq 128 --out "$out/train.npy" --val-out "$out/val.npy" --val-fraction 0.02
fi

echo "== a fresh model (preset tiny, byte vocabulary)"
"$tplr" model init --preset tiny --set vocab=256 --seed 0 --out "$out/init"
before=$("$tplr" eval --model "$out/init" --data "$out/val.npy" --max-rows 256 --quiet --json)

echo "== training $steps steps (batch 16 x 128 bytes, $threads threads); Ctrl-C stops and saves"
"$tplr" train --model "$out/init" --data "$out/train.npy" --steps "$steps" --batch 16 --lr 3e-3 \
  --warmup 20 --order shuffled --threads "$threads" --out "$out/model" --log "$out/train.jsonl"

after=$("$tplr" eval --model "$out/model" --data "$out/val.npy" --max-rows 256 --quiet --json)
loss() { sed 's/.*"loss":\([0-9.]*\).*/\1/' <<<"$1"; }
echo
echo "validation loss (nats per byte): $(loss "$before") before, $(loss "$after") after training"
echo "model:      $out/model (Hugging Face Llama format)"
echo "step log:   $out/train.jsonl"
echo "continue:   $tplr train --resume $out/model/train_state.safetensors --data $out/train.npy --steps $((steps * 2)) --out $out/model"
