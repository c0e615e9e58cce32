#!/usr/bin/env bash
# Installs playwright-core (pinned by package-lock.json) into
# tests/web/node_modules with `npm ci`: the library that drives the system's
# Chromium in the leaderboard page test. Idempotent and silent when it is
# there. Exits 77 (a skip for CTest) when npm is missing or the install fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "setup_playwright: node/npm are missing; the page test will be skipped" >&2
  exit 77
fi
if [ ! -f "$here/node_modules/playwright-core/package.json" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  echo "setup_playwright: installing playwright-core into $here/node_modules" >&2
  (cd "$here" && npm ci --silent --no-audit --no-fund >/dev/null 2>"$here/npm-ci.log") || {
    cat "$here/npm-ci.log" >&2
    rm -f "$here/npm-ci.log"
    echo "setup_playwright: npm ci failed; the page test will be skipped" >&2
    exit 77
  }
  rm -f "$here/npm-ci.log"
fi
