#!/usr/bin/env bash
# bench/store: gather of PEERS (20) peers' gradient-sized objects (the 150M
# preset's, ~5.9 MB each) from moto_server and from a folder, beside the AWS
# CLI copying the same objects from the same moto_server one by one
# (`aws s3 cp`, sequentially; and, for reference, all at once with
# `aws s3 cp --recursive`), all in this run. Each contender runs ROUNDS
# times, interleaved; the best round counts. One JSON line per result, then
# a summary line with the targets (>= 3x the AWS CLI, <= 1 connection per peer).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
peers=${PEERS:-20}
rounds=${ROUNDS:-3}
preset=${PRESET:-150M}
work=$(mktemp -d "${TMPDIR:-/tmp}/tplr-bench-store-XXXXXX")
source "$root/tests/store/moto.sh"
trap 'moto_stop "${m_pid:-}"; rm -rf "$work"' EXIT

moto_start m "$work"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL=$m_endpoint
aws --endpoint-url "$m_endpoint" s3 mb s3://tplr-bench >/dev/null
bytes=$("$build/gather_bench" size "$preset")
"$build/gather_bench" prepare s3://tplr-bench "$peers" "$bytes"
"$build/gather_bench" prepare "$work/folder" "$peers" "$bytes"

: >"$work/s3.jsonl"; : >"$work/fs.jsonl"; : >"$work/aws.jsonl"; : >"$work/aws_recursive.jsonl"
for _ in $(seq "$rounds"); do
  "$build/gather_bench" run s3://tplr-bench "$peers" "$bytes" >>"$work/s3.jsonl"
  "$build/gather_bench" run "$work/folder" "$peers" "$bytes" >>"$work/fs.jsonl"
  rm -rf "$work/aws" && mkdir "$work/aws"
  t0=$(date +%s.%N)
  for uid in $(seq 0 $((peers - 1))); do
    aws --endpoint-url "$m_endpoint" s3 cp --only-show-errors "s3://tplr-bench/gradient-1-$uid-vbench.tplr" \
      "$work/aws/$uid"
  done
  t1=$(date +%s.%N)
  got=$(cat "$work"/aws/* | wc -c)
  [ "$got" -eq $((peers * bytes)) ] || { echo "aws s3 cp fetched $got bytes" >&2; exit 1; }
  echo "{\"seconds\": $(echo "$t1 - $t0" | bc)}" >>"$work/aws.jsonl"
  # and its own parallel copy (10 concurrent requests by default), for reference
  rm -rf "$work/aws" && mkdir "$work/aws"
  t0=$(date +%s.%N)
  aws --endpoint-url "$m_endpoint" s3 cp --only-show-errors --recursive s3://tplr-bench/ "$work/aws/"
  t1=$(date +%s.%N)
  echo "{\"seconds\": $(echo "$t1 - $t0" | bc)}" >>"$work/aws_recursive.jsonl"
done

python3 - "$work" "$peers" "$bytes" "$preset" <<'PY'
import json, sys
work, peers, size, preset = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
best = lambda name: min((json.loads(l) for l in open(f"{work}/{name}.jsonl") if l.strip()), key=lambda d: d["seconds"])
s3, fs, aws, aws_par = best("s3"), best("fs"), best("aws"), best("aws_recursive")
total_mb = peers * size / 1e6
for d in (s3, fs):
    d["preset"] = preset
    print(json.dumps(d))
print(json.dumps({"bench": "store_gather", "impl": "aws-cli sequential `aws s3 cp`", "backend": "s3", "peers": peers,
                  "object_bytes": size, "seconds": round(aws["seconds"], 4),
                  "mb_s": round(total_mb / aws["seconds"], 1), "preset": preset}))
print(json.dumps({"bench": "store_gather", "impl": "aws-cli `aws s3 cp --recursive` (10 concurrent)", "backend": "s3",
                  "peers": peers, "object_bytes": size, "seconds": round(aws_par["seconds"], 4),
                  "mb_s": round(total_mb / aws_par["seconds"], 1), "preset": preset}))
print(json.dumps({"bench": "store_summary", "speedup_vs_aws_cli": round(aws["seconds"] / s3["seconds"], 1),
                  "speedup_vs_aws_cli_recursive": round(aws_par["seconds"] / s3["seconds"], 1),
                  "s3_connections_per_peer": s3["connections_per_peer"],
                  "targets": {"speedup_vs_aws_cli": 3, "connections_per_peer": 1}}))
PY
