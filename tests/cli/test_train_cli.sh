#!/usr/bin/env bash
# tplr model init / train / eval / data from the command line: determinism,
# bit-exact resume (also after Ctrl-C), and clear failures on bad input.
# usage: test_train_cli.sh PATH/TO/tplr
TPLR=$(realpath "${1:?usage: test_train_cli.sh PATH/TO/tplr}")
source "$(dirname "$(realpath "$0")")/lib.sh"
cd "$work"

# --help everywhere
for cmd in "" "model" "model init" "model info" "train" "eval" "data" "data bytes"; do
  # shellcheck disable=SC2086
  if "$TPLR" $cmd --help >/dev/null 2>&1; then ok "tplr $cmd --help"; else bad "tplr $cmd --help"; fi
done
expect_fail "unknown command" "unknown command" "$TPLR" frobnicate
# the OpenBLAS kernels: named by --version; a user's OPENBLAS_CORETYPE is kept (no restart over it)
"$TPLR" --version | grep -qE "^OpenBLAS kernels: [A-Za-z0-9]+" && ok "--version names the OpenBLAS kernels" ||
  bad "--version: $("$TPLR" --version)"
OPENBLAS_CORETYPE=Haswell "$TPLR" --version | grep -q "^OpenBLAS kernels: Haswell (OPENBLAS_CORETYPE)" &&
  ok "OPENBLAS_CORETYPE is honoured" || bad "OPENBLAS_CORETYPE=Haswell: $(OPENBLAS_CORETYPE=Haswell "$TPLR" --version)"
expect_fail "unknown option" "unknown option '--lrr'" "$TPLR" train --lrr 1
expect_fail "missing required option" "--data is required" "$TPLR" train --model x

# data
make_corpus corpus.txt
expect_ok "data bytes" "$TPLR" data bytes --input corpus.txt --seq 32 --out train.npy --val-out val.npy --val-fraction 0.05
expect_fail "val-fraction without val-out" "--val-out" "$TPLR" data bytes --input corpus.txt --seq 32 --out x.npy --val-fraction 0.1
expect_fail "missing input" "no such file" "$TPLR" data bytes --input nope.txt --seq 32 --out x.npy

# model init: same seed, same bytes; another seed, other bytes
"$TPLR" model init --preset tiny --set vocab=256 --set layers=2 --seed 7 --out m1 >/dev/null
"$TPLR" model init --preset tiny --set vocab=256 --set layers=2 --seed 7 --out m2 >/dev/null
"$TPLR" model init --preset tiny --set vocab=256 --set layers=2 --seed 8 --out m3 >/dev/null
if cmp -s m1/model.safetensors m2/model.safetensors && cmp -s m1/config.json m2/config.json; then
  ok "same seed gives the same bytes"; else bad "same seed gave different bytes"; fi
if ! cmp -s m1/model.safetensors m3/model.safetensors; then ok "another seed differs"; else bad "seeds 7 and 8 gave the same weights"; fi
expect_ok "model info" "$TPLR" model info m1
expect_fail "heads do not divide hidden" "not divisible by heads" "$TPLR" model init --preset tiny --set heads=3 --out bad
expect_fail "kv_heads do not divide heads" "kv_heads" "$TPLR" model init --preset tiny --set kv_heads=3 --out bad
expect_fail "unknown preset" "unknown preset" "$TPLR" model init --preset 7B --out bad
[ ! -e bad ] && ok "failed init leaves nothing" || bad "failed init left 'bad' behind"

# OMP_PROC_BIND pins the starting thread as the program loads; the restart
# that picks OpenBLAS's kernels (blas_core.c) must not leave both workers on
# that one CPU
if [ "$(nproc)" -ge 2 ]; then
  places=$(OMP_PROC_BIND=true OMP_DISPLAY_AFFINITY=true "$TPLR" train --model m1 --data train.npy --batch 4 --steps 1 \
    --threads 2 --quiet 2>&1 | sed -n 's/^level 1 thread .* affinity \(.*\)$/\1/p' | sort -u | wc -l)
  [ "$places" -ge 2 ] && ok "OMP_PROC_BIND: the two workers run on two CPUs" ||
    bad "OMP_PROC_BIND=true: the workers share one CPU ($places distinct places)"
