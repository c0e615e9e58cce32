#!/usr/bin/env bash
# Two miners and a validator on a local ledger and folder buckets, tiny model:
# the miners' loss falls, every node's model fingerprint agrees after each
# outer step, weights land on the ledger with positive weight for both
# miners, a miner joining late catches up from the leader's checkpoint and
# aggregates, and a validator killed with SIGKILL resumes with its scores.
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

net_setup m1 m2 m3
"$TPLR" config show --config net.json | jq -e '.inner_steps == 4 and .burn_uid == 0 and .outer_lr == 0.9' >/dev/null &&
  ok "config show applies the file" || bad "config show"
# init_model: a checkpoint of another shape is refused, naming the field
"$TPLR" model init --preset tiny --set vocab=256 --set layers=3 --seed 9 --out other3 >/dev/null ||
  bad "model init other3"
expect_fail "miner: init_model of another shape" "init_model $work/other3" "$TPLR" miner --wallet m1 \
  --store "$work/b/m1" --dir m1x --config net.json --data train.npy --set init_model="$work/other3"
"$TPLR" localnet config --preset small --set outer_lr=2 | jq -e '.outer_lr == 2 and .model_preset == "small"' \
  >/dev/null && ok "localnet config prints the nodes' config" || bad "localnet config"

# weights every window; ordinal = mu - 1*sigma (z = 1, not 3) is positive from the first window, so in
# a run this short both honest miners earn weight whoever wins each window's game
common=(--config net.json --data train.npy --threads 1 --set windows_per_weights=1 --set openskill_z=1)
# the ledger's weights of the validator (uid 0), sampled every second while the network runs
( while :; do "$TPLR" weights show --uid 0 --json 2>/dev/null >>ledger_weights.jsonl && echo >>ledger_weights.jsonl
    sleep 1; done ) &
pids+=($!)
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

# a third miner joins late: it catches up from the checkpoint and the aggregates
# (once the leader has a checkpoint and processed the window after it)
for _ in $(seq 600); do
  lw=$(jq .latest_window b/val/checkpoints/1/_LATEST.json 2>/dev/null)
  [ -n "$lw" ] && [ "$(win val .window | tail -n 1)" -ge $((lw + 1)) ] && break
  sleep 0.1
done
[ -n "$lw" ] && ok "the leader checkpointed window $lw" || bad "no checkpoint: $(tail -n 3 val1.log)"
"$TPLR" miner --wallet m3 --store "$work/b/m3" --dir m3 "${common[@]}" 2>m3.log &
m3pid=$!
pids+=($m3pid)

# the validator runs 5 windows, then is killed without warning and restarted
wait_windows val 5 60 && ok "the validator processed 5 windows" || bad "validator: $(tail -n 3 val1.log)"
port=$(jq -r 'select(.event == "start") | .metrics_port' m1/metrics.jsonl)
m1uid=$(jq -r 'select(.event == "start") | .uid' m1/metrics.jsonl)
curl -s "http://127.0.0.1:$port/metrics" | grep -q "^tplr_loss{node=\"miner\",uid=\"$m1uid\"}" &&
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
# SIGTERM stops a miner cleanly
wait_windows m3 3 60 || bad "the late miner: $(tail -n 3 m3.log)"
kill -TERM $m3pid
wait $m3pid && ok "SIGTERM: the miner exits 0" || bad "SIGTERM: exit $?: $(tail -n 3 m3.log)"
jq -e 'select(.event == "stop") | .interrupted' m3/metrics.jsonl >/dev/null && ok "SIGTERM: stop line, interrupted" ||
  bad "SIGTERM: no stop line"
for p in "${mpids[@]}"; do wait "$p" || bad "a miner failed: $(tail -n 3 m1.log m2.log)"; done
jq -e 'select(.event == "stop")' m1/metrics.jsonl >/dev/null && ok "miners wrote their stop line" || bad "no stop line"

# the miners' loss falls
for m in m1 m2; do
  first=$(win $m 'select(.null_round | not) | .loss' | head -n 1)
  last=$(win $m .loss | tail -n 3 | jq -s 'add / length')
  if jq -en "$last < $first - 0.5" >/dev/null; then ok "$m: loss falls ($first -> $last)"; else bad "$m: loss $first -> $last"; fi
done

# every node's model is the same after every window both processed
grep -q "loaded the checkpoint of window" m3.log && ok "the late miner loaded the leader's checkpoint" ||
  bad "the late miner did not load a checkpoint: $(head -n 5 m3.log)"
read -r compared mismatch < <(compare_fingerprints val m1 m2 m3)
[ "$compared" -ge 16 ] && [ "$mismatch" = 0 ] && ok "fingerprints agree ($compared comparisons, across the restart)" ||
  bad "fingerprints: $mismatch of $compared differ"

# weights on the ledger: each miner positive in the validator's weights at some point
for u in 1 2; do
  jq -es --argjson u $u 'map([.uids, .weights] | transpose | map(select(.[0] == $u and .[1] > 0)) | length) | add > 0' \
    ledger_weights.jsonl >/dev/null && ok "miner uid $u got a positive weight on the ledger" ||
    bad "uid $u never had weight: $(tail -n 2 ledger_weights.jsonl)"
done
jq -es 'map(select(.event == "window")) | length > 0 and all(has("gradient_score") and has("final_score") and
  has("weight") and has("penalties") and has("evaluated") and has("eval_loss") and has("weights_set"))' val/metrics.jsonl >/dev/null && ok "validator lines carry the scores" || bad "validator metrics fields"
finish
