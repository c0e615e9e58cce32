#!/usr/bin/env bash
# tplr data prepare / info / pool and tplr generate from the command line:
# shards from text, their validation, sample pools equal to NumPy's and the same
# in every process and thread count, generation that is reproducible, and clear
# failures that leave nothing behind.
# usage: test_data_cli.sh PATH/TO/tplr
TPLR=$(realpath "${1:?usage: test_data_cli.sh PATH/TO/tplr}")
source "$(dirname "$(realpath "$0")")/lib.sh"
cd "$work"

for cmd in "data prepare" "data info" "data pool" "generate"; do
  # shellcheck disable=SC2086
  if "$TPLR" $cmd --help >/dev/null 2>&1; then ok "tplr $cmd --help"; else bad "tplr $cmd --help"; fi
done

make_corpus corpus.txt
"$TPLR" tokenizer train --vocab-size 512 --out tok --quiet corpus.txt >/dev/null 2>&1 || bad "tokenizer train"

# prepare: counts, split, determinism
expect_ok "prepare" "$TPLR" data prepare --tokenizer tok --input corpus.txt --documents paragraphs \
  --sample-len 32 --val-fraction 0.1 --shard-tokens 4096 --out sh
info=$("$TPLR" data info sh 2>&1)
grep -q "train .* samples of 32 positions" <<<"$info" && grep -q "vocabulary 512, EOS 511" <<<"$info" &&
  ok "data info: split, vocabulary, EOS" || bad "data info: $info"
n_train=$(ls sh/train-*.tshard | wc -l)
[ "$n_train" -gt 1 ] && ok "--shard-tokens cuts $n_train train shards" || bad "one train shard despite --shard-tokens 4096"
"$TPLR" data prepare --tokenizer tok --input corpus.txt --documents paragraphs --sample-len 32 --val-fraction 0.1 \
  --shard-tokens 4096 --out sh2 >/dev/null 2>&1
same=1
for f in sh/*.tshard; do cmp -s "$f" "sh2/$(basename "$f")" || same=0; done
[ "$same" = 1 ] && ok "prepare is deterministic (byte-identical shards)" || bad "two prepares differ"

# The tokens in the shards are the tokenizer's: documents, each followed by EOS.
/usr/bin/python3 - "$TPLR" <<'PY' && ok "shard tokens = encode(paragraph) + EOS, in order" || bad "shard tokens differ from the tokenizer's"
import json, subprocess, sys, numpy as np, glob
tplr = sys.argv[1]
m = json.load(open("sh/manifest.json"))
def tokens(split):
    out = []
    for e in m[split]:
        raw = open("sh/" + e["file"], "rb").read()
        out.append(np.frombuffer(raw[128:128 + 2 * e["tokens"]], dtype="<u2"))
    return np.concatenate(out)
got = np.concatenate([tokens("train"), tokens("val")]).tolist()
text = open("corpus.txt", "rb").read()
want = []
for para in text.split(b"\n\n"):
    para = para.strip(b"\r\n")
    if not para:
        continue
    open("para.txt", "wb").write(para)
    ids = subprocess.run([tplr, "tokenizer", "encode", "--tokenizer", "tok", "para.txt"], check=True,
                         capture_output=True).stdout.split()
    want += [int(x) for x in ids] + [m["eos"]]
want = want[:len(got)]
sys.exit(0 if got == want and len(got) % 32 == 0 else 1)
PY

# pool: NumPy's Generator.choice, identical across processes and thread counts
pool_json() { OMP_NUM_THREADS=$1 "$TPLR" data pool --data sh --uid 7 --window 123 --size 50 --json 2>/dev/null; }
a=$(pool_json 1) b=$(pool_json 2)
[ -n "$a" ] && [ "$a" = "$b" ] && ok "pool and digest identical with 1 and 2 threads, in two processes" || bad "pools differ: $a / $b"
/usr/bin/python3 - "$a" <<'PY' && ok "pool equals numpy default_rng(seed).choice(N, K, replace=False)" || bad "pool differs from NumPy"
import json, sys, numpy as np
p = json.loads(sys.argv[1])
n = sum(e["samples"] for e in json.load(open("sh/manifest.json"))["train"])
seed = (7 * 1000003 ^ 123) & 0xFFFFFFFF
want = np.random.default_rng(seed).choice(n, 50, replace=False).tolist()
sys.exit(0 if p["pool"] == want and len(p["digest"]) == 32 else 1)
PY
c=$("$TPLR" data pool --data sh --uid 8 --window 123 --size 50 --json 2>/dev/null)
[ "$(sed 's/.*"digest":"\([0-9a-f]*\)".*/\1/' <<<"$a")" != "$(sed 's/.*"digest":"\([0-9a-f]*\)".*/\1/' <<<"$c")" ] &&
  ok "another uid, another digest" || bad "uid 7 and 8 share a digest"

