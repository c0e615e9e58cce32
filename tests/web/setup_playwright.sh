#!/usr/bin/env bash
# Installs playwright-core (pinned by package-lock.json) into
# tests/web/node_modules (tests/npm_peer.sh): the library that drives the
# system's Chromium in the leaderboard page test. Exits 77 (a skip for CTest)
# when npm is missing or the install fails.
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/../npm_peer.sh" "$here" playwright-core setup_playwright
