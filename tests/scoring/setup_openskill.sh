#!/usr/bin/env bash
# Installs the npm openskill peer (pinned by package-lock.json) into
# tests/scoring/node_modules (tests/npm_peer.sh). Exits 77 (a skip for CTest)
# when npm is missing or the install fails (no registry access): the committed
# golden file still tests the C code.
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/../npm_peer.sh" "$here" openskill setup_openskill
