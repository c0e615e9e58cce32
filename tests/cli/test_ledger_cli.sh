#!/usr/bin/env bash
# The ledger from the command line and through curl: wallets, a served
# ledger on a free port, every command, and bad requests answered with a 4xx
# JSON error that names the problem while the state stays unchanged.
# usage: test_ledger_cli.sh PATH/TO/tplr
TPLR=$(realpath "${1:?usage: test_ledger_cli.sh PATH/TO/tplr}")
source "$(dirname "$(realpath "$0")")/lib.sh"
cd "$work"
export TPLR_HOME=$work/home
unset TPLR_WALLET_PASSPHRASE TPLR_LEDGER

# --help everywhere
for cmd in wallet "wallet new" "wallet list" "wallet show" chain "chain serve" "chain genesis" register stake \
  "stake add" "stake remove" transfer "transfer send" "transfer show" commit "commit set" "commit show" weights \
  "weights set" "weights show" metagraph block balance; do
  # shellcheck disable=SC2086
  if "$TPLR" $cmd --help >/dev/null 2>&1; then ok "tplr $cmd --help"; else bad "tplr $cmd --help"; fi
done

# wallets
expect_ok "wallet new" "$TPLR" wallet new --name alice
expect_ok "wallet new (second)" "$TPLR" wallet new --name bob
expect_ok "add a hotkey" "$TPLR" wallet new --name alice --hotkey miner
expect_fail "wallet exists" "--hotkey NAME" "$TPLR" wallet new --name alice
expect_fail "hotkey exists" "already exists" "$TPLR" wallet new --name alice --hotkey miner
expect_fail "bad wallet name" "bad wallet name" "$TPLR" wallet new --name ../x
TPLR_WALLET_PASSPHRASE="open sesame" "$TPLR" wallet new --name carol --encrypt >/dev/null && ok "encrypted wallet" ||
  bad "encrypted wallet"
