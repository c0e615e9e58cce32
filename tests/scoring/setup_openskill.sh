#!/usr/bin/env bash
# Installs the npm openskill peer (pinned by package-lock.json) into
# tests/scoring/node_modules with `npm ci`. Idempotent and silent when it is
# there. Exits 77 (a skip for CTest) when npm is missing or the install fails
# (no registry access): the committed golden file still tests the C code.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "setup_openskill: node/npm are missing; skipping the live comparison" >&2
  exit 77
fi
if [ ! -f "$here/node_modules/openskill/package.json" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  echo "setup_openskill: installing the openskill peer into $here/node_modules" >&2
  (cd "$here" && npm ci --silent --no-audit --no-fund >/dev/null 2>"$here/npm-ci.log") || {
    cat "$here/npm-ci.log" >&2
    rm -f "$here/npm-ci.log"
    echo "setup_openskill: npm ci failed; skipping the live comparison" >&2
    exit 77
  }
  rm -f "$here/npm-ci.log"
fi
