#!/usr/bin/env bash
# Benchmark of `khien report`: generates FILES result documents of FINDINGS findings each
# (default 10,000 × 50 = 500,000 findings, examples/gen_results.rs) and measures wall time
# and peak memory (GNU time's maximum resident set size) of ingest + report in each format,
# then of a second ingest of the same files into the same database (nothing to apply).
# Usage: bench/report.sh [FILES] [FINDINGS]   (BENCH_DIR to choose the folder)
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-10000}
per=${2:-50}
dir=${BENCH_DIR:-/tmp/khien-bench-$files-$per}
cargo build --release --quiet --example gen_results --bin khien
bin=${CARGO_TARGET_DIR:-target}/release
if [ ! -f "$dir/inventory.csv" ]; then
  "$bin"/examples/gen_results bench "$dir/results" "$files" "$per" >/dev/null
  mv "$dir/results/inventory.csv" "$dir/inventory.csv"
fi
echo "input: $files files, $per findings each, $(du -sh "$dir/results" | cut -f1) on disk"
measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" 2>"$dir/stderr.txt" >/dev/null
  read -r secs kb <"$dir/time.txt"
  printf '%-40s %8s s %8d MB peak\n' "$label" "$secs" "$((kb / 1024))"
}
for fmt in json csv xlsx html; do
  rm -f "$dir/bench.db"
  measure "ingest + report ($fmt), new db" "$bin"/khien report "$dir/results" \
    --db "$dir/bench.db" --inventory "$dir/inventory.csv" --period 2026-H1 \
    --at 2026-05-31T00:00:00Z --format "$fmt" -o "$dir/report.$fmt"
done
measure "same files again (json), nothing new" "$bin"/khien report "$dir/results" \
  --db "$dir/bench.db" --inventory "$dir/inventory.csv" --period 2026-H1 \
  --at 2026-05-31T00:00:00Z --format json -o "$dir/report2.json"
measure "report from the db only (json)" "$bin"/khien report "$dir/bench.db" \
  --inventory "$dir/inventory.csv" --period 2026-H1 --at 2026-05-31T00:00:00Z \
  --format json -o "$dir/report3.json"
ls -la "$dir/bench.db" "$dir"/report.* | awk '{print $5, $9}'
