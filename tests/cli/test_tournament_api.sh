#!/usr/bin/env bash
# The tournament service over HTTP against a real ledger: `tplr chain serve`
# and `tplr tournament serve` on free ports, wallets for a validator and two
# miners. Covers every endpoint, the fee paid by `tplr tournament submit`, each
# payment refusal, signature tampering, bad bodies, exact and near copies,
# hidden sources, evaluations (tiny preset, a few steps), the winner and its
# weights on the ledger, SIGTERM and a restart on the same database.
# usage: test_tournament_api.sh PATH/TO/tplr
TPLR=$(realpath "${1:?usage: test_tournament_api.sh PATH/TO/tplr}")
source "$(dirname "$(realpath "$0")")/lib.sh"
SRC=$(cd "$cli_lib_dir/../.." && pwd)
cd "$work"
chmod 755 "$work" # the sandbox's user (nobody) builds and runs submissions below it
export TPLR_HOME=$work/home
unset TPLR_WALLET_PASSPHRASE TPLR_LEDGER

for cmd in "tournament submit" "tournament serve" "tournament leaderboard"; do
  # shellcheck disable=SC2086
  if "$TPLR" $cmd --help >/dev/null 2>&1; then ok "tplr $cmd --help"; else bad "tplr $cmd --help"; fi
done

# wallets: the validator, two miners, and carol whose hotkey is never registered
for w in val alice bob carol; do "$TPLR" wallet new --name $w >/dev/null; done
addr() { "$TPLR" wallet show --name "$1" --json | jq -r .coldkey.address; }
hot() { "$TPLR" wallet show --name "$1" --hotkey default --json | jq -r '.hotkeys[0].address'; }
VAL=$(addr val) ALICE=$(addr alice) BOB=$(addr bob)
"$TPLR" chain genesis --out genesis.json --fund val=10000000000 --fund alice=1000000000 --fund bob=1000000000 \
  --fund carol=1000000000 --set tempo=100000 --set weights_rate_limit=0 --set registration_cost=100 \
  --set min_validator_stake=1000000 >/dev/null
"$TPLR" chain serve --db ledger.db --genesis genesis.json --listen 127.0.0.1:0 --port-file lport --block-time 0.05 \
  2>ledger.log &
ledger=$!
tour=
trap 'kill -9 $ledger $tour 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 200); do [ -s lport ] && break; sleep 0.025; done
export TPLR_LEDGER=http://127.0.0.1:$(cat lport)
"$TPLR" register --wallet val >/dev/null && "$TPLR" stake add --wallet val --amount 5000000 >/dev/null &&
  "$TPLR" register --wallet alice >/dev/null && "$TPLR" register --wallet bob >/dev/null && ok "ledger set up" ||
  bad "ledger set up"
ALICE_UID=$("$TPLR" metagraph --json | jq --arg h "$(hot alice)" '.neurons[] | select(.hotkey == $h) | .uid')

