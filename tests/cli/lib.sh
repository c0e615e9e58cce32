# Helpers for the command-line tests: sourced, with $TPLR set to the binary.
set -u
cli_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pass=0
failn=0
work=$(mktemp -d "${TMPDIR:-/tmp}/tplr-cli-XXXXXX")
trap 'rm -rf "$work"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { failn=$((failn + 1)); echo "FAIL $*"; }

# expect_fail NAME SUBSTRING CMD...: CMD exits non-zero and its stderr contains SUBSTRING.
expect_fail() {
  local name=$1 needle=$2
  shift 2
  local err rc
  err=$("$@" 2>&1 >/dev/null) && rc=0 || rc=$?
  if [ "$rc" -eq 0 ]; then
    bad "$name: succeeded, expected a failure"
  elif ! grep -qF -- "$needle" <<<"$err"; then
    bad "$name: message lacks '$needle': $err"
  else
    ok "$name (exit $rc)"
  fi
}

# expect_ok NAME CMD...: CMD succeeds.
expect_ok() {
  local name=$1
  shift
  local out
  if out=$("$@" 2>&1); then ok "$name"; else bad "$name: $out"; fi
}

finish() {
  echo "$pass passed, $failn failed"
  [ "$failn" -eq 0 ]
}

# A small text corpus that needs nothing installed: this repository's sources.
make_corpus() {
  cat "$cli_lib_dir"/../../src/*/*.c > "$1"
}
