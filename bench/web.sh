#!/usr/bin/env bash
# Website-scan benchmark: khien vs sslyze vs testssl.sh on the same local sites.
#
# Two scenarios, each served by examples/web_bench_sites.rs (rustls, self-signed):
# - distinct: one server per loopback address 127.2.x.y (KHIEN_N sites);
# - shared: SHARED_N name-based sites on ONE address (127.3.0.1), as on a shared
#   hosting server, where the per-IP politeness limits set the pace.
# khien runs at its default settings (concurrency and per-IP limits). For each run
# it prints wall time, sites per second, peak RSS (GNU time), and the TCP
# connections and HTTP requests per site as the servers counted them (and as khien
# reports them on stderr). Everything runs in a private mount namespace whose
# resolver is 127.0.0.1 and whose hosts come from files only (the shared sites'
# names are in a private /etc/hosts), so no lookup can leave the machine.
#
#   bench/web.sh        # khien distinct 100, 1000, 5000; shared 1000; sslyze 1000 + 1000; testssl.sh 3
#   KHIEN_N="100 1000" SHARED_N=100 SSLYZE_N=20 SSLYZE_SHARED_N=20 TESTSSL_N=0 bench/web.sh
set -euo pipefail
cd "$(dirname "$0")/.."
KHIEN_N=${KHIEN_N:-"100 1000 5000"}
SHARED_N=${SHARED_N:-1000}
SSLYZE_N=${SSLYZE_N:-1000}
SSLYZE_SHARED_N=${SSLYZE_SHARED_N:-1000}
TESTSSL_N=${TESTSSL_N:-3}
SSLYZE=${SSLYZE:-sslyze}
TESTSSL=${TESTSSL:-testssl}
PORT=${PORT:-8443}
SHARED_PORT=${SHARED_PORT:-8444}

if [ -z "${KHIEN_BENCH_ISOLATED:-}" ]; then
  work=$(mktemp -d)
  printf 'passwd: files\ngroup: files\nhosts: files\n' >"$work/nsswitch.conf"
  printf 'nameserver 127.0.0.1\n' >"$work/resolv.conf"
  { echo "127.0.0.1 localhost"; for ((i = 0; i < SHARED_N; i++)); do echo "127.3.0.1 s$i.truong.test"; done; } >"$work/hosts"
  exec unshare -m bash -c '
    mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf
    mount --bind "$1/resolv.conf" /etc/resolv.conf
    mount --bind "$1/hosts" /etc/hosts
    KHIEN_BENCH_ISOLATED=1 exec "$2"' _ "$work" "$0"
fi

cargo build -q --release --bin khien --example web_bench_sites
khien=${CARGO_TARGET_DIR:-target}/release/khien
sites=${CARGO_TARGET_DIR:-target}/release/examples/web_bench_sites
work=$(mktemp -d)
max=0
for n in $KHIEN_N $SSLYZE_N $TESTSSL_N; do [ "$n" -gt "$max" ] && max=$n; done
smax=$SHARED_N
[ "$SSLYZE_SHARED_N" -gt "$smax" ] && smax=$SSLYZE_SHARED_N

BENCH_STATS="$work/stats-distinct" "$sites" "$max" "$PORT" distinct >"$work/all.txt" &
server=$!
BENCH_STATS="$work/stats-shared" "$sites" "$smax" "$SHARED_PORT" shared >"$work/shared-all.txt" &
shared_server=$!
trap 'kill $server $shared_server 2>/dev/null || true; rm -rf "$work"' EXIT
while [ "$(wc -l <"$work/all.txt")" -lt "$max" ] || [ "$(wc -l <"$work/shared-all.txt")" -lt "$smax" ]; do sleep 0.5; done
sleep 1

stats() { sleep 1.2; cat "$work/stats-$1" 2>/dev/null || echo "0 0"; }

