#!/usr/bin/env bash
# The ledger under load on loopback: signed set_weights and transfer requests
# per second from several client processes, with p50/p99 latency, and reads
# per second (a database read: a balance; and the head block, served from
# memory), SQLite in WAL mode with synchronous=NORMAL. Each figure is the best
# of a few runs (a shared 2-core VM is noisy); clients and server share the
# cores. Peers in the same run: the bare SQLite transaction of one transfer,
# and one Ed25519 verification. One JSON line per result.
# usage: bench/ledger/run.sh [SECONDS_PER_RUN] [RUNS] [PROCS]
set -euo pipefail
secs=${1:-4}
runs=${2:-3}
procs=${3:-4}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tplr=$root/build/tplr
load=$root/build/ledger_load
[ -x "$tplr" ] && [ -x "$load" ] || { echo "bench/ledger: build first (make)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tplr-bench-ledger-XXXXXX")
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$load" genesis --out "$tmp/genesis.json" --accounts 16
"$tplr" chain serve --db "$tmp/ledger.db" --genesis "$tmp/genesis.json" --listen 127.0.0.1:0 \
  --port-file "$tmp/port" --block-time 1 --threads 32 2>"$tmp/server.log" &
server=$!
for _ in $(seq 200); do [ -s "$tmp/port" ] && break; sleep 0.025; done
url=http://127.0.0.1:$(cat "$tmp/port")
"$load" setup --url "$url" --validators 8 --miners 32

"$load" writes --url "$url" --op set_weights --procs "$procs" --seconds "$secs" --repeat "$runs"
"$load" writes --url "$url" --op transfer --procs "$procs" --seconds "$secs" --repeat "$runs"
addr=$("$tplr" metagraph --ledger "$url" --json | jq -r '.neurons[0].coldkey')
"$load" reads --url "$url" --path "/v1/balance/$addr" --procs "$procs" --seconds "$secs" --repeat "$runs"
"$load" reads --url "$url" --path /v1/block --procs "$procs" --seconds "$secs" --repeat "$runs"
"$load" peers --dir "$tmp"
