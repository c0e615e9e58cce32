#!/usr/bin/env bash
# bench/protocol: the training protocol against data-parallel training, in
# one run on the King James Bible (the corpus of `make run`).
#   network: `tplr localnet --preset small` (3.7 M parameters), MINERS miners
#            and a validator for WINDOWS windows of H inner AdamW steps each,
#            compressed pseudo-gradients through a folder store, outer SGD;
#   peer:    one node, `tplr train` with AdamW, batch = MINERS x the miners'
#            batch (what dense data-parallel training over MINERS nodes
#            computes per step), on the same total tokens the miners trained
#            on, with the inner optimizer's schedule, at each learning rate
#            of SINGLE_LR_SCALES x the inner one (default "0.25 0.5 1 2"): its
#            best one is the peer's figure.
# Both start from the same weights: the preset's initialization, or with
# WARM_STEPS > 0 a model the single node trained that many steps from it
# (DiLoCo's experiments start from a pre-trained model in the same way);
# the warm-up tokens are not counted.
# Results (one JSON line each):
#   val_loss     validation loss (held-out 2% of the corpus) of the network's
#                model (the validator's last checkpoint) and of the single node
#                (its best learning rate; every one in single_node_by_lr);
#                ratio = network / single
#   comm_bytes   bytes the miners moved (uploads + downloads of compressed
#                pseudo-gradients, from their metrics) against dense fp32 ring
#                all-reduce over the same n = MINERS workers at every inner
#                step: 2*(n-1)/n * P * 4 bytes per step per node, times n and
#                the inner steps each miner ran; beside it, the bytes of every
#                node including the validator's checkpoints and dense
#                aggregate files (uploaded for nodes that join late)
#   utilization  compute seconds / window seconds over the nodes' windows
# The network runs H = INNER_STEPS inner steps per window (default 8, the
# preset's own) for WINDOWS windows (default 12) of WINDOW_BLOCKS half-second
# blocks (default 24: a miner's 8 steps take about 5 s of the 12 s while five
# processes share two cores, and a miner that runs out of window time stops
# its inner steps).
# SETS="key=value ..." sets node config fields; the default, "null_rounds=0
# outer_lr=0.6 momentum_decay=0.5", lets the first window train (the
# localnet's null round is a start-up convention: every miner is in the first
# peer list), applies 0.6 of the aggregate (each position of Templar's
# aggregate is the mean of the miners that sent it, so a value one miner
# sent counts in full), and keeps half of what a miner did not send from one
# window to the next (Templar's 0.95 suits runs of thousands of windows; over
# 12 the held-back residue is stale by the time it goes out). docs/network.md
# has the sweep. Override MINERS, WINDOWS, INNER_STEPS, WINDOW_BLOCKS,
# WARM_STEPS, SETS, SINGLE_LR_SCALES, OUT.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tplr=${BUILD:-$root/build}/tplr
miners=${MINERS:-4}
windows=${WINDOWS:-12}
inner_steps=${INNER_STEPS:-8}
window_blocks=${WINDOW_BLOCKS:-24}
warm_steps=${WARM_STEPS:-0}
sets=()
for kv in ${SETS-null_rounds=0 outer_lr=0.6 momentum_decay=0.5}; do sets+=(--set "$kv"); done
out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/tplr-bench-protocol-XXXXXX")}
corpus=$root/runs/kjv
mkdir -p "$out"

"$tplr" localnet prepare --corpus "$corpus" >&2
net_args=(--preset small --set inner_steps="$inner_steps" --set blocks_per_window="$window_blocks" "${sets[@]}")
cfg=$out/config.json
"$tplr" localnet config "${net_args[@]}" >"$cfg"
batch=$(jq .batch "$cfg")
seq=$(jq .seq "$cfg")
lr=$(jq .inner_lr "$cfg")
warmup=$(jq .inner_warmup_steps "$cfg")
tmax=$(jq .inner_t_max "$cfg")
eta=$(jq .inner_eta_min_factor "$cfg")
init_seed=$(jq .init_seed "$cfg")
single_batch=$((batch * miners))
single_lr_scales=${SINGLE_LR_SCALES:-0.25 0.5 1 2}
# one node's AdamW run: train FROM STEPS OUT
adamw() {
  "$tplr" train --model "$1" --data "$corpus/shards" --steps "$2" --batch "$single_batch" --lr "${5:-$lr}" \
    --warmup "$warmup" --t-max "$tmax" --eta-min-factor "$eta" --order shuffled --seed "$4" --threads "$(nproc)" \
    --out "$3" --quiet >/dev/null 2>"$3.log"
}

"$tplr" model init --preset small --set vocab=1024 --seed "$init_seed" --out "$out/init" >/dev/null
start=$out/init
if [ "$warm_steps" -gt 0 ]; then
  adamw "$out/init" "$warm_steps" "$out/warm" 2
  start=$out/warm
  net_args+=(--set init_model="$start")
