#!/usr/bin/env bash
# `make run`: a whole tplr network on this machine. `tplr localnet` prepares
# the King James Bible corpus (runs/kjv/, kept between runs), starts a ledger,
# one validator and three miners (each its own process, logs under
# runs/localnet/nodes/), trains the tiny model for a few windows with a live
# table per window, and writes runs/localnet/summary.json and report.html.
# Override WINDOWS, MINERS, PRESET; extra arguments go to tplr localnet.
# The single-node demo that `make run` used to be is scripts/train_demo.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tplr="$root/build/tplr"
"$tplr" localnet --preset "${PRESET:-tiny}" --miners "${MINERS:-3}" --validators 1 --windows "${WINDOWS:-8}" \
  --dir "$root/runs/localnet" --corpus "$root/runs/kjv" "$@"
echo
"$tplr" status --dir "$root/runs/localnet"
echo
echo "open the report: $root/runs/localnet/report.html"
