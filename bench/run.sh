#!/usr/bin/env bash
# `make bench`: every benchmark, one JSON line per result.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/train/run.sh"
bash "$here/tokenizer/run.sh"
bash "$here/store/run.sh"
bash "$here/ledger/run.sh"
bash "$here/codec/run.sh"
bash "$here/tournament/run.sh"
bash "$here/protocol/run.sh"
