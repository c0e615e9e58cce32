#!/usr/bin/env bash
# The single-node demo (`make run` before the network existed): on the King
# James Bible (Debian's bible-kjv, prepared under runs/kjv/ by `tplr localnet
# prepare`: a 1024-token BPE vocabulary, shards of 128-token samples), train a
# small model on this machine, show the validation loss fall, and let the
# model write. The model goes under runs/demo/. Override STEPS, THREADS,
# PRESET or PROMPT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tplr="$root/build/tplr"
out="$root/runs/demo"
corpus="$root/runs/kjv"
steps=${STEPS:-300}
threads=${THREADS:-$(nproc)}
preset=${PRESET:-tiny}
prompt=${PROMPT:-And God said}
mkdir -p "$out"

"$tplr" localnet prepare --corpus "$corpus"
"$tplr" data info "$corpus/shards"

echo "== a fresh model (preset $preset, vocabulary 1024)"
"$tplr" model init --preset "$preset" --set vocab=1024 --seed 0 --out "$out/init"
before=$("$tplr" eval --model "$out/init" --data "$corpus/shards" --max-rows 256 --quiet --json)

echo "== training $steps steps (batch 16 x 128 tokens, $threads threads); Ctrl-C stops and saves"
"$tplr" train --model "$out/init" --data "$corpus/shards" --steps "$steps" --batch 16 --lr 3e-3 \
  --warmup 20 --order shuffled --threads "$threads" --out "$out/model" --log "$out/train.jsonl"

after=$("$tplr" eval --model "$out/model" --data "$corpus/shards" --max-rows 256 --quiet --json)
loss() { sed 's/.*"loss":\([0-9.]*\).*/\1/' <<<"$1"; }
echo
echo "validation loss (nats per token): $(loss "$before") before, $(loss "$after") after training"
echo
echo "== the model continues \"$prompt\" (temperature 0.8, top-k 40)"
"$tplr" generate --model "$out/model" --tokenizer "$corpus/tokenizer" --prompt "$prompt" --max-tokens 60 --seed 1
echo
echo "model:      $out/model (Hugging Face Llama format)"
echo "step log:   $out/train.jsonl"
echo "continue:   $tplr train --resume $out/model/train_state.safetensors --data $corpus/shards --steps $((steps * 2)) --out $out/model"
echo "write more: $tplr generate --model $out/model --tokenizer $corpus/tokenizer --prompt \"...\""
