#!/usr/bin/env bash
# Regenerates the seed corpus of fuzz_codec: small containers for the model
# that fuzz_codec.c validates against (w [96,128], b [40], m [64,70], n [10]),
# in each layout. usage: tests/fuzz/make_codec_corpus.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tplr=${1:?usage: make_codec_corpus.sh BUILD_DIR}/tplr
out=$here/corpus/codec
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
/usr/bin/python3 - "$here/../reference" "$tmp/delta.safetensors" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np, st_io
rng = np.random.default_rng(7)
shapes = [("w", (96, 128)), ("b", (40,)), ("m", (64, 70)), ("n", (10,))]
st_io.save(sys.argv[2], [(n, (rng.standard_normal(s) * 1e-2).astype(np.float32)) for n, s in shapes])
PY
printf '2a%062d' 0 >"$tmp/key"
enc() { "$tplr" codec encode --delta "$tmp/delta.safetensors" --key "$tmp/key" --window 3 --uid 1 "$@" >/dev/null; }
enc --topk 16 --out "$out/rice"
enc --topk 16 --layout templar --out "$out/templar"
enc --topk 8 --bins 16 --dct --layout pack12 --out "$out/dct16"
enc --topk 64 --bins 5 --out "$out/bins5"
enc --topk 16 --null-round --out "$out/null"