fi

# bit-exact resume: 8 steps in one go, versus 4 + 4
common=(--data train.npy --batch 4 --lr 3e-3 --warmup 2 --t-max 6 --threads 2 --quiet)
"$TPLR" train --model m1 "${common[@]}" --steps 8 --log full.jsonl --out full >/dev/null 2>&1
"$TPLR" train --model m1 "${common[@]}" --steps 4 --log part.jsonl --out part >/dev/null 2>&1
"$TPLR" train --resume part/train_state.safetensors "${common[@]}" --steps 8 --log part.jsonl --out part >/dev/null 2>&1
if [ "$(wc -l <full.jsonl)" -eq 8 ] && diff <(sed 's/,"tok_s".*//' full.jsonl) <(sed 's/,"tok_s".*//' part.jsonl) >/dev/null; then
  ok "resume gives bit-identical losses"; else bad "resumed run differs:"; diff <(sed 's/,"tok_s".*//' full.jsonl) <(sed 's/,"tok_s".*//' part.jsonl); fi
if cmp -s full/model.safetensors part/model.safetensors; then ok "resumed weights are identical"; else bad "resumed weights differ"; fi
# with 2 workers each runs on one thread: a resume on 1 thread continues the same run (workers from the state)
"$TPLR" train --model m1 "${common[@]}" --steps 4 --out part1 >/dev/null 2>&1
"$TPLR" train --resume part1/train_state.safetensors --data train.npy --threads 1 --quiet --steps 8 --out part1 >/dev/null 2>&1
if cmp -s full/model.safetensors part1/model.safetensors; then ok "2 workers resumed on 1 thread: identical weights"; else bad "2 workers resumed on 1 thread differ"; fi
# one worker (every operation split over the threads) trains the same run up to the order of additions
"$TPLR" train --model m1 "${common[@]}" --steps 8 --workers 1 --log one.jsonl >/dev/null 2>&1
if paste -d' ' <(sed 's/.*"loss":\([0-9.]*\).*/\1/' full.jsonl) <(sed 's/.*"loss":\([0-9.]*\).*/\1/' one.jsonl) |
  awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-4 * $2) bad = 1 } END { exit bad || NR != 8 }'; then
  ok "--workers 1 gives the same losses to 1e-4"; else bad "--workers 1 losses differ:"; paste full.jsonl one.jsonl; fi
expect_fail "--workers 0" "--workers must be at least 1" "$TPLR" train --model m1 --data train.npy --steps 1 --workers 0
expect_fail "resume with another batch" "differs from the saved run" "$TPLR" train --resume part/train_state.safetensors --data train.npy --batch 2 --steps 9
expect_fail "resume from a model file" "not a tplr training-state file" "$TPLR" train --resume part/model.safetensors --data train.npy --steps 9
# devices: bf16 is a GPU mode; --device cuda without a GPU (or in a build without CUDA) says what to do
expect_fail "bf16 on the CPU" "fp32 only" "$TPLR" train --model m1 --data train.npy --steps 1 --precision bf16
expect_fail "unknown device" "must be cpu or cuda" "$TPLR" train --model m1 --data train.npy --steps 1 --device tpu
# (in a CUDA build the plugin beside tplr loads, every symbol resolved, and finds no device)
if ! nvidia-smi -L >/dev/null 2>&1; then
  if [ -e "$(dirname "$TPLR")/libtplr_cuda.so" ]; then needle="no CUDA device"; else needle="built without CUDA"; fi
  expect_fail "cuda without a GPU" "$needle" env -u TPLR_CUDA_PLUGIN "$TPLR" train --model m1 --data train.npy \
    --steps 1 --device cuda
fi

