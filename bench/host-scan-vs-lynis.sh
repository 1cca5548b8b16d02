#!/usr/bin/env bash
# Host-scan benchmark (issues 3 and 14): wall time and peak memory (max RSS) of a
# full default `khien scan host` beside Debian's `lynis audit system --quick`, on
# the same machine in the same run, then the facts both read, side by side, with
# whether they agree (pending security updates, malware scanner, firewall, time
# sync, SSH). Both run inside `unshare -n` (an empty network
# namespace), so neither can send anything off the machine (lynis otherwise looks
# up its latest version over DNS). Needs root for unshare and for lynis.
# Usage: bench/host-scan-vs-lynis.sh [RUNS]   (default 5 khien runs, 1 lynis run)
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release --locked -q || exit 1
khien="${CARGO_TARGET_DIR:-$PWD/target}/release/khien"
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

# One line per overlapping fact: khien's reading, lynis's, and whether they agree.
compare_facts() {
  local facts=$1 dat=$2 agree=0 total=0
  lyn() { grep -E "^$1=" "$dat" | tail -1 | cut -d= -f2-; }
  row() { # label, khien, lynis, same (yes/no)
    total=$((total + 1)); [ "$4" = yes ] && agree=$((agree + 1))
    printf '  %-28s khien: %-34s lynis: %-30s %s\n' "$1" "$2" "$3" "$([ "$4" = yes ] && echo agree || echo DIFFER)"
  }
  echo
  echo "facts read by both (khien --facts-out, lynis report file):"
  local kp lp
  jq -r '.facts.updates.pending_security_packages[]?.name' "$facts" | sort -u >"$tmp/k-pkgs"
  grep -E '^vulnerable_package\[\]=' "$dat" | cut -d= -f2 | sort -u >"$tmp/l-pkgs"
  kp=$(wc -l <"$tmp/k-pkgs"); lp=$(wc -l <"$tmp/l-pkgs")
  row "pending security updates" "$kp packages" "$lp packages" "$([ "$kp" = "$lp" ] && echo yes || echo no)"
  if [ "$kp" != "$lp" ]; then
    echo "    only khien: $(comm -23 "$tmp/k-pkgs" "$tmp/l-pkgs" | tr '\n' ' ')"
    echo "    only lynis: $(comm -13 "$tmp/k-pkgs" "$tmp/l-pkgs" | tr '\n' ' ')"
  fi
  local kav lav
  kav=$(jq -r '[.facts.antivirus.products[]? | .name] | if length == 0 then "none" else join(",") end' "$facts")
  lav=$( (grep -E '^malware_scanner\[\]=' "$dat" | cut -d= -f2 | paste -sd, -) )
  [ -z "$lav" ] && lav=none
  row "malware scanner" "$kav" "$lav" "$([ "$kav" = none ] && [ "$lav" = none ] || { [ "$kav" != none ] && [ "$lav" != none ]; } && echo yes || echo no)"
  local kfw lfw
  kfw=$(jq -r '[.facts.firewall.profiles[]? | select(.enabled)] | length' "$facts")
  lfw=$(lyn firewall_active); [ -z "$lfw" ] && lfw=0
  row "firewall active" "$kfw enabled profile(s)" "firewall_active=$lfw ($(grep -E '^firewall_software' "$dat" | cut -d= -f2 | paste -sd, -))" "$([ "$kfw" -gt 0 ] && [ "$lfw" = 1 ] || { [ "$kfw" = 0 ] && [ "$lfw" != 1 ]; } && echo yes || echo no)"
  local kts lts
  kts=$(jq -r '(.facts.time_sync.services | if type == "array" then (if length == 0 then "none" else join(",") end) else "unknown" end)' "$facts")
  lts=$(lyn ntp_daemon_running)
  row "time sync daemon running" "$kts" "ntp_daemon_running=$lts" "$([ "$kts" = none ] && [ "$lts" = 0 ] || { [ "$kts" != none ] && [ "$lts" = 1 ]; } && echo yes || echo no)"
  local kssh lssh
  kssh=$(jq -r '[.facts.listening_ports[]? | select(.port == 22)] | length' "$facts")
  lssh=$(lyn ssh_daemon_running)
  row "SSH server running" "$kssh listener(s) on port 22" "ssh_daemon_running=$lssh" "$([ "$kssh" -gt 0 ] && [ "$lssh" = 1 ] || { [ "$kssh" = 0 ] && [ "$lssh" = 0 ]; } && echo yes || echo no)"
  echo "  agreements: $agree of $total"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB, $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME")"
echo "load average before the run: $(cut -d" " -f1-3 /proc/loadavg) (the machine is shared)"
echo "khien $("$khien" --version | awk '{print $2}'), $(lynis --version 2>/dev/null | head -1 | sed 's/^/lynis /')"
echo
echo "khien scan host (default policy, no backups declared), $runs runs:"
ks=()
for i in $(seq "$runs"); do
  r=$(measure "$khien" scan host --format json --output "$tmp/result.json" --facts-out "$tmp/facts.json")
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
  compare_facts "$tmp/facts.json" "$tmp/lynis.dat"
else
  echo "lynis: not installed (apt-get install lynis); no comparison"
fi
echo "khien median: ${median% *} s, $(( ${median#* } / 1024 )) MiB; best: ${best% *} s"
