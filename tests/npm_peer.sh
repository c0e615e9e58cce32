#!/usr/bin/env bash
# Installs a test's npm packages (pinned by DIR/package-lock.json) into
# DIR/node_modules with `npm ci`. Idempotent and silent when PACKAGE is there
# and the lock file is not newer. Exits 77 (a skip for CTest) when node/npm
# are missing or the install fails (no registry access).
# usage: npm_peer.sh DIR PACKAGE WHAT
set -euo pipefail
dir=$1 package=$2 what=$3
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "$what: node/npm are missing; skipping" >&2
  exit 77
fi
if [ ! -f "$dir/node_modules/$package/package.json" ] ||
   [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
  echo "$what: installing $package into $dir/node_modules" >&2
  (cd "$dir" && npm ci --silent --no-audit --no-fund >/dev/null 2>"$dir/npm-ci.log") || {
    cat "$dir/npm-ci.log" >&2
    rm -f "$dir/npm-ci.log"
    echo "$what: npm ci failed; skipping" >&2
    exit 77
  }
  rm -f "$dir/npm-ci.log"
fi