# Ctrl-C saves the state; resuming finishes the very same run
"$TPLR" train --model m1 "${common[@]}" --steps 1500 --out ref --log ref.jsonl >/dev/null 2>&1
"$TPLR" train --model m1 "${common[@]}" --steps 1500 --out long --log long.jsonl >/dev/null 2>&1 &
pid=$!
for _ in $(seq 200); do [ -s long.jsonl ] && break; sleep 0.01; done
kill -INT $pid
wait $pid
rc=$?
stopped_at=$(wc -l <long.jsonl)
[ $rc -eq 130 ] && ok "SIGINT stops with exit 130 (at step $stopped_at)" || bad "SIGINT exit code $rc"
[ -f long/train_state.safetensors ] && ok "SIGINT saved the state" || bad "SIGINT saved nothing"
"$TPLR" train --resume long/train_state.safetensors --data train.npy --quiet --log long.jsonl --out long >/dev/null 2>&1
if [ "$stopped_at" -lt 1500 ] && [ "$(tail -1 long.jsonl | sed 's/,"tok_s".*//')" = "$(tail -1 ref.jsonl | sed 's/,"tok_s".*//')" ] &&
  cmp -s long/model.safetensors ref/model.safetensors; then
  ok "interrupted at step $stopped_at and resumed: same final loss and weights as an uninterrupted run"
else
  bad "interrupted ($stopped_at) + resumed run differs: $(tail -1 long.jsonl) vs $(tail -1 ref.jsonl)"
fi
ls long/*.tmp-* >/dev/null 2>&1 && bad "temporary files left in long/" || ok "no temporary files left behind"

# eval
out=$("$TPLR" eval --model full --data val.npy --quiet --json)
if grep -q '"perplexity"' <<<"$out"; then ok "eval prints loss and perplexity"; else bad "eval output: $out"; fi
before=$("$TPLR" eval --model m1 --data val.npy --quiet --json | sed 's/.*"loss":\([0-9.]*\).*/\1/')
after=$(sed 's/.*"loss":\([0-9.]*\).*/\1/' <<<"$out")
awk -v a="$after" -v b="$before" 'BEGIN { exit !(a < b) }' && ok "training lowered the validation loss ($before -> $after)" || bad "validation loss $before -> $after"

# bad input
expect_fail "vocab too small for the data" "outside the model's vocabulary" \
  bash -c "'$TPLR' model init --preset tiny --set vocab=100 --out small_vocab >/dev/null && '$TPLR' train --model small_vocab --data train.npy --steps 1"
expect_fail "seq does not match the data" "does not match" "$TPLR" train --model m1 --data train.npy --steps 1 --seq 16
expect_fail "sequence longer than max_seq" "max_seq" \
  bash -c "'$TPLR' model init --preset tiny --set vocab=256 --set max_seq=16 --out short >/dev/null && '$TPLR' train --model short --data train.npy --steps 1"
cp -r full trunc
head -c 5000 full/model.safetensors > trunc/model.safetensors
expect_fail "truncated checkpoint" "trunc/model.safetensors" "$TPLR" eval --model trunc --data val.npy
cp -r full wrong
sed -i 's/"intermediate_size": 176/"intermediate_size": 160/' wrong/config.json
expect_fail "config that does not match the weights" "gate_proj.weight" "$TPLR" eval --model wrong --data val.npy
printf 'not numpy' > junk.npy
expect_fail "data that is not .npy" "not a NumPy .npy file" "$TPLR" train --model m1 --data junk.npy --steps 1
cp -r full nan_run
before_sum=$(sha256sum nan_run/model.safetensors)
expect_fail "diverging run" "lower --lr" "$TPLR" train --model full --data train.npy --steps 30 --lr 1e6 --clip 0 --warmup 0 --out nan_run --quiet
[ "$(sha256sum nan_run/model.safetensors)" = "$before_sum" ] && ok "a diverged run leaves the previous checkpoint intact" || bad "diverged run overwrote the checkpoint"

finish
