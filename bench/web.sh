#!/usr/bin/env bash
# Website-scan benchmark: khien vs sslyze vs testssl.sh on the same local sites.
#
# Serves MAX local HTTPS sites (examples/web_bench_sites.rs: one rustls server per
# loopback address 127.2.x.y), then scans the first N of them with each tool and
# prints wall time, sites per second and peak RSS (GNU time). Everything runs in a
# private mount namespace whose resolver is 127.0.0.1 and whose hosts come from
# files only, so no tool's name lookup can leave the machine.
#
#   bench/web.sh                       # khien on 100, 1000, 5000; sslyze on 100; testssl.sh on 3
#   KHIEN_N="100 1000" SSLYZE_N=20 TESTSSL_N=2 bench/web.sh
set -euo pipefail
cd "$(dirname "$0")/.."
KHIEN_N=${KHIEN_N:-"100 1000 5000"}
SSLYZE_N=${SSLYZE_N:-100}
TESTSSL_N=${TESTSSL_N:-3}
SSLYZE=${SSLYZE:-sslyze}
TESTSSL=${TESTSSL:-testssl}
PORT=${PORT:-8443}

if [ -z "${KHIEN_BENCH_ISOLATED:-}" ]; then
  work=$(mktemp -d)
  printf 'passwd: files\ngroup: files\nhosts: files\n' >"$work/nsswitch.conf"
  printf 'nameserver 127.0.0.1\n' >"$work/resolv.conf"
  exec unshare -m bash -c '
    mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf
    mount --bind "$1/resolv.conf" /etc/resolv.conf
    KHIEN_BENCH_ISOLATED=1 exec "$2"' _ "$work" "$0"
fi

cargo build -q --release --bin khien --example web_bench_sites
khien=target/release/khien
work=$(mktemp -d)
max=0
for n in $KHIEN_N $SSLYZE_N $TESTSSL_N; do [ "$n" -gt "$max" ] && max=$n; done

target/release/examples/web_bench_sites "$max" "$PORT" >"$work/all.txt" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
while [ "$(wc -l <"$work/all.txt")" -lt "$max" ]; do sleep 0.5; done

measure() { # label n command...
  local label=$1 n=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || true
  # GNU time puts "Command exited with non-zero status 1" first when findings fail.
  read -r secs kb < <(tail -n 1 "$work/time")
  awk -v l="$label" -v n="$n" -v s="$secs" -v kb="$kb" \
    'BEGIN { printf "%-10s %6d sites %9.1f s %9.2f sites/s %8.1f MB peak RSS\n", l, n, s, n / s, kb / 1024 }'
}

echo "cores: $(nproc); $(uname -r); khien $($khien --version)"
for n in $KHIEN_N; do
  head -n "$n" "$work/all.txt" >"$work/sites-$n.txt"
  measure khien "$n" "$khien" scan web --format json -o "$work/khien-$n.json" \
    --concurrency 128 "$work/sites-$n.txt"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['summary']['targets']==int(sys.argv[2]), 'not every site reported'" \
    "$work/khien-$n.json" "$n"
done

if command -v "$SSLYZE" >/dev/null 2>&1; then
  # Comparable checks only: certificate, protocol versions (SSLv3..TLS 1.1), HSTS.
  head -n "$SSLYZE_N" "$work/all.txt" | sed -E 's#https://([^/]+)/#\1#' >"$work/sslyze.txt"
  measure sslyze "$SSLYZE_N" "$SSLYZE" --quiet --json_out "$work/sslyze.json" \
    --mozilla_config disable --certinfo --sslv3 --tlsv1 --tlsv1_1 --http_headers \
    --targets_in "$work/sslyze.txt"
  # The same checks with khien on the same sites, in the same run.
  head -n "$SSLYZE_N" "$work/all.txt" >"$work/same.txt"
  measure khien "$SSLYZE_N" "$khien" scan web --format json -o "$work/same.json" "$work/same.txt"
else
  echo "sslyze: not installed (pip install sslyze), skipped"
fi

if command -v "$TESTSSL" >/dev/null 2>&1; then
  head -n "$TESTSSL_N" "$work/all.txt" | sed -E 's#https://([^/]+)/#\1#' >"$work/testssl.txt"
  run_testssl() {
    while read -r hp; do
      "$TESTSSL" --quiet --warnings off --color 0 --nodns none --ip "${hp%:*}" -p -S -h "$hp" >/dev/null 2>&1 || true
    done <"$1"
  }
  export -f run_testssl
  export TESTSSL
  measure testssl.sh "$TESTSSL_N" bash -c 'run_testssl "$1"' _ "$work/testssl.txt"
  head -n "$TESTSSL_N" "$work/all.txt" >"$work/same3.txt"
  measure khien "$TESTSSL_N" "$khien" scan web --format json -o "$work/same3.json" "$work/same3.txt"
else
  echo "testssl.sh: not installed (apt-get install testssl.sh), skipped"
fi