fi

t0=$(date +%s.%N)
"$tplr" localnet --miners "$miners" --validators 1 --windows "$windows" --dir "$out/net" --corpus "$corpus" \
  "${net_args[@]}" >"$out/localnet.out" 2>&1 || { cat "$out/localnet.out" >&2; exit 1; }
net_wall=$(echo "$(date +%s.%N) - $t0" | bc)
S=$out/net/summary.json

# the network's model: the validator's latest checkpoint
vstore=$out/net/store/validator-0/checkpoints/$(jq -r .network_version "$cfg")
last=$(jq .latest_window "$vstore/_LATEST.json")
model=$vstore/$last
# the tokens and inner steps the honest miners trained up to that window
tokens=$(jq "[.windows[] | select(.window <= $last) | .miners[] | .tokens // 0] | add" "$S")
steps_per_node=$(jq "[.windows[] | select(.window <= $last) | .miners[] | .inner_steps // 0] | add / $miners | floor" "$S")
single_steps=$(((tokens + single_batch * seq / 2) / (single_batch * seq)))

evalj() { "$tplr" eval --model "$1" --data "$corpus/shards" --max-rows 1024 --quiet --json | jq .loss; }
# the peer at each learning rate of the sweep; its best one counts
single_loss= single_lr= single_wall= by_lr='{}'
for s in $single_lr_scales; do
  slr=$(awk -v a="$lr" -v b="$s" 'BEGIN { printf "%.6g", a * b }')
  t1=$(date +%s.%N)
  adamw "$start" "$single_steps" "$out/single-$slr" 1 "$slr"
  wall=$(echo "$(date +%s.%N) - $t1" | bc)
  loss=$(evalj "$out/single-$slr")
  by_lr=$(jq -c --arg k "$slr" --argjson v "$loss" '. + {($k): $v}' <<<"$by_lr")
  if [ -z "$single_loss" ] || [ "$(echo "$loss < $single_loss" | bc -l)" = 1 ]; then
    single_loss=$loss single_lr=$slr single_wall=$wall
  fi
done
net_loss=$(evalj "$model")
init_loss=$(evalj "$start")
# parameters, from the checkpoint's config (Llama: embeddings and head, per layer q, k, v, o, MLP, 2 norms)
params=$(jq '.hidden_size as $h | ($h / .num_attention_heads * .num_key_value_heads) as $kv |
  .vocab_size * $h * (if .tie_word_embeddings then 1 else 2 end) +
  .num_hidden_layers * (2 * $h * $h + 2 * $h * $kv + 3 * $h * .intermediate_size + 2 * $h) + $h' "$model/config.json")
moved=$(jq "[.windows[] | select(.window <= $last) | .miners[] | (.bytes_up // 0) + (.bytes_down // 0)] | add" "$S")
all_nodes=$(jq "[.windows[] | select(.window <= $last) | (.miners[], .validators[]) | (.bytes_up // 0) + (.bytes_down // 0)] | add" "$S")
nodes=$((miners + 1))
dense=$(echo "2 * ($miners - 1) / $miners * $params * 4 * $steps_per_node * $miners" | bc -l)

jq -nc --argjson net "$net_loss" --argjson single "$single_loss" --argjson init "$init_loss" --argjson tokens "$tokens" \
  --argjson w "$last" --argjson sb "$single_batch" --argjson ss "$single_steps" --argjson ws "$warm_steps" \
  --argjson slr "$single_lr" --argjson bylr "$by_lr" --argjson seed "$init_seed" \
  '{bench:"protocol", result:"val_loss", network:$net, single_node:$single, initial:$init, ratio:($net/$single),
    target:"ratio <= 1.03", tokens:$tokens, network_windows:($w), single_batch:$sb, single_steps:$ss,
    single_node_lr:$slr, single_node_by_lr:$bylr, init_seed:$seed, warm_start_steps:$ws}'
jq -nc --argjson moved "$moved" --argjson all "$all_nodes" --argjson dense "$dense" --argjson p "$params" \
  --argjson n "$miners" --argjson nodes "$nodes" --argjson steps "$steps_per_node" \
  '{bench:"protocol", result:"comm_bytes", miners_bytes:$moved, dense_allreduce_bytes:$dense,
    reduction:($dense/$moved), target:"reduction >= 100",
    formula:"2*(n-1)/n*P*4 bytes per inner step per node, n=miners", params:$p, miners:$n,
    inner_steps_per_node:$steps, all_nodes_bytes:$all, all_nodes:$nodes, all_nodes_reduction:($dense/$all)}'
jq -c --argjson nw "$net_wall" --argjson sw "$single_wall" \
  '{bench:"protocol", result:"utilization", network:.totals.utilization, compute_s:.totals.compute_s,
    window_s:.totals.window_s, network_wall_s:$nw, single_node_wall_s:$sw}' "$S"
