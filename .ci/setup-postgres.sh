#!/usr/bin/env bash
# PostgreSQL for the tests of `khien serve` with `database = "postgres://…"` (issue 17):
# only the server's programs are needed; each test starts a throw-away cluster of its
# own (initdb, pg_ctl) on a loopback port in a temporary folder and stops it.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "PostgreSQL present: $(ls -d /usr/lib/postgresql/*/bin | tail -1)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql >/dev/null
ls /usr/lib/postgresql/*/bin/initdb
