#!/usr/bin/env bash
# Speed of the personal-data scan beside ripgrep, on the generated tree.
#   bench/pdata.sh [TREE] [KHIEN]
# TREE defaults to /tmp/pdata-tree (made here when missing, with
# scripts/pdata_corpus.py tree); KHIEN to target/release/khien.
# Each command runs once to warm the page cache, then 3 times; the median is shown.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=${1:-/tmp/pdata-tree}
khien=${2:-target/release/khien}
[ -d "$tree" ] || python3 scripts/pdata_corpus.py tree "$tree" --count 10000
command -v rg >/dev/null || { echo "rg (ripgrep) is not installed: apt-get install ripgrep"; exit 1; }

median() { sort -n | sed -n 2p; }
run() { # label, command...
  local label=$1; shift
  "$@" >/dev/null 2>&1 || true
  local times=()
  for _ in 1 2 3; do
    local s e
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc)")
  done
  printf '%s\n' "${times[@]}" | median | xargs printf "%-44s %6.2f s\n" "$label"
}
size() { du -sb "$1" | cut -f1; }
count() { find "$1" -type f | wc -l; }

echo "tree: $tree — plain $(count "$tree/plain") files $(($(size "$tree/plain")/1000000)) MB, office $(count "$tree/office") files $(($(size "$tree/office")/1000000)) MB"
echo "cores: $(nproc), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
run "rg '[0-9]{12}' plain (all cores)"        rg -c '[0-9]{12}' "$tree/plain"
run "rg -j1 '[0-9]{12}' plain"                rg -j1 -c '[0-9]{12}' "$tree/plain"
run "khien pdata scan plain (all cores)"      "$khien" pdata scan --min-ids 1 "$tree/plain"
run "khien pdata scan plain (1 thread)"       env RAYON_NUM_THREADS=1 "$khien" pdata scan --min-ids 1 "$tree/plain"
run "khien pdata scan office (all cores)"     "$khien" pdata scan --min-ids 1 "$tree/office"
run "khien pdata scan whole tree (all cores)" "$khien" pdata scan --min-ids 1 "$tree"
echo "khien's own figures (files/s, MB/s of documents read):"
for d in plain office; do { "$khien" --lang en pdata scan --min-ids 1 --stats "$tree/$d" 2>&1 >/dev/null || true; } | sed "s/^/  $d: /"; done
echo "CPU time (user+sys), one thread each:"
cpu() { /usr/bin/time -f "%U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.2f s\n", $1 + $2}'; }
printf "  %-40s %s\n" "rg -j1 plain" "$(cpu rg -j1 -c '[0-9]{12}' "$tree/plain")"
printf "  %-40s %s\n" "khien plain (RAYON_NUM_THREADS=1)" "$(RAYON_NUM_THREADS=1 cpu "$khien" pdata scan --min-ids 1 "$tree/plain")"
printf "  %-40s %s\n" "khien office (RAYON_NUM_THREADS=1)" "$(RAYON_NUM_THREADS=1 cpu "$khien" pdata scan --min-ids 1 "$tree/office")"
