#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a
# bounded time on its committed seed corpus (copied, so runs never change the
# repository). usage: tests/fuzz/run.sh [SECONDS_PER_TARGET] [OUT_DIR]
set -euo pipefail
secs=${1:-10}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${2:-$root/build/fuzz}
mkdir -p "$out"
cc=${CLANG:-clang}
flags=(-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$root/include"
       -I"$root/src/store" -DTPLR_DATA_DIR="\"$root/data\"")
lib_sources=("$root"/src/base/*.c "$root/src/model/safetensors.c" "$root/src/model/config.c" "$root/src/data/npy.c" "$root/src/data/shard.c"
             "$root"/src/data/{tokenizer,tokenizer_load,pretokenize,unicode,unicode_tables,bytemap,gpt2_bytes}.c
             "$root"/src/codec/*.c
             "$root/src/store/s3_parse.c" "$root/src/chain/ledger_tx.c" "$root/src/chain/address.c"
             "$root"/src/node/{openskill,scoring_config,scoring_rules,scoring_state,scoring_penalties,scoring_pick,scoring_file,node_files,netreport_metrics,netreport_summary,netreport_html}.c
             "$root/src/tournament/proto.c" "$root"/src/tournament/{request,similar}.c)
# The library sources are compiled once (in parallel), then linked into each target.
rm -rf "$out/obj" && mkdir -p "$out/obj"
printf '%s\n' "${lib_sources[@]}" | xargs -P "$(nproc)" -I{} sh -c \
  'f="$1"; shift; exec "$@" -c "$f" -o "'"$out"'/obj/$(echo "$f" | tr / _).o"' _ {} "$cc" "${flags[@]/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}"
rm -f "$out/libfuzzlib.a" && ar rcs "$out/libfuzzlib.a" "$out"/obj/*.o
for target in safetensors npy config shard tokenizer_load tokenizer_encode codec s3 ledger_tx scores node_files metrics tour_pipe tour_request; do
  "$cc" "${flags[@]}" "$here/fuzz_$target.c" "$out/libfuzzlib.a" -o "$out/fuzz_$target" -ljansson -lsodium -lm
  rm -rf "$out/corpus_$target"
  cp -r "$here/corpus/$target" "$out/corpus_$target"
  echo "fuzz_$target: ${secs}s"
  "$out/fuzz_$target" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/" \
    -print_final_stats=1 "$out/corpus_$target" 2>&1 | grep -E "stat::number_of_executed_units|ERROR|SUMMARY" || true
  # libFuzzer exits non-zero and writes crash-* on a finding
  if ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* 2>/dev/null | grep -q .; then
    echo "fuzz_$target: found a failing input" >&2
    exit 1
  fi
done
