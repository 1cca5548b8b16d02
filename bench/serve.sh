#!/usr/bin/env bash
# `khien serve` under load (issue 17): UNITS units × MACHINES machines = 20,000 result
# uploads by default, from CONCURRENCY = 32 clients at once (examples/serve_load.rs:
# the same gzip + bearer request as `khien scan host --send`), against a real server
# on 127.0.0.1 with TLS, first with the SQLite store, then with PostgreSQL (a
# throw-away cluster in a temporary folder, like the tests). Prints uploads/s, p50/p99
# upload latency, the server's peak memory (VmHWM), and the dashboard's and the debt
# list's latency once the province is in.
#
#   bench/serve.sh                       # UNITS=1000 MACHINES=20 CONCURRENCY=32
#   UNITS=100 MACHINES=10 bench/serve.sh # a quick look
#   PROFILE=debug bench/serve.sh         # without a release build (slower figures)
set -euo pipefail
cd "$(dirname "$0")/.."
UNITS=${UNITS:-1000}
MACHINES=${MACHINES:-20}
CONCURRENCY=${CONCURRENCY:-32}
PROFILE=${PROFILE:-release}
target=${CARGO_TARGET_DIR:-target}
if [ "$PROFILE" = release ]; then
  cargo build -q --release --locked --bin khien --example serve_load
else
  cargo build -q --locked --bin khien --example serve_load
fi
khien="$target/$PROFILE/khien"
load="$target/$PROFILE/examples/serve_load"
work=$(mktemp -d)
server=""
pgdata=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  if [ -n "$pgdata" ]; then runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"

# A register of UNITS units in 50 communes.
{
  printf '[register]\ntitle = "Bench"\nmaintainer = "bench"\nupdated = 2026-05-18\n'
  for i in $(seq -w 1 "$UNITS"); do
    printf '\n[[unit]]\ncode = "U%s"\nname = "Trường %s"\ncommune = "Xã %s"\ntype = "thpt"\ncomputers = %s\n' \
      "$i" "$i" "$((10#$i % 50))" "$MACHINES"
  done
} >"$work/register.toml"

# A test CA and a server certificate for 127.0.0.1 (openssl, from Debian).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj "/CN=khien bench CA" -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$work/key.pem" -out "$work/leaf.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$work/leaf.ext"
openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -days 30 -extfile "$work/leaf.ext" -out "$work/cert.pem" 2>/dev/null
password="mật khẩu đo hiệu năng"
hash=$(printf '%s\n' "$password" | "$khien" serve hash-password)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

run() { # label database-line
  local label=$1 database=$2
  rm -rf "$work/data" "$work/tokens"
  cat >"$work/khien-serve.toml" <<TOML
listen = "127.0.0.1:$port"
data_dir = "data"
register = "register.toml"
uploads_per_minute = 100000
$database

[[account]]
name = "so"
password_hash = "$hash"

[tls]
cert = "cert.pem"
key = "key.pem"
TOML
  "$khien" serve tokens --config "$work/khien-serve.toml" issue --out "$work/tokens" 2>/dev/null
  "$khien" serve --config "$work/khien-serve.toml" >"$work/serve.out" 2>"$work/serve.log" &
  server=$!
  while ! grep -q "khien serve:" "$work/serve.out" 2>/dev/null; do sleep 0.2; done
  echo "== $label: $UNITS units × $MACHINES machines, $CONCURRENCY clients"
  "$load" "https://127.0.0.1:$port" "$work/ca.pem" "$work/tokens/tokens.csv" \
    fixtures/results/round-1/host-ld-thpt-001.json "$MACHINES" "$CONCURRENCY" so "$password"
  echo "server peak memory: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$server/status)"
  kill -TERM "$server"; wait "$server" || true; server=""
}

run "SQLite (data/history.db)" ""

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pgbin" ]; then
  echo "PostgreSQL not installed (.ci/setup-postgres.sh): skipped"
  exit 0
fi
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir "$work/pg" && chown postgres "$work/pg"
pgdata="$work/pg/data"
runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -U khien --auth=trust -E UTF8 --locale=C >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$work/pg/log" -w \
  -o "-p $pgport -c listen_addresses=127.0.0.1 -k $work/pg" start >/dev/null
psql -h 127.0.0.1 -p "$pgport" -U khien -d postgres -qc "CREATE DATABASE khien"
run "PostgreSQL $(basename "$(dirname "$pgbin")")" "database = \"postgres://khien@127.0.0.1:$pgport/khien\""