mode=$(stat -c %a home/wallets/carol/coldkey.json)
[ "$mode" = 600 ] && ok "key files are mode 600" || bad "coldkey mode $mode"
grep -q '"seed"' home/wallets/carol/coldkey.json && bad "encrypted coldkey holds its seed" || ok "no seed in the clear"
"$TPLR" wallet list | grep -q "(encrypted)" && ok "wallet list marks encryption" || bad "wallet list"
ALICE=$("$TPLR" wallet show --name alice --json | jq -r .coldkey.address)
BOB=$("$TPLR" wallet show --name bob --json | jq -r .coldkey.address)
CAROL=$("$TPLR" wallet show --name carol --json | jq -r .coldkey.address)
ALICE_HOT=$("$TPLR" wallet show --name alice --hotkey default --json | jq -r '.hotkeys[0].address')
[ ${#ALICE} -eq 51 ] && ok "addresses are 51 characters" || bad "address '$ALICE'"

# a genesis and a server on a free port (no epoch during the test: the state digest must hold still)
expect_ok "chain genesis" "$TPLR" chain genesis --out genesis.json --fund alice=1000000000 --fund "$BOB=5000" \
  --fund carol=100000 --set tempo=100000 --set weights_rate_limit=0 --set registration_cost=100 \
  --set min_validator_stake=1000000
expect_fail "genesis: unknown parameter" "unknown parameter" "$TPLR" chain genesis --out g2.json --set tempoo=3
expect_fail "genesis: unknown wallet" "neither an address nor a local wallet" "$TPLR" chain genesis --out g2.json --fund nobody=5
"$TPLR" chain serve --db ledger.db --genesis genesis.json --listen 127.0.0.1:0 --port-file port --block-time 0.05 \
  2>server.log &
server=$!
for _ in $(seq 200); do [ -s port ] && break; sleep 0.025; done
URL=http://127.0.0.1:$(cat port)
export TPLR_LEDGER=$URL
trap 'kill -9 $server 2>/dev/null; rm -rf "$work"' EXIT

b=$("$TPLR" block) && [ "$b" -ge 0 ] && ok "tplr block ($b)" || bad "tplr block: $b"
expect_ok "register alice" "$TPLR" register --wallet alice
expect_ok "register alice's miner" "$TPLR" register --wallet alice --hotkey miner
expect_fail "register twice" "already_registered" "$TPLR" register --wallet alice
TPLR_WALLET_PASSPHRASE="wrong" "$TPLR" register --wallet carol 2>err.txt && bad "wrong passphrase accepted" ||
  { grep -q "wrong passphrase" err.txt && ok "wrong passphrase refused" || bad "wrong passphrase: $(cat err.txt)"; }
TPLR_WALLET_PASSPHRASE="open sesame" "$TPLR" register --wallet carol >/dev/null && ok "register with an encrypted coldkey" ||
  bad "register carol"
expect_ok "stake add" "$TPLR" stake add --wallet alice --amount 5000000
expect_ok "stake remove" "$TPLR" stake remove --wallet alice --amount 1000
expect_fail "unstake too much" "insufficient_stake" "$TPLR" stake remove --wallet alice --amount 99999999999
out=$("$TPLR" transfer send --wallet alice --to bob --amount 777) && ok "transfer send" || bad "transfer: $out"
id=$(sed -n 's/.*(extrinsic \([0-9]*-[0-9]*\)).*/\1/p' <<<"$out")
"$TPLR" transfer show "$id" | grep -q "amount  777 base units" && ok "transfer show $id" || bad "transfer show $id"
expect_fail "transfer show: no such id" "not_found" "$TPLR" transfer show 1-999
expect_fail "double spend" "insufficient_balance" "$TPLR" transfer send --wallet bob --to alice --amount 999999
expect_fail "negative amount" "non-negative integer" "$TPLR" transfer send --wallet bob --to alice --amount -5
expect_ok "commit set" "$TPLR" commit set --wallet alice --hotkey miner --data "acct0123keyid4567secret89"
"$TPLR" commit show | grep -q acct0123keyid4567secret89 && ok "commit show" || bad "commit show"
expect_ok "weights set" "$TPLR" weights set --wallet alice --weights 1:3,2:1
"$TPLR" weights show | grep -q "1:65535 2:21845" && ok "weights show: u16, largest 65535" || bad "weights show: $("$TPLR" weights show)"
expect_fail "weights from a non-validator" "not_validator" "$TPLR" weights set --wallet alice --hotkey miner --weights 0:1
"$TPLR" metagraph | grep -q "^subnet 3 at block" && ok "metagraph table" || bad "metagraph table"
n=$("$TPLR" metagraph --json | jq .n) && [ "$n" = 3 ] && ok "metagraph --json: 3 uids" || bad "metagraph n=$n"
"$TPLR" balance "$BOB" | grep -q "free    5777 base units" && ok "balance by address" || bad "balance: $("$TPLR" balance "$BOB")"
expect_ok "balance by wallet" "$TPLR" balance --wallet alice

# curl: reads
code() { curl -s -o body.json -w '%{http_code}' "$@"; }
[ "$(code "$URL/v1/block")" = 200 ] && jq -e '.block >= 0' body.json >/dev/null && ok "curl GET /v1/block" || bad "GET /v1/block"
[ "$(code "$URL/v1/info")" = 200 ] && [ "$(jq -r .params.tempo body.json)" = 100000 ] && ok "curl GET /v1/info" || bad "GET /v1/info"
[ "$(code "$URL/v1/balance/$BOB")" = 200 ] && [ "$(jq .balance body.json)" = 5777 ] && ok "curl GET balance" || bad "GET balance"
[ "$(code "$URL/v1/commitments/$("$TPLR" wallet show --name alice --hotkey miner --json | jq -r '.hotkeys[0].address')")" = 200 ] &&
  ok "curl GET a commitment" || bad "GET commitment"
[ "$(code "$URL/v1/transfers/${id%-*}/${id#*-}")" = 200 ] && [ "$(jq .amount body.json)" = 777 ] && ok "curl GET a transfer" ||
  bad "GET transfer"
[ "$(code "$URL/v1/nope")" = 404 ] && [ "$(jq -r .code body.json)" = not_found ] && ok "unknown endpoint: 404" || bad "404"
[ "$(code "$URL/v1/balance/2SH7LSWK6QPkDHPZk7CeAw4ET8Tjq5riLANuzyxWJ3KWK8pxQab")" = 400 ] && grep -q checksum body.json &&
  ok "mistyped address: 400 naming the checksum" || bad "bad address: $(cat body.json)"
[ "$(code -X POST -d '{}' "$URL/v1/metagraph")" = 405 ] && ok "POST to a read: 405" || bad "405"
[ "$(code "$URL/v1/tx/transfer")" = 405 ] && ok "GET on a transaction: 405" || bad "405 tx"

# curl: signed transactions, and bad ones; the state digest must not move
post() { curl -s -o body.json -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$2" "$URL/v1/tx/$1"; }
"$TPLR" transfer send --wallet alice --to bob --amount 5 --dry-run >tx.json 2>/dev/null && ok "transfer --dry-run" || bad "dry run"
[ "$(post transfer tx.json)" = 200 ] && jq -e .ok body.json >/dev/null && ok "curl POST a signed transfer" || bad "POST: $(cat body.json)"
[ "$(post transfer tx.json)" = 409 ] && [ "$(jq -r .code body.json)" = replay ] && ok "the same bytes again: 409 replay" ||
  bad "replay: $(cat body.json)"
digest() { curl -s "$URL/v1/state" | jq -r .digest; }
before=$(digest)
# expect_http NAME STATUS CODE NEEDLE OP FILE
expect_http() {
  local got
  got=$(post "$5" "$6")
  if [ "$got" = "$2" ] && [ "$(jq -r .code body.json 2>/dev/null)" = "$3" ] && grep -qF -- "$4" body.json; then
    ok "$1 ($got $3)"
  else
    bad "$1: got $got $(cat body.json)"
  fi
}
mutate() { jq -c "$1" tx.json >mut.json; }
"$TPLR" transfer send --wallet alice --to bob --amount 5 --dry-run >tx.json 2>/dev/null
printf '{"netuid": 3, "nonce":' >broken.json
expect_http "malformed JSON" 400 bad_request "malformed JSON" transfer broken.json
printf '%.0s[' $(seq 5000) >deep.json
expect_http "nested 5000 deep" 400 bad_request "deeper than 4 levels" transfer deep.json
head -c 70000 /dev/zero | tr '\0' ' ' >big.json
expect_http "oversized body" 413 too_large "65536" transfer big.json
mutate '. + {"memo": "hi"}'
expect_http "unknown field" 400 bad_request "unknown field 'memo'" transfer mut.json
mutate '.amount = -5'
expect_http "negative amount" 400 bad_request "field 'amount'" transfer mut.json
sed 's/"amount":5/"amount":18446744073709551616/' tx.json >mut.json
expect_http "amount past 2^64" 400 bad_request "malformed JSON" transfer mut.json
mutate '.amount = 1.5'
expect_http "fractional amount" 400 bad_request "must be an integer" transfer mut.json
mutate '.amount = 6'
expect_http "altered amount" 401 bad_signature "bad signature" transfer mut.json
mutate ".signer = \"$BOB\""
expect_http "wrong signer" 401 bad_signature "bad signature" transfer mut.json
mutate '.netuid = 4'
expect_http "another subnet" 400 wrong_netuid "subnet 3" transfer mut.json
expect_http "a transfer posted as a stake" 400 bad_request "unknown field 'to'" stake tx.json
"$TPLR" transfer send --wallet bob --to alice --amount 999999 --dry-run >spend.json 2>/dev/null
expect_http "double spend" 409 insufficient_balance "balance is" transfer spend.json
"$TPLR" register --wallet alice --dry-run >reg.json 2>/dev/null
expect_http "register twice" 409 already_registered "already registered" register reg.json
"$TPLR" weights set --wallet alice --hotkey miner --weights 0:1 --dry-run >w.json 2>/dev/null
expect_http "weights from a non-validator" 403 not_validator "validator permit" set_weights w.json
"$TPLR" weights set --wallet alice --weights 0:1,1:1,2:1,3:1 --dry-run >w.json 2>/dev/null
expect_http "weights of the wrong length" 400 bad_weights "wrong length" set_weights w.json
jq -c '.weights = [1, 2, 3]' w.json >mut.json
expect_http "uids and weights differ in length" 400 bad_request "wrong length" set_weights mut.json
"$TPLR" transfer send --wallet alice --to bob --amount 5 --dry-run >stale.json 2>/dev/null
jq -c '.block = 0' stale.json >mut.json
expect_http "a signature for block 0 (re-signed)" 401 bad_signature "bad signature" transfer mut.json
[ "$(post nope tx.json)" = 404 ] && ok "unknown transaction: 404" || bad "unknown tx"
[ "$(digest)" = "$before" ] && ok "state unchanged by every refused request" || bad "the state changed"

# a clean stop
kill -TERM $server
wait $server && ok "SIGTERM stops the server cleanly" || bad "server exit status $?"
grep -q "stopped at block" server.log && ok "server logged its stop" || bad "server log: $(cat server.log)"
finish
