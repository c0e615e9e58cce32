#!/usr/bin/env bash
# `make run`: the single-node pipeline on the King James Bible (Debian's
# bible-kjv): learn a 1024-token BPE vocabulary, tokenize the text into shards,
# train a small model on this machine, show the validation loss fall, and let
# the model write. Everything goes under runs/demo/. Override STEPS, THREADS,
# PRESET or PROMPT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tplr="$root/build/tplr"
out="$root/runs/demo"
steps=${STEPS:-300}
threads=${THREADS:-$(nproc)}
preset=${PRESET:-tiny}
prompt=${PROMPT:-And God said}
mkdir -p "$out"

if [ ! -s "$out/kjv.txt" ]; then
  echo "== the corpus: the King James Bible (bible-kjv)"
  bible -l0 'Gen1:1-Rev22:21' > "$out/kjv.txt.tmp" && mv "$out/kjv.txt.tmp" "$out/kjv.txt"
fi
if [ ! -s "$out/tokenizer/vocab.bpe" ]; then
  echo "== a byte-level BPE tokenizer of 1024 tokens, learned on the corpus"
  "$tplr" tokenizer train --vocab-size 1024 --out "$out/tokenizer" "$out/kjv.txt"
fi
if [ ! -s "$out/shards/manifest.json" ]; then
  echo "== token shards: one document per paragraph, samples of 128 tokens, 2% for validation"
  rm -rf "$out/shards"
  "$tplr" data prepare --tokenizer "$out/tokenizer" --input "$out/kjv.txt" --documents paragraphs \
    --sample-len 128 --val-fraction 0.02 --out "$out/shards"
fi
"$tplr" data info "$out/shards"

echo "== a fresh model (preset $preset, vocabulary 1024)"
"$tplr" model init --preset "$preset" --set vocab=1024 --seed 0 --out "$out/init"
before=$("$tplr" eval --model "$out/init" --data "$out/shards" --max-rows 256 --quiet --json)

echo "== training $steps steps (batch 16 x 128 tokens, $threads threads); Ctrl-C stops and saves"
"$tplr" train --model "$out/init" --data "$out/shards" --steps "$steps" --batch 16 --lr 3e-3 \
  --warmup 20 --order shuffled --threads "$threads" --out "$out/model" --log "$out/train.jsonl"

after=$("$tplr" eval --model "$out/model" --data "$out/shards" --max-rows 256 --quiet --json)
loss() { sed 's/.*"loss":\([0-9.]*\).*/\1/' <<<"$1"; }
echo
echo "validation loss (nats per token): $(loss "$before") before, $(loss "$after") after training"
echo
echo "== the model continues \"$prompt\" (temperature 0.8, top-k 40)"
"$tplr" generate --model "$out/model" --tokenizer "$out/tokenizer" --prompt "$prompt" --max-tokens 60 --seed 1
echo
echo "model:      $out/model (Hugging Face Llama format)"
echo "step log:   $out/train.jsonl"
echo "continue:   $tplr train --resume $out/model/train_state.safetensors --data $out/shards --steps $((steps * 2)) --out $out/model"
echo "write more: $tplr generate --model $out/model --tokenizer $out/tokenizer --prompt \"...\""