# prepare: bad input, nothing half-written
: >empty.txt
expect_fail "empty corpus" "the corpus is empty" "$TPLR" data prepare --tokenizer tok --input empty.txt --sample-len 32 --out e1
[ ! -e e1 ] && ok "empty corpus leaves no folder" || bad "empty corpus left e1/"
expect_fail "missing input" "nope.txt" "$TPLR" data prepare --tokenizer tok --input nope.txt --sample-len 32 --out e2
[ ! -e e2 ] && ok "missing input leaves no folder" || bad "missing input left e2/"
mkdir brokentok && cp tok/encoder.json brokentok/ && { head -1 tok/vocab.bpe; echo "zzz_not_a_token q"; } >brokentok/vocab.bpe
expect_fail "broken merge list" "vocab.bpe" "$TPLR" data prepare --tokenizer brokentok --input corpus.txt --sample-len 32 --out e3
[ ! -e e3 ] && ok "broken tokenizer leaves no folder" || bad "broken tokenizer left e3/"
expect_fail "existing output" "already holds shards" "$TPLR" data prepare --tokenizer tok --input corpus.txt --sample-len 32 --out sh
expect_fail "bad --documents" "--documents" "$TPLR" data prepare --tokenizer tok --input corpus.txt --sample-len 32 --out e4 --documents pages
expect_fail "bad --sample-len" "sample" "$TPLR" data prepare --tokenizer tok --input corpus.txt --sample-len 1 --out e5

# shards: corrupt, truncated, vocabulary larger than the model's
cp -r sh bad1 && printf '\x01' | dd of=bad1/train-000000.tshard bs=1 seek=300 conv=notrunc 2>/dev/null
expect_fail "corrupt shard (checksum)" "train-000000.tshard" "$TPLR" data info bad1
cp -r sh bad2 && truncate -s 200 bad2/train-000001.tshard
expect_fail "truncated shard" "train-000001.tshard" "$TPLR" data info bad2
"$TPLR" model init --preset tiny --set vocab=256 --set max_seq=32 --out small >/dev/null 2>&1
expect_fail "shard vocabulary above the model's" "vocab" "$TPLR" train --model small --data sh --steps 1

# a model trained on the shards, then generate
"$TPLR" model init --preset tiny --set vocab=512 --set max_seq=64 --seed 1 --out m0 >/dev/null 2>&1
expect_ok "train on a shard folder" "$TPLR" train --model m0 --data sh --steps 20 --batch 4 --lr 3e-3 --warmup 2 \
  --threads 2 --quiet --out m1
expect_ok "eval on the val split" "$TPLR" eval --model m1 --data sh --quiet
g1=$("$TPLR" generate --model m1 --tokenizer tok --prompt "int main" --max-tokens 20 --seed 5 --threads 1 2>/dev/null)
g2=$("$TPLR" generate --model m1 --tokenizer tok --prompt "int main" --max-tokens 20 --seed 5 --threads 2 2>/dev/null)
g3=$("$TPLR" generate --model m1 --tokenizer tok --prompt "int main" --max-tokens 20 --seed 6 2>/dev/null)
[ -n "$g1" ] && [ "$g1" = "$g2" ] && ok "generate: same seed, same text (1 and 2 threads)" || bad "generate differs: '$g1' / '$g2'"
[ "$g1" != "$g3" ] && ok "generate: another seed, another text" || bad "seeds 5 and 6 wrote the same text"
[[ "$g1" == "int main"* ]] && ok "generate: output starts with the prompt" || bad "generate output: $g1"
# greedy decoding (the KV cache against full forward passes is checked in test_generate.c)
t0=$("$TPLR" generate --model m1 --tokenizer tok --prompt "static" --max-tokens 12 --temperature 0 2>/dev/null)
t1=$("$TPLR" generate --model m1 --tokenizer tok --prompt "static" --max-tokens 12 --temperature 0 --seed 99 2>/dev/null)
[ "$t0" = "$t1" ] && ok "temperature 0 ignores the seed" || bad "greedy output depends on the seed"
expect_fail "prompt + max-tokens beyond max_seq" "max_seq" "$TPLR" generate --model m1 --tokenizer tok --prompt x --max-tokens 100
expect_fail "tokenizer larger than the model" "vocabulary" "$TPLR" generate --model small --tokenizer tok --prompt x --max-tokens 4
expect_fail "missing model" "nomodel" "$TPLR" generate --model nomodel --tokenizer tok --prompt x

finish