measure() { # label n scenario command...
  local label=$1 n=$2 scenario=$3; shift 3
  read -r c0 r0 < <(stats "$scenario")
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || true
  read -r c1 r1 < <(stats "$scenario")
  # GNU time puts "Command exited with non-zero status 1" first when findings fail.
  read -r secs kb < <(tail -n 1 "$work/time")
  awk -v l="$label" -v n="$n" -v s="$secs" -v kb="$kb" -v c=$((c1 - c0)) -v r=$((r1 - r0)) \
    'BEGIN { printf "%-22s %6d sites %9.1f s %9.2f sites/s %8.1f MB peak RSS %6.1f conn/site %6.1f req/site\n", l, n, s, n / s, kb / 1024, c / n, r / n }'
  grep -h "TCP connections" "$work/err" | sed 's/^/    khien: /' || true
}

echo "cores: $(nproc); $(uname -r); khien $($khien --version)"
for n in $KHIEN_N; do
  head -n "$n" "$work/all.txt" >"$work/sites-$n.txt"
  measure "khien distinct" "$n" distinct "$khien" scan web --format json -o "$work/khien-$n.json" "$work/sites-$n.txt"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['summary']['targets']==int(sys.argv[2]), 'not every site reported'" \
    "$work/khien-$n.json" "$n"
done

if [ "$SHARED_N" -gt 0 ]; then
  head -n "$SHARED_N" "$work/shared-all.txt" >"$work/shared-$SHARED_N.txt"
  measure "khien shared 1 IP" "$SHARED_N" shared "$khien" scan web --format json -o "$work/shared.json" "$work/shared-$SHARED_N.txt"
  # None dropped: every site reported, and none unreachable.
  python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
assert d['summary']['targets']==int(sys.argv[2]), 'not every site reported'
bad=[t['target']['id'] for t in d['targets'] for f in t['findings'] if f['rule']=='WEB-HDR-001' and f['status']=='unknown']
print('    shared: %d sites reported, %d with the home page unknown' % (d['summary']['targets'], len(bad)))
" "$work/shared.json" "$SHARED_N"
fi

if command -v "$SSLYZE" >/dev/null 2>&1; then
  # Comparable checks only: certificate, protocol versions (SSLv3..TLS 1.1), HSTS.
  if [ "$SSLYZE_N" -gt 0 ]; then
    head -n "$SSLYZE_N" "$work/all.txt" | sed -E 's#https://([^/]+)/#\1#' >"$work/sslyze.txt"
    measure "sslyze distinct" "$SSLYZE_N" distinct "$SSLYZE" --quiet --json_out "$work/sslyze.json" \
      --mozilla_config disable --certinfo --sslv3 --tlsv1 --tlsv1_1 --http_headers \
      --targets_in "$work/sslyze.txt"
  fi
  if [ "$SSLYZE_SHARED_N" -gt 0 ]; then
    # host:port{ip}: sslyze connects to the address and sends the name (SNI, Host).
    head -n "$SSLYZE_SHARED_N" "$work/shared-all.txt" | sed -E 's#https://([^:/]+):([0-9]+)/#\1:\2{127.3.0.1}#' >"$work/sslyze-shared.txt"
    measure "sslyze shared 1 IP" "$SSLYZE_SHARED_N" shared "$SSLYZE" --quiet --json_out "$work/sslyze-shared.json" \
      --mozilla_config disable --certinfo --sslv3 --tlsv1 --tlsv1_1 --http_headers \
      --targets_in "$work/sslyze-shared.txt"
  fi
else
  echo "sslyze: not installed (pip install sslyze), skipped"
fi

if [ "$TESTSSL_N" -gt 0 ] && command -v "$TESTSSL" >/dev/null 2>&1; then
  head -n "$TESTSSL_N" "$work/all.txt" | sed -E 's#https://([^/]+)/#\1#' >"$work/testssl.txt"
  run_testssl() {
    while read -r hp; do
      "$TESTSSL" --quiet --warnings off --color 0 --nodns none --ip "${hp%:*}" -p -S -h "$hp" >/dev/null 2>&1 || true
    done <"$1"
  }
  export -f run_testssl
  export TESTSSL
  measure testssl.sh "$TESTSSL_N" distinct bash -c 'run_testssl "$1"' _ "$work/testssl.txt"
  head -n "$TESTSSL_N" "$work/all.txt" >"$work/same3.txt"
  measure khien "$TESTSSL_N" distinct "$khien" scan web --format json -o "$work/same3.json" "$work/same3.txt"
else
  echo "testssl.sh: not installed (apt-get install testssl.sh), skipped"
fi
