#!/usr/bin/env bash
# tplr tokenizer train / encode / decode from the command line: round trips in
# both id formats, determinism, and clear failures that leave nothing behind.
# usage: test_tokenizer_cli.sh PATH/TO/tplr
TPLR=$(realpath "${1:?usage: test_tokenizer_cli.sh PATH/TO/tplr}")
source "$(dirname "$(realpath "$0")")/lib.sh"
cd "$work"

for cmd in "tokenizer" "tokenizer train" "tokenizer encode" "tokenizer decode"; do
  # shellcheck disable=SC2086
  if "$TPLR" $cmd --help >/dev/null 2>&1; then ok "tplr $cmd --help"; else bad "tplr $cmd --help"; fi
done
expect_fail "unknown subcommand" "usage: tplr tokenizer" "$TPLR" tokenizer frobnicate
expect_fail "train needs --vocab-size" "--vocab-size is required" "$TPLR" tokenizer train --out v x.txt
expect_fail "train needs a file" "missing argument" "$TPLR" tokenizer train --vocab-size 300 --out v

make_corpus corpus.txt
printf 'caf\xc3\xa9 \xff\xfe broken \xe2\x82 bytes\n\t<|endoftext|> it'"'"'s  \xe3\x80\x80 end' >odd.txt
expect_ok "train 1000" "$TPLR" tokenizer train --vocab-size 1000 --out v1 --quiet corpus.txt
expect_ok "train again" "$TPLR" tokenizer train --vocab-size 1000 --out v2 --quiet corpus.txt
if cmp -s v1/vocab.bpe v2/vocab.bpe && cmp -s v1/encoder.json v2/encoder.json; then
  ok "training is deterministic"; else bad "two trainings on the same files differ"; fi
[ "$(wc -l <v1/vocab.bpe)" -eq $((1000 - 256 - 1 + 1)) ] && ok "743 merges and the header" || bad "vocab.bpe has $(wc -l <v1/vocab.bpe) lines"

for tok in v1 gpt2; do
  for f in corpus.txt odd.txt; do
    "$TPLR" tokenizer encode --tokenizer $tok "$f" --out "$f.$tok.npy" 2>/dev/null &&
      "$TPLR" tokenizer decode --tokenizer $tok "$f.$tok.npy" --out "$f.$tok.back" &&
      cmp -s "$f" "$f.$tok.back" && ok "$tok: $f round trip through .npy" || bad "$tok: $f round trip through .npy"
    "$TPLR" tokenizer encode --tokenizer $tok "$f" >"$f.$tok.txt" &&
      "$TPLR" tokenizer decode --tokenizer $tok "$f.$tok.txt" >"$f.$tok.back2" &&
      cmp -s "$f" "$f.$tok.back2" && ok "$tok: $f round trip through text" || bad "$tok: $f round trip through text"
  done
done
/usr/bin/python3 -c "
import numpy as np, sys
a = np.load('corpus.txt.gpt2.npy'); b = np.load('corpus.txt.v1.npy')
t = [int(x) for x in open('corpus.txt.gpt2.txt').read().split()]
sys.exit(0 if a.dtype == np.uint16 and a.ndim == 1 and a.tolist() == t and b.dtype == np.uint16 else 1)" &&
  ok "npy: 1-D uint16, the same ids as the text format" || bad "npy ids differ from text ids"
printf 'Hello world' >hello.txt
[ "$("$TPLR" tokenizer encode --tokenizer gpt2 hello.txt)" = "15496 995" ] && ok "gpt2: Hello world = 15496 995" ||
  bad "gpt2: Hello world encodes to $("$TPLR" tokenizer encode --tokenizer gpt2 hello.txt)"

# failures
expect_fail "encode a missing file" "nope.txt: no such file" "$TPLR" tokenizer encode --tokenizer gpt2 nope.txt
expect_fail "a missing tokenizer" "needs encoder.json and vocab.bpe" "$TPLR" tokenizer encode --tokenizer nodir hello.txt
expect_fail "--format npy without --out" "--format npy needs --out" "$TPLR" tokenizer encode --tokenizer gpt2 --format npy hello.txt
expect_fail "bad --format" "--format must be npy or text" "$TPLR" tokenizer encode --tokenizer gpt2 --format csv hello.txt
printf '15496 50257\n' >oov.txt
expect_fail "decode an id outside the vocabulary" "50257, outside the vocabulary" "$TPLR" tokenizer decode --tokenizer gpt2 oov.txt
printf '15496 x\n' >junk.txt
expect_fail "decode junk" "junk.txt line 1: 'x" "$TPLR" tokenizer decode --tokenizer gpt2 junk.txt
mkdir broken && cp v1/encoder.json broken/ && { head -1 v1/vocab.bpe; echo "zz qq"; } >broken/vocab.bpe
expect_fail "a broken merge list" "broken/vocab.bpe line 2: unknown symbol 'zz'" "$TPLR" tokenizer encode --tokenizer broken hello.txt
: >empty.txt
expect_fail "an empty corpus" "the corpus is empty" "$TPLR" tokenizer train --vocab-size 300 --out vempty empty.txt
[ ! -e vempty ] && ok "a failed training leaves nothing" || bad "a failed training left vempty/"
expect_fail "an unreadable corpus" "missing.txt: no such file" "$TPLR" tokenizer train --vocab-size 300 --out vx corpus.txt missing.txt
expect_fail "too large a vocabulary" "or less" "$TPLR" tokenizer train --vocab-size 100000 --out vbig --quiet hello.txt
[ -z "$(ls -A . | grep tmp-)" ] && ok "no temporary files left" || bad "temporary files left: $(ls | grep tmp-)"
finish
