#!/usr/bin/env bash
# Runs each cargo-fuzz target of fuzz/ for a set time (issue 16). Not run by CI.
# Needs a nightly toolchain and cargo-fuzz (cargo install cargo-fuzz).
# Usage: bench/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]   (default 60 s, every target)
# The build goes to $FUZZ_TARGET_DIR (default fuzz/target): delete it afterwards,
# it is several GB. The document targets start from fixtures/pdata/corpus.
# A crash leaves its input under fuzz/artifacts/TARGET/: copy it to
# fuzz/regressions/TARGET/ (tests/it/hostile_fuzz.rs replays every file there)
# before fixing it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
secs=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(policy cel result register waivers documents documents_pdf documents_xlsx
    documents_docx documents_xls documents_ods tls_records)
fi
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$root/fuzz/target}"
for target in "${targets[@]}"; do
  corpus="$root/fuzz/corpus/$target"
  mkdir -p "$corpus"
  case $target in
    documents_*) cp -n "$root"/fixtures/pdata/corpus/*."${target#documents_}" "$corpus"/ 2>/dev/null || true ;;
  esac
  echo "== $target ($secs s)"
  cargo +nightly fuzz run "$target" "$corpus" -- -max_total_time="$secs" \
    -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 2>&1 |
    grep -E '^(#[0-9]+.*DONE|==[0-9]+==.*ERROR|SUMMARY|stat::number_of_executed_units|Done)' | tail -n 4 ||
    echo "   (stopped: see fuzz/artifacts/$target/)"
done
