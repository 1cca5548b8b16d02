#!/usr/bin/env bash
# Runs each cargo-fuzz target of fuzz/ for a set time (issue 16, item 9). Not run
# by CI. Needs a nightly toolchain and cargo-fuzz (cargo install cargo-fuzz).
# Usage: bench/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
# A crash leaves its input under fuzz/artifacts/TARGET/: turn it into a regression
# test (tests/it/hostile_*.rs builds the input in the test) before fixing it.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-60}
for target in policy cel result register waivers documents tls_records; do
  echo "== $target ($secs s)"
  cargo +nightly fuzz run "$target" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 2>&1 |
    grep -E '^(#[0-9]+.*(DONE|pulse)|==[0-9]+==|SUMMARY|Done)' | tail -n 3
done
