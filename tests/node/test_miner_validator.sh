#!/usr/bin/env bash
# Two miners and a validator on a local ledger and folder buckets, tiny model:
# the miners' loss falls, every node's model fingerprint agrees after each
# outer step, weights land on the ledger with positive weight for both
# miners, and a validator killed with SIGKILL resumes with its scores.
# usage: test_miner_validator.sh PATH/TO/tplr
TPLR=$(realpath "${1:?usage: test_miner_validator.sh PATH/TO/tplr}")
here=$(dirname "$(realpath "$0")")
source "$here/../cli/lib.sh"
cd "$work"
source "$here/lib_net.sh"

for cmd in miner validator config "config show" "config docs"; do
  # shellcheck disable=SC2086
  if "$TPLR" $cmd --help >/dev/null 2>&1; then ok "tplr $cmd --help"; else bad "tplr $cmd --help"; fi
done
expect_fail "config: unknown key" "unknown config key 'inner_stepz'" "$TPLR" config show --set inner_stepz=3
expect_fail "miner: bad adversary" "unknown adversary" "$TPLR" miner --wallet x --store s --dir d --adversary evil

net_setup m1 m2
"$TPLR" config show --config net.json | jq -e '.inner_steps == 4 and .burn_uid == 0 and .outer_lr == 0.9' >/dev/null &&
  ok "config show applies the file" || bad "config show"

common=(--config net.json --data train.npy --threads 1)
"$TPLR" validator --wallet val --store "$work/b/val" --dir val "${common[@]}" 2>val1.log &
vpid=$!
pids+=($vpid)
mpids=()
for m in m1 m2; do
  "$TPLR" miner --wallet "$m" --store "$work/b/$m" --dir "$m" "${common[@]}" --windows 13 \
    --metrics-listen 127.0.0.1:0 2>"$m.log" &
  mpids+=($!)
  pids+=($!)
done

# the validator runs 5 windows, then is killed without warning and restarted
wait_windows val 5 60 && ok "the validator processed 5 windows" || bad "validator: $(tail -n 3 val1.log)"
port=$(jq -r 'select(.event == "start") | .metrics_port' m1/metrics.jsonl)
curl -s "http://127.0.0.1:$port/metrics" | grep -q '^tplr_loss{node="miner",uid="1"}' &&
  ok "Prometheus metrics on GET /metrics" || bad "GET /metrics on port $port"
kill -9 $vpid
wait $vpid 2>/dev/null
scored=$(jq .windows_scored val/scores.json)
sleep 3
"$TPLR" validator --wallet val --store "$work/b/val" --dir val "${common[@]}" --windows 3 2>val2.log &
vpid=$!
pids+=($vpid)
wait $vpid && ok "the restarted validator ran 3 windows and stopped" || bad "validator restart: $(tail -n 3 val2.log)"
grep -q "scores of $scored windows loaded" val2.log && ok "restart loaded the scores of $scored windows" ||
  bad "restart did not load the scores: $(head -n 3 val2.log)"
after=$(jq .windows_scored val/scores.json)
[ "$after" -gt "$scored" ] && ok "scoring continued ($scored -> $after windows)" || bad "windows_scored $scored -> $after"
for p in "${mpids[@]}"; do wait "$p" || bad "a miner failed: $(tail -n 3 m1.log m2.log)"; done
jq -e 'select(.event == "stop")' m1/metrics.jsonl >/dev/null && ok "miners wrote their stop line" || bad "no stop line"

# the miners' loss falls
for m in m1 m2; do
  first=$(win $m 'select(.null_round | not) | .loss' | head -n 1)
  last=$(win $m .loss | tail -n 3 | jq -s 'add / length')
  if jq -en "$last < $first - 0.5" >/dev/null; then ok "$m: loss falls ($first -> $last)"; else bad "$m: loss $first -> $last"; fi
done

# every node's model is the same after every window both processed
mismatch=0 compared=0
while read -r w fp; do
  for m in m1 m2; do
    other=$(win $m "select(.window == $w) | .fingerprint" | tr -d '"')
    [ -z "$other" ] && continue
    compared=$((compared + 1))
    [ "$other" = "$fp" ] || { mismatch=$((mismatch + 1)); echo "window $w: validator $fp, $m $other"; }
  done
done < <(win val '"\(.window) \(.fingerprint)"' | tr -d '"')
[ "$compared" -ge 12 ] && [ "$mismatch" = 0 ] && ok "fingerprints agree ($compared comparisons, across the restart)" ||
  bad "fingerprints: $mismatch of $compared differ"

# weights on the ledger: both miners positive
w=$("$TPLR" weights show --uid 0 --json)
for u in 1 2; do
  jq -e --argjson u $u '[.uids, .weights] | transpose | map(select(.[0] == $u and .[1] > 0)) | length == 1' \
    <<<"$w" >/dev/null && ok "miner uid $u has a positive weight on the ledger" || bad "uid $u weight: $w"
done
jq -es 'map(select(.event == "window")) | length > 0 and all(has("gradient_score") and has("final_score") and
  has("weight") and has("penalties") and has("evaluated") and has("eval_loss") and has("weights_set"))' val/metrics.jsonl >/dev/null && ok "validator lines carry the scores" || bad "validator metrics fields"
finish
