#!/usr/bin/env bash
# tplr codec encode / decode / aggregate / inspect / overlap from the command
# line: round trips through files, determinism, refusals with their typed
# reasons, the error-feedback state file.
# usage: test_codec_cli.sh PATH/TO/tplr
TPLR=$(realpath "${1:?usage: test_codec_cli.sh PATH/TO/tplr}")
here=$(dirname "$(realpath "$0")")
source "$here/lib.sh"
cd "$work"

for cmd in "codec" "codec encode" "codec decode" "codec aggregate" "codec inspect" "codec overlap"; do
  # shellcheck disable=SC2086
  if "$TPLR" $cmd --help >/dev/null 2>&1; then ok "tplr $cmd --help"; else bad "tplr $cmd --help"; fi
done
expect_fail "unknown codec command" "usage: tplr codec" "$TPLR" codec frobnicate

# a model, three "deltas" of its shapes (the weights of other seeds: any
# floats do), and two keys
"$TPLR" model init --preset tiny --set vocab=256 --set layers=2 --seed 1 --out m >/dev/null
for s in 2 3 4; do
  "$TPLR" model init --preset tiny --set vocab=256 --set layers=2 --seed $s --out d$s >/dev/null
done
printf '%s' 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef >key.seed
printf '%s' fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210 >other.seed
D=d2/model.safetensors

expect_fail "encode needs a key" "--key is required" "$TPLR" codec encode --delta $D --out g
printf 'not hex' >bad.seed
expect_fail "malformed key file" "64 hexadecimal digits" "$TPLR" codec encode --delta $D --key bad.seed --out g
expect_fail "unknown layout" "unknown layout" "$TPLR" codec encode --delta $D --key key.seed --out g --layout zip
expect_fail "tiles of one value" "cannot keep 2 values" "$TPLR" codec encode --delta $D --key key.seed --out g --chunk 1
expect_ok "encode" "$TPLR" codec encode --delta $D --key key.seed --out g2 --window 9 --uid 2
"$TPLR" codec encode --delta $D --key key.seed --out again --window 9 --uid 2 --threads 1 >/dev/null
if cmp -s g2 again; then ok "same inputs, same bytes (any thread count)"; else bad "re-encoding changed the bytes"; fi
expect_ok "encode against the model" "$TPLR" codec encode --delta d3/model.safetensors --key key.seed --out g3 --window 9 --uid 3 --model m
expect_ok "encode, Templar's layout" "$TPLR" codec encode --delta d4/model.safetensors --key other.seed --out g4 --window 9 --uid 4 --layout templar
expect_ok "encode with the DCT" "$TPLR" codec encode --delta $D --key key.seed --out gdct --dct --bins 16 --topk 32
[ "$(stat -c %s g4)" -gt "$(stat -c %s g2)" ] && ok "Templar's layout is larger" || bad "Templar's layout is not larger"

# inspect
out=$("$TPLR" codec inspect g2) && ok "inspect" || bad "inspect: $out"
grep -q "signature: valid" <<<"$out" && ok "inspect: signature valid" || bad "inspect lacks the signature status"
json=$("$TPLR" codec inspect g2 --json --model m)
grep -q '"window":9,"uid":2' <<<"$json" && ok "inspect --json" || bad "inspect --json: $json"
ratio=$(sed 's/.*"compression_vs_fp32":\([0-9.]*\).*/\1/' <<<"$json")
awk -v r="$ratio" 'BEGIN { exit !(r > 50) }' && ok "compression $ratio x" || bad "compression only $ratio x"

