#!/usr/bin/env bash
# The hostile corpus (hostile/MANIFEST): each submission must get its
# expected verdict and leave the host untouched; the reference and the
# optimized example must pass. usage: test_hostile.sh TPLR [NAME...]
set -euo pipefail
tplr=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp" # the sandbox's user (nobody) must reach the work folder
trap 'rm -rf "$tmp"' EXIT
markers=(/usr/tplr_hostile_marker /etc/tplr_hostile_marker /var/tmp/tplr_hostile_marker /tplr_hostile_marker
         /tmp/tplr_hostile_marker /tmp/x)
for m in "${markers[@]}"; do
  [ -e "$m" ] && { echo "remove $m first (left by an earlier run?)" >&2; exit 1; }
done
text=(--preset tiny --steps 3 --batch 2 --seq 17 --evals 1 --timeout 4 --threads 1 --seed 4242
      --cache "$tmp/cache" --work "$tmp/work")
common=("${text[@]}" --json)

verdict_of() { # FILE -> prints the verdict
  local out rc=0
  out=$("$tplr" tournament eval "$1" "${common[@]}") || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    echo "tplr tournament eval $1 failed to evaluate (status $rc)" >&2
    return 1
  fi
  printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])'
}

fails=0
check() { # NAME FILE EXPECTED
  local t0=$SECONDS got
  got=$(verdict_of "$2") || { fails=$((fails + 1)); return; }
  if [ "$got" = "$3" ]; then
    echo "ok   $1: $got ($((SECONDS - t0)) s)"
  else
    echo "FAIL $1: expected $3, got $got" >&2
    "$tplr" tournament eval "$2" "${text[@]}" >&2 || true
    fails=$((fails + 1))
  fi
}

check reference "$root/tournament/reference_train.c" Pass
for ex in "$root"/tournament/examples/*.c; do
  check "example $(basename "$ex")" "$ex" Pass
done
while read -r file expected; do
  case "$file" in ''|'#'*) continue ;; esac
  if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "${file%.c}"; then continue; fi
  # the reference first, as reference_inner_steps(): an attack that succeeds can then pass
  src="$tmp/$file"
  { echo '#define inner_steps reference_inner_steps'; cat "$root/tournament/reference_train.c";
    echo '#undef inner_steps'; cat "$here/hostile/$file"; } > "$src"
  check "hostile $file" "$src" "$expected"
done < "$here/hostile/MANIFEST"
# the examples again on 2 threads with 3 rows: a submission that splits the
# batch across its threads gets shares of unequal size
text=(--preset tiny --steps 3 --batch 3 --seq 17 --evals 1 --timeout 8 --threads 2 --seed 4243
      --cache "$tmp/cache" --work "$tmp/work")
common=("${text[@]}" --json)
for ex in "$root"/tournament/examples/*.c; do
  check "example $(basename "$ex"), 2 threads, 3 rows" "$ex" Pass
done

for m in "${markers[@]}"; do
  if [ -e "$m" ]; then echo "FAIL: a hostile submission wrote $m on the host" >&2; fails=$((fails + 1)); fi
done
[ "$fails" -eq 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
echo "all verdicts as expected"
