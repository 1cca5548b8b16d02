#!/usr/bin/env bash
# Host-scan speed benchmark (issue 3): wall time and peak memory (max RSS) of a full
# default `khien scan host` beside Debian's `lynis audit system --quick`, on the same
# machine in the same run. Both run inside `unshare -n` (an empty network
# namespace), so neither can send anything off the machine (lynis otherwise looks
# up its latest version over DNS). Needs root for unshare and for lynis.
# Usage: bench/host-scan-vs-lynis.sh [RUNS]   (default 5 khien runs, 1 lynis run)
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release --locked -q || exit 1
khien="$PWD/target/release/khien"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

isolate=(unshare -n)
if ! unshare -n true 2>/dev/null; then
  echo "bench: cannot create a network namespace (needs root); not running peers off-loopback"
  exit 1
fi

# Prints "seconds max_rss_kib" for one run of the command.
measure() {
  /usr/bin/time -f "%e %M" -o "$tmp/time" "${isolate[@]}" "$@" >/dev/null 2>&1
  cat "$tmp/time" | tail -1
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB, $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME")"
echo "load average before the run: $(cut -d" " -f1-3 /proc/loadavg) (the machine is shared)"
echo "khien $("$khien" --version | awk '{print $2}'), $(lynis --version 2>/dev/null | head -1 | sed 's/^/lynis /')"
echo
echo "khien scan host (default policy, no backups declared), $runs runs:"
ks=()
for i in $(seq "$runs"); do
  r=$(measure "$khien" scan host --format json --output "$tmp/result.json")
  ks+=("$r")
  echo "  run $i: ${r% *} s, $(( ${r#* } / 1024 )) MiB"
done
best=$(printf '%s\n' "${ks[@]}" | sort -n | head -1)
median=$(printf '%s\n' "${ks[@]}" | sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2)')
echo "  rules evaluated: $(grep -o '"rule":' "$tmp/result.json" | wc -l)"

if command -v lynis >/dev/null 2>&1; then
  echo "lynis audit system --quick, 1 run:"
  l=$(measure lynis audit system --quick --no-colors --no-log --report-file "$tmp/lynis.dat")
  echo "  run 1: ${l% *} s, $(( ${l#* } / 1024 )) MiB"
  awk -v k="${median% *}" -v l="${l% *}" 'BEGIN { if (k > 0) printf "lynis / khien (median wall time): %.0f times\n", l / k }'
else
  echo "lynis: not installed (apt-get install lynis); no comparison"
fi
echo "khien median: ${median% *} s, $(( ${median#* } / 1024 )) MiB; best: ${best% *} s"
