#!/usr/bin/env bash
# Two miners and a validator on a local ledger and folder buckets, tiny model:
# the miners' loss falls, every node's model fingerprint agrees after each
# outer step, weights land on the ledger with positive weight for both
# miners, and a validator killed with SIGKILL resumes with its scores.
# usage: test_miner_validator.sh PATH/TO/tplr
TPLR=$(realpath "${1:?usage: test_miner_validator.sh PATH/TO/tplr}")
source "$(dirname "$(realpath "$0")")/../cli/lib.sh"
cd "$work"
export TPLR_HOME=$work/home
unset TPLR_WALLET_PASSPHRASE TPLR_LEDGER
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT

for cmd in miner validator config "config show" "config docs"; do
  # shellcheck disable=SC2086
  if "$TPLR" $cmd --help >/dev/null 2>&1; then ok "tplr $cmd --help"; else bad "tplr $cmd --help"; fi
done
expect_fail "config: unknown key" "unknown config key 'inner_stepz'" "$TPLR" config show --set inner_stepz=3
expect_fail "miner: bad adversary" "unknown adversary" "$TPLR" miner --wallet x --store s --dir d --adversary evil

# wallets, genesis, ledger (a block every 0.5 s)
for w in val m1 m2; do "$TPLR" wallet new --name "$w" >/dev/null; done
"$TPLR" chain genesis --out genesis.json --fund val=1000000000000 --fund m1=1000000 --fund m2=1000000 \
  --set tempo=10 --set weights_rate_limit=0 --set registration_cost=100 --set min_validator_stake=1000 >/dev/null
"$TPLR" chain serve --db ledger.db --genesis genesis.json --listen 127.0.0.1:0 --port-file port --block-time 0.5 \
  2>ledger.log &
pids+=($!)
for _ in $(seq 200); do [ -s port ] && break; sleep 0.05; done
export TPLR_LEDGER=http://127.0.0.1:$(cat port)
"$TPLR" register --wallet val >/dev/null && "$TPLR" stake add --wallet val --amount 100000000000 >/dev/null &&
  ok "validator registered and staked" || bad "validator registration"

# data and the network's config (tiny model, 3-second windows)
make_corpus corpus.txt
"$TPLR" data bytes --input corpus.txt --seq 32 --out train.npy >/dev/null
cat >net.json <<'JSON'
{"model_preset": "tiny", "model_overrides": "vocab=256,layers=2", "init_seed": 5,
 "blocks_per_window": 6, "null_rounds": 1, "inner_steps": 4, "batch": 4, "seq": 32, "pool_size": 64,
 "inner_lr": 0.01, "inner_warmup_steps": 2, "inner_t_max": 1000, "outer_lr": 0.9,
 "codec_topk": 64, "codec_chunk": 32, "time_window_delta_s": 2.5, "late_grace_s": 0.5, "peer_timeout_s": 3,
 "poll_interval_s": 0.1, "peer_list_every": 1, "windows_per_weights": 2, "checkpoint_frequency": 2,
 "eval_samples": 4, "burn_uid": 0}
JSON
"$TPLR" config show --config net.json | jq -e '.inner_steps == 4 and .burn_uid == 0 and .outer_lr == 0.9' >/dev/null &&
  ok "config show applies the file" || bad "config show"

common=(--config net.json --data train.npy --threads 1)
"$TPLR" validator --wallet val --store "$work/b/val" --dir val "${common[@]}" --windows 5 2>val1.log &
vpid=$!
pids+=($vpid)
for m in m1 m2; do
  "$TPLR" miner --wallet "$m" --store "$work/b/$m" --dir "$m" "${common[@]}" --windows 9 2>"$m.log" &
  pids+=($!)
done
