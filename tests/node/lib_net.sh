# A local network for the node tests (sourced after tests/cli/lib.sh, in
# $work): wallets, a genesis, a ledger with a block every 0.5 s, a validator
# wallet "val" staked with 50000 tokens (validators have more than eval_max_stake), byte-level samples and a tiny-model config net.json.
# net_setup MINER_WALLET...
pids=()
net_cleanup() {
  for p in "${pids[@]}"; do { kill -9 "$p" && wait "$p"; } 2>/dev/null; done
  [ -n "${TPLR_TEST_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap net_cleanup EXIT
export TPLR_HOME=$work/home
unset TPLR_WALLET_PASSPHRASE TPLR_LEDGER

net_setup() {
  local funds=(--fund val=100000000000000) w
  for w in val "$@"; do "$TPLR" wallet new --name "$w" >/dev/null; done
  for w in "$@"; do funds+=(--fund "$w=1000000"); done
  "$TPLR" chain genesis --out genesis.json "${funds[@]}" --set tempo=10 --set weights_rate_limit=0 \
    --set registration_cost=100 --set min_validator_stake=1000 >/dev/null
  "$TPLR" chain serve --db ledger.db --genesis genesis.json --listen 127.0.0.1:0 --port-file port --block-time 0.5 \
    2>ledger.log &
  pids+=($!)
  for _ in $(seq 200); do [ -s port ] && break; sleep 0.05; done
  export TPLR_LEDGER=http://127.0.0.1:$(cat port)
  "$TPLR" register --wallet val >/dev/null && "$TPLR" stake add --wallet val --amount 50000000000000 >/dev/null &&
    ok "validator registered and staked" || bad "validator registration"
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
}

# jq over a node's window lines: win NODEDIR FILTER
win() { jq -c "select(.event == \"window\") | $2" "$1/metrics.jsonl" 2>/dev/null; }
# wait_windows NODEDIR COUNT SECONDS
wait_windows() {
  for _ in $(seq $(($3 * 10))); do
    [ "$(win "$1" .window | wc -l)" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# compare_fingerprints VALDIR MINERDIR...: prints "COMPARED MISMATCHED" over
# every window both the validator and a miner processed.
compare_fingerprints() {
  local val=$1 mismatch=0 compared=0 w fp m other
  shift
  while read -r w fp; do
    for m in "$@"; do
      other=$(win "$m" "select(.window == $w) | .fingerprint" | tr -d '"')
      [ -z "$other" ] && continue
      compared=$((compared + 1))
      [ "$other" = "$fp" ] || { mismatch=$((mismatch + 1)); echo "window $w: $val $fp, $m $other" >&2; }
    done
  done < <(win "$val" '"\(.window) \(.fingerprint)"' | tr -d '"')
  echo "$compared $mismatch"
}