# decode and aggregate
expect_ok "decode" "$TPLR" codec decode g2 --out dec.safetensors --window 9 --uid 2
expect_ok "decode against the model" "$TPLR" codec decode g2 --out dec2.safetensors --model m
cmp -s dec.safetensors dec2.safetensors && ok "decode: same with and without --model" || bad "decode differs with --model"
signer=$(sed 's/.*"signer":"\([0-9a-f]*\)".*/\1/' <<<"$json")
expect_ok "decode with the right signer" "$TPLR" codec decode g2 --out dec3.safetensors --signer "$signer"
expect_fail "decode, another signer" "wrong_signer" "$TPLR" codec decode g4 --out x.safetensors --signer "$signer"
expect_fail "decode, another window" "wrong_window" "$TPLR" codec decode g2 --out x.safetensors --window 10
expect_fail "decode, another uid" "wrong_uid" "$TPLR" codec decode g2 --out x.safetensors --uid 3
expect_ok "aggregate" "$TPLR" codec aggregate g2 g3 g4 --out agg.safetensors --model m
expect_fail "aggregate, mixed parameters" "wrong_params" "$TPLR" codec aggregate g2 gdct --out x.safetensors
[ ! -e x.safetensors ] && ok "refusals write nothing" || bad "a refused command wrote its output"

# altered containers
cp g2 flipped
printf '\x01' | dd of=flipped bs=1 seek=300 conv=notrunc status=none
expect_fail "altered byte" "bad_digest" "$TPLR" codec decode flipped --out x.safetensors
expect_fail "inspect an altered container" "bad_digest" "$TPLR" codec inspect flipped
head -c 200 g2 >short
expect_fail "truncated" "refused" "$TPLR" codec decode short --out x.safetensors
expect_fail "aggregate names the bad file" "flipped: refused (bad_digest)" "$TPLR" codec aggregate g2 flipped --out x.safetensors
expect_fail "not a container" "bad_magic" "$TPLR" codec inspect m/config.json
expect_fail "too short for a container" "truncated" "$TPLR" codec inspect key.seed

# overlap
out=$("$TPLR" codec overlap g2 again g3)
grep -q "g2 again: 1.0000 .*flagged" <<<"$out" && ok "overlap of a copy is 1, flagged" || bad "overlap: $out"
grep -q "g2 g3: 0\.[0-3]" <<<"$out" && ok "overlap of independent peers is small" || bad "overlap: $out"

# error-feedback state: what is not sent carries over to the next window
expect_ok "encode with a new state" "$TPLR" codec encode --delta $D --key key.seed --out s1 --state ef.safetensors
expect_ok "encode with the saved state" "$TPLR" codec encode --delta $D --key key.seed --out s2 --state ef.safetensors
cmp -s s1 s2 && bad "the state changed nothing" || ok "the saved state changes the next container"
expect_fail "a state file that is not one" "not an error-feedback state file" "$TPLR" codec encode --delta $D --key key.seed --out s3 --state m/model.safetensors
expect_ok "null round" "$TPLR" codec encode --delta $D --key key.seed --out null --state ef.safetensors --null-round
"$TPLR" codec inspect null --json | grep -q '"norm":0.0' && ok "a null round sends zeros" || bad "null round sent values"

# the fuzzer's seeds are valid containers of this build's format
for f in "$here"/../fuzz/corpus/codec/*; do
  if "$TPLR" codec inspect "$f" >/dev/null 2>&1; then ok "fuzz seed $(basename "$f") is valid"
  else bad "fuzz seed $(basename "$f") is refused: regenerate with tests/fuzz/make_codec_corpus.sh"; fi
done

# numbers through the files (NumPy, if present): decode + state = delta in window 0
if /usr/bin/python3 -c "import numpy" 2>/dev/null; then
  rm -f ef0.safetensors
  "$TPLR" codec encode --delta $D --key key.seed --out w0 --state ef0.safetensors >/dev/null
  "$TPLR" codec decode w0 --out w0.safetensors >/dev/null
  if /usr/bin/python3 - "$here/../reference" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np, st_io
d, _ = st_io.load("d2/model.safetensors")
s, _ = st_io.load("w0.safetensors")
e, meta = st_io.load("ef0.safetensors")
assert meta["format"] == "tplr-codec-ef"
worst = max(float(np.max(np.abs(s[k] + e[k] - d[k]))) for k in d)
sent = sum(int(np.count_nonzero(s[k])) for k in d)
assert worst < 1e-6 and sent > 0, (worst, sent)
PY
  then ok "decoded + state = delta"; else bad "decoded + state differs from the delta"; fi
fi

finish
