#!/usr/bin/env bash
# Regenerates the PyTorch golden files from models that `tplr model init`
# creates (the same seed gives the same bytes, so the C test re-creates them).
# usage: tests/reference/make_golden.sh BUILD_DIR [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: make_golden.sh BUILD_DIR [OUT_DIR]}
out=${2:-$here/golden}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
# case name | tplr model init arguments
while IFS='|' read -r name init_args; do
  [ -n "$name" ] || continue
  # shellcheck disable=SC2086
  "$build/tplr" model init $init_args --out "$tmp/$name" >/dev/null
  /usr/bin/python3 "$here/llama_ref.py" "$tmp/$name" "$out/$name.safetensors"
done <<'CASES'
tiny|--preset tiny --seed 1
tied|--preset tiny --set layers=2 --set tie_embeddings=true --set vocab=512 --seed 2
CASES
# The codec's golden file needs no model: its inputs come from a hash.
/usr/bin/python3 "$here/codec_ref.py" "$out/codec.safetensors"
