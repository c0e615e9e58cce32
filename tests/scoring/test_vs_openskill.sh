#!/usr/bin/env bash
# tplr's OpenSkill against the live npm openskill package: installs it
# (setup_openskill.sh), regenerates the golden games into a temporary file,
# checks that they equal the committed openskill_golden.json, and runs the C
# comparison on the fresh file. usage: test_vs_openskill.sh PATH/TO/test_openskill
set -euo pipefail
test_bin=$(realpath "${1:?usage: test_vs_openskill.sh PATH/TO/test_openskill}")
here=$(cd "$(dirname "$0")" && pwd)
rc=0
bash "$here/setup_openskill.sh" || rc=$?
[ "$rc" = 0 ] || exit "$rc"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tplr-openskill-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
node "$here/openskill_golden.js" "$tmp/golden.json"
if ! cmp -s "$tmp/golden.json" "$here/openskill_golden.json"; then
  echo "the committed openskill_golden.json differs from what openskill_golden.js writes now" >&2
  exit 1
fi
TPLR_OPENSKILL_GOLDEN="$tmp/golden.json" "$test_bin"