start_tour() {
  rm -f tport
  "$TPLR" tournament serve --db tour.db --chain "$TPLR_LEDGER" --listen 127.0.0.1:0 --port-file tport --wallet val \
    --fee 0.1 --evals 2 --preset tiny --steps 2 --batch 2 --seq 17 --weights-every 4 --burn-uid 0 \
    --work "$work/evalwork" --cache "$work/evalcache" 2>>tour.log &
  tour=$!
  for _ in $(seq 400); do [ -s tport ] && break; sleep 0.025; done
  API=http://127.0.0.1:$(cat tport)
}
start_tour
code() { curl -s -o body.json -w '%{http_code}' "$@"; }
# post FILE: POST a body to /submissions
post() { curl -s -o body.json -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$1" "$API/submissions"; }
# expect_post NAME STATUS CODE NEEDLE FILE
expect_post() {
  local got
  got=$(post "$5")
  if [ "$got" = "$2" ] && [ "$(jq -r .code body.json 2>/dev/null)" = "$3" ] && grep -qF -- "$4" body.json; then
    ok "$1 ($got $3)"
  else
    bad "$1: got $got $(cat body.json)"
  fi
}

# reads on an empty service
[ "$(code "$API/health")" = 200 ] && [ "$(jq -r .status body.json)" = ok ] && [ "$(jq -r .payee body.json)" = "$VAL" ] &&
  [ "$(jq .fee body.json)" = 100000000 ] && [ "$(jq -r .hotkey body.json)" = "$(hot val)" ] &&
  ok "GET /health: payee, fee 0.1 token, hotkey" || bad "health: $(cat body.json)"
[ "$(code "$API/")" = 200 ] && grep -q "<title>tplr tournament leaderboard</title>" body.json && ok "GET /: the page" ||
  bad "GET /"
[ "$(code "$API/leaderboard")" = 200 ] && jq -e '.entries == [] and .winner == null' body.json >/dev/null &&
  ok "empty leaderboard" || bad "empty leaderboard: $(cat body.json)"
"$TPLR" tournament leaderboard --api "$API" | grep -q "winner: none" && ok "tplr tournament leaderboard (empty)" ||
  bad "leaderboard cli"
# weights_on UID: the validator (uid 0) has set all its weight on UID
weights_on() { "$TPLR" weights show --uid 0 --json 2>/dev/null | jq -e --argjson u "$1" '.uids == [$u]' >/dev/null; }
for _ in $(seq 100); do weights_on 0 && break; sleep 0.1; done
weights_on 0 && ok "no winner yet: the weight goes to the burn uid 0" || bad "burn weights: $("$TPLR" weights show)"

# programs: the reference, a renamed copy of it, another honest one, one that does not compile
cp "$SRC/tournament/reference_train.c" ref.c
sed 's/inputs/xs/g; s/targets/ys/g; s/acts/scratch/g; s/step/k/g; s/loss/l/g' ref.c >copy.c
cp "$SRC/tournament/examples/fast_train.c" fast.c
printf '#include "tplr/tournament.h"\nthis is not C;\n' >broken.c

balance() { "$TPLR" balance "$1" | sed -n 's/^ *free *\([0-9]*\) base units.*/\1/p'; }
val0=$(balance "$VAL") alice0=$(balance "$ALICE")
out=$("$TPLR" tournament submit ref.c --wallet alice --api "$API" 2>&1) && grep -q "submission 1: pending" <<<"$out" &&
  ok "submit: pays the fee and posts (submission 1)" || bad "submit ref.c: $out"
PAY1=$(sed -n 's/.*transfer \([0-9]*-[0-9]*\).*/\1/p' <<<"$out" | head -1)
[ $((val0 + 100000000)) = "$(balance "$VAL")" ] && [ $((alice0 - 100000000)) = "$(balance "$ALICE")" ] &&
  ok "the fee moved from alice's coldkey to the validator's" || bad "balances $(balance "$VAL") $(balance "$ALICE")"
[ "$(code "$API/submissions/1")" = 200 ] && jq -e '.code == null and .hotkey != null and .payment.amount == 100000000' \
  body.json >/dev/null && ok "the source is hidden while not evaluated" || bad "hidden: $(cat body.json)"
[ "$(jq .uid body.json)" = "$ALICE_UID" ] && ok "the uid is recorded" || bad "uid $(jq .uid body.json)"

# the fee: reused, absent, not found, wrong recipient, too small, not the owner, not registered
expect_fail "a payment id used before" "payment_used" "$TPLR" tournament submit fast.c --wallet bob --api "$API" --payment "$PAY1"
expect_fail "no payment" "payment_required" "$TPLR" tournament submit fast.c --wallet bob --api "$API" --skip-payment
expect_fail "a transfer that does not exist" "payment_not_found" "$TPLR" tournament submit fast.c --wallet bob --api "$API" \
  --payment 1-77
tid() { sed -n 's/.*(extrinsic \([0-9]*-[0-9]*\)).*/\1/p'; }
T_WRONG=$("$TPLR" transfer send --wallet bob --to alice --amount 100000000 | tid)
expect_fail "paid to someone else" "payment_wrong_recipient" "$TPLR" tournament submit fast.c --wallet bob --api "$API" \
  --payment "$T_WRONG"
T_SMALL=$("$TPLR" transfer send --wallet bob --to val --amount 99999999 | tid)
expect_fail "one base unit short" "payment_too_small" "$TPLR" tournament submit fast.c --wallet bob --api "$API" \
  --payment "$T_SMALL"
T_ALICE=$("$TPLR" transfer send --wallet alice --to val --amount 100000000 | tid)
expect_fail "paid by another coldkey" "payment_not_owner" "$TPLR" tournament submit fast.c --wallet bob --api "$API" \
  --payment "$T_ALICE"
expect_fail "an unregistered hotkey" "not_registered" "$TPLR" tournament submit fast.c --wallet carol --api "$API"

# copies: exact (any hotkey) and near (another miner's earlier code); the refused payment stays usable
expect_fail "the exact code again" "duplicate_code" "$TPLR" tournament submit ref.c --wallet alice --api "$API" \
  --payment "$T_ALICE"
out=$("$TPLR" tournament submit copy.c --wallet bob --api "$API" 2>&1) && bad "near copy accepted" ||
  { grep -q "near_copy" <<<"$out" && grep -q "submission 1 of another miner" <<<"$out" && ok "a renamed copy: near_copy" ||
    bad "near copy: $out"; }
T_BOB=$(sed -n 's/.*transfer \([0-9]*-[0-9]*\).*/\1/p' <<<"$out" | head -1)
out=$("$TPLR" tournament submit fast.c --wallet bob --api "$API" --payment "$T_BOB" 2>&1) &&
  grep -q "submission 2: pending" <<<"$out" && ok "the refused submission's payment pays for the next one" ||
  bad "fast.c: $out"
out=$("$TPLR" tournament submit broken.c --wallet bob --api "$API" 2>&1) && grep -q "submission 3: pending" <<<"$out" &&
  ok "a broken program is taken (and will fail)" || bad "broken.c: $out"

# signatures and bad bodies
T_NEW=$("$TPLR" transfer send --wallet alice --to val --amount 100000000 | tid)
printf 'int main(void) { return 0; }\n' >tiny.c
"$TPLR" tournament submit tiny.c --wallet alice --payment "$T_NEW" --dry-run >req.json 2>/dev/null &&
  jq -e '.version == 1 and (.signature | length) == 128' req.json >/dev/null && ok "submit --dry-run prints a signed body" ||
  bad "dry run"
# tamper NAME STATUS CODE NEEDLE JQ: the signed request changed by JQ is refused so
tamper() { jq -c "$5" req.json >mut.json && expect_post "$1" "$2" "$3" "$4" mut.json; }
tamper "altered code" 401 bad_signature "signature" '.code = "int main(void) { return 1; }\n"'
tamper "altered payment id" 401 bad_signature "signature" ".payment.index = 9"
tamper "another hotkey" 401 bad_signature "signature" ".hotkey = \"$(hot bob)\""
tamper "altered timestamp" 401 bad_signature "signature" '.timestamp_ms = 1'
tamper "unknown field" 400 bad_request "unknown field \\\"memo\\\"" '. + {"memo": 1}'
tamper "missing nonce" 400 bad_request "nonce" 'del(.nonce)'
tamper "version 2" 400 bad_request "version" '.version = 2'
"$TPLR" tournament submit tiny.c --wallet alice --payment "$T_NEW" --dry-run --at-ms $(( $(date +%s) * 1000 - 400000 )) \
  >old.json 2>/dev/null
expect_post "signed 400 s ago" 400 stale_request "300 s" old.json
printf '{"version":' >trunc.json
expect_post "malformed JSON" 400 bad_request "not JSON" trunc.json
head -c 2200000 /dev/zero | tr '\0' ' ' >big.json
expect_post "a body over 2 MiB" 413 too_large "2097152 bytes" big.json
expect_post "the signed request itself" 201 null "pending" req.json
expect_post "the same request again" 409 payment_used "already paid" req.json
[ "$(code -X POST -d '{}' "$API/health")" = 405 ] && ok "POST /health: 405" || bad "405: $(cat body.json)"
[ "$(code -X PUT -d '{}' "$API/submissions")" = 405 ] && ok "PUT /submissions: 405" || bad "PUT"
[ "$(code "$API/submissions")" = 405 ] && ok "GET /submissions: 405" || bad "GET /submissions"
[ "$(code "$API/submissions/999")" = 404 ] && [ "$(jq -r .code body.json)" = not_found ] && ok "no submission 999: 404" ||
  bad "404 id"
[ "$(code "$API/submissions/abc")" = 404 ] && ok "a non-numeric id: 404" || bad "404 abc"
[ "$(code "$API/submissions/1/runs")" = 404 ] && ok "an unknown sub-resource: 404" || bad "404 runs"
[ "$(code "$API/nope")" = 404 ] && ok "unknown endpoint: 404" || bad "404 nope"
for l in 0 1001 x -1; do
  [ "$(code "$API/leaderboard?limit=$l")" = 400 ] || { bad "limit=$l: $(cat body.json)"; continue; }
done
ok "bad limits: 400"

# evaluations: wait for all four
for _ in $(seq 600); do
  [ "$(curl -s "$API/health" | jq .pending)" = 0 ] && break
  sleep 0.25
done
[ "$(curl -s "$API/health" | jq .pending)" = 0 ] && ok "every submission evaluated" || bad "still pending: $(tail -5 tour.log)"
[ "$(code "$API/submissions/1")" = 200 ] && jq -e '.status == "finished" and .verdict == "Pass" and .score > 0' body.json \
  >/dev/null && ok "the reference passes with a score" || bad "submission 1: $(cat body.json)"
cmp -s <(jq -j .code body.json) ref.c && ok "the source is shown once evaluated" || bad "source after evaluation"
[ "$(code "$API/submissions/1/evaluations")" = 200 ] &&
  jq -e '(.evaluations | length) == 2 and all(.evaluations[]; .verdict == "Pass" and .tps > 0 and .tokens > 0)' \
  body.json >/dev/null && ok "two runs stored, each Pass with tokens/s" || bad "evaluations: $(cat body.json)"
[ "$(code "$API/submissions/3")" = 200 ] && jq -e '.status == "failed" and .verdict == "CompileError" and .score == null' \
  body.json >/dev/null && ok "the broken program fails: CompileError" || bad "submission 3: $(cat body.json)"
[ "$(code "$API/leaderboard")" = 200 ] && jq -e '.entries | length == 4' body.json >/dev/null &&
  jq -e '[.entries[] | select(.rank != null)] | all(.status == "finished")' body.json >/dev/null &&
  jq -e '.entries[0].score >= .entries[1].score' body.json >/dev/null && ok "leaderboard: scored first, by score" ||
  bad "leaderboard: $(cat body.json)"
WIN=$(jq .winner body.json)
[ "$WIN" != null ] && jq -e --argjson w "$WIN" '[.entries[] | select(.is_winner)] | length == 1 and .[0].submission_id == $w' \
  body.json >/dev/null && ok "one winner (submission $WIN)" || bad "winner: $(cat body.json)"
"$TPLR" tournament leaderboard --api "$API" | grep -q "winner: submission $WIN" && ok "tplr tournament leaderboard" ||
  bad "leaderboard cli: $("$TPLR" tournament leaderboard --api "$API")"
WIN_UID=$(curl -s "$API/submissions/$WIN" | jq .uid)

# weights: the winner's uid, set by the validator's hotkey
for _ in $(seq 100); do weights_on "$WIN_UID" && break; sleep 0.1; done
weights_on "$WIN_UID" && ok "weights on the winner's uid $WIN_UID" || bad "weights: $("$TPLR" weights show) (winner uid $WIN_UID)"

# SIGTERM, then a restart on the same database keeps everything
kill -TERM $tour
wait $tour && ok "SIGTERM: serve exits 0" || bad "serve exit status $?"
start_tour
[ "$(curl -s "$API/leaderboard" | jq .winner)" = "$WIN" ] && [ "$(curl -s "$API/leaderboard" | jq '.entries | length')" = 4 ] &&
  ok "restart: the leaderboard is kept" || bad "restart"
kill -TERM $tour; wait $tour
kill -TERM $ledger; wait $ledger

# the validator's own failure (a work folder the sandbox's user cannot enter) is an "error", not the miner's verdict
mkdir -m 700 closed
rm -f tport
env -u TPLR_LEDGER "$TPLR" tournament serve --db free.db --listen 127.0.0.1:0 --port-file tport --wallet val --fee 0 --evals 1 \
  --preset tiny --steps 2 --batch 2 --seq 17 --work "$work/closed/w" --cache "$work/closed/c" 2>>tour.log &
tour=$!
for _ in $(seq 400); do [ -s tport ] && break; sleep 0.025; done
API=http://127.0.0.1:$(cat tport)
[ "$(curl -s "$API/health" | jq -r '.payee + " " + (.fee | tostring)')" = "$VAL 0" ] && ok "fee 0 without a ledger" ||
  bad "free health"
expect_ok "submit without payment" "$TPLR" tournament submit ref.c --wallet alice --api "$API" --skip-payment
for _ in $(seq 200); do [ "$(curl -s "$API/health" | jq .pending)" = 0 ] && break; sleep 0.1; done
[ "$(code "$API/submissions/1")" = 200 ] && jq -e '.status == "error" and .verdict == "" and .uid == -1 and
  (.error | contains("the validator could not evaluate it"))' body.json >/dev/null &&
  ok "the validator's failure: status error, no verdict" || bad "error status: $(cat body.json)"
kill -TERM $tour; wait $tour
finish
