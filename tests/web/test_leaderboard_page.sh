#!/usr/bin/env bash
# The leaderboard page in headless Chromium: a `tplr tournament serve` without
# a fee or ledger, two submissions (one passes, one does not compile) sent with
# `tplr tournament submit --skip-payment` and evaluated (tiny preset, a few
# steps), then tests/web/leaderboard_page.js loads the page, checks its rows
# against the API and a submission's runs, and saves a screenshot.
# Exits 77 (skipped) only when chromium or playwright-core is missing.
# usage: test_leaderboard_page.sh PATH/TO/tplr SCREENSHOT.png
TPLR=$(realpath "${1:?usage: test_leaderboard_page.sh PATH/TO/tplr SCREENSHOT.png}")
SHOT=$(realpath -m "${2:?usage: test_leaderboard_page.sh PATH/TO/tplr SCREENSHOT.png}")
here=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$here/../.." && pwd)
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
  echo "SKIP: chromium is not installed (apt-get install chromium); the leaderboard page test needs it"
  exit 77
fi
bash "$here/setup_playwright.sh" || { echo "SKIP: playwright-core could not be installed from npm"; exit 77; }
source "$SRC/tests/cli/lib.sh"
cd "$work"
chmod 755 "$work" # the sandbox's user (nobody) builds and runs submissions below it
export TPLR_HOME=$work/home
"$TPLR" wallet new --name val >/dev/null && "$TPLR" wallet new --name alice >/dev/null && "$TPLR" wallet new --name bob >/dev/null
"$TPLR" tournament serve --db tour.db --listen 127.0.0.1:0 --port-file port --wallet val --fee 0 --evals 2 --preset tiny \
  --steps 2 --batch 2 --seq 17 --work "$work/evalwork" --cache "$work/evalcache" 2>serve.log &
server=$!
trap 'kill -9 $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 400); do [ -s port ] && break; sleep 0.025; done
API=http://127.0.0.1:$(cat port)
cp "$SRC/tournament/reference_train.c" ref.c
printf '#include "tplr/tournament.h"\nthis is not C;\n' >broken.c
expect_ok "submit the reference" "$TPLR" tournament submit ref.c --wallet alice --api "$API" --skip-payment
expect_ok "submit a broken program" "$TPLR" tournament submit broken.c --wallet bob --api "$API" --skip-payment
for _ in $(seq 600); do
  [ "$(curl -s "$API/health" | jq .pending)" = 0 ] && break
  sleep 0.25
done
[ "$(curl -s "$API/health" | jq .pending)" = 0 ] && ok "both evaluated" || bad "still pending: $(tail -5 serve.log)"
if node "$here/leaderboard_page.js" "$API" "$SHOT" "$CHROMIUM"; then ok "the page in headless Chromium"; else
  bad "the page in headless Chromium"; fi
[ -s "$SHOT" ] && ok "screenshot $SHOT" || bad "no screenshot"
kill -TERM $server && wait $server && ok "serve stops on SIGTERM" || bad "serve exit"
finish
