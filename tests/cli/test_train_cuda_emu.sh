#!/usr/bin/env bash
# `tplr train --device cuda` end to end over the CPU emulation of CUDA: the
# real tplr opens, through TPLR_CUDA_PLUGIN, libtplr_cuda_emu.so (the CUDA
# plugin built with tests/cuda/emu_cuda.cpp in place of the CUDA runtime and
# cuBLASLt): fp32 losses match the CPU engine's, a bf16 run stopped and
# resumed continues bit for bit (weights and AdamW moments go to the host and
# back), and the JSON summary names the device. Also: a missing plugin, a
# library that is not one and a plugin of another version are refused with
# what to do.
# usage: test_train_cuda_emu.sh PATH/TO/tplr PATH/TO/libtplr_cuda_emu.so
TPLR=$(realpath "${1:?usage: test_train_cuda_emu.sh TPLR EMU_PLUGIN}")
PLUGIN=$(realpath "${2:?usage: test_train_cuda_emu.sh TPLR EMU_PLUGIN}")
source "$(dirname "$(realpath "$0")")/lib.sh"
cd "$work"
export OMP_NUM_THREADS=1

make_corpus corpus.txt
"$TPLR" data bytes --input corpus.txt --seq 32 --out train.npy >/dev/null
"$TPLR" model init --preset tiny --set vocab=256 --set layers=2 --seed 3 --out m >/dev/null
common=(--data train.npy --batch 2 --lr 3e-3 --warmup 2 --t-max 6 --threads 1 --quiet)

"$TPLR" train --model m "${common[@]}" --steps 4 --log cpu.jsonl >/dev/null 2>&1
TPLR_CUDA_PLUGIN="$PLUGIN" "$TPLR" train --model m "${common[@]}" --steps 4 --device cuda --precision fp32 --log fp32.jsonl --json \
  >fp32.json 2>/dev/null
if python3 - cpu.jsonl fp32.jsonl <<'PY'
import json, sys
a, b = ([json.loads(l)["loss"] for l in open(f)] for f in sys.argv[1:3])
assert len(a) == len(b) == 4, (a, b)
worst = max(abs(x - y) / x for x, y in zip(a, b))
print(f"fp32 over the emulation vs the CPU engine: worst relative loss difference {worst:.2e}")
sys.exit(0 if worst < 1e-5 else 1)
PY
then ok "fp32 losses match the CPU engine"; else bad "fp32 losses differ from the CPU engine"; fi
grep -q '"device":"CPU emulation' fp32.json && ok "summary names the device" || bad "summary: $(cat fp32.json)"

TPLR_CUDA_PLUGIN="$PLUGIN" "$TPLR" train --model m "${common[@]}" --steps 6 --device cuda --log full.jsonl --out full >/dev/null 2>&1
TPLR_CUDA_PLUGIN="$PLUGIN" "$TPLR" train --model m "${common[@]}" --steps 3 --device cuda --log part.jsonl --out part >/dev/null 2>&1
TPLR_CUDA_PLUGIN="$PLUGIN" "$TPLR" train --resume part/train_state.safetensors "${common[@]}" --steps 6 --device cuda --log part.jsonl \
  --out part >/dev/null 2>&1
if [ "$(wc -l <full.jsonl)" = 6 ] && diff <(sed 's/,"tok_s".*//' full.jsonl) <(sed 's/,"tok_s".*//' part.jsonl) >/dev/null; then
  ok "bf16: 3 + 3 resumed steps give the losses of 6 in one go"
else
  bad "bf16 resume differs: $(paste -d' ' full.jsonl part.jsonl | head -6)"
fi
if cmp -s full/model.safetensors part/model.safetensors; then ok "bf16: the same saved weights"; else bad "bf16: saved weights differ"; fi

# the plugin's checks: missing, not a plugin, another version
expect_fail "missing plugin" "cannot read the CUDA plugin" env TPLR_CUDA_PLUGIN="$work/none.so" \
  "$TPLR" train --model m --data train.npy --steps 1 --device cuda
cat >fake.c <<'C'
#include <stdint.h>
struct head { uint32_t abi, size; };
static const struct head other = { 999, 8 };
const struct head *tplr_cuda_plugin_table(void) { return &other; }
C
cc -shared -fPIC -o fake.so fake.c
expect_fail "another version" "version 999" env TPLR_CUDA_PLUGIN="$work/fake.so" \
  "$TPLR" train --model m --data train.npy --steps 1 --device cuda
cc -shared -fPIC -o other.so -x c - <<<'int not_a_plugin;'
expect_fail "not a plugin" "not a tplr CUDA plugin" env TPLR_CUDA_PLUGIN="$work/other.so" \
  "$TPLR" train --model m --data train.npy --steps 1 --device cuda
finish
