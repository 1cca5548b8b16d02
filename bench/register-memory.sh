#!/usr/bin/env bash
# Peak memory of `khien scan register` on a province-sized register (issue 16): a
# generated register of UNITS units (default 60,000, about 16 MB of TOML; each unit
# with an attested focal point) is scanned to a JSON result, and GNU time's
# maximum resident set size, the wall time and the result's size are printed.
# Usage: bench/register-memory.sh [UNITS]   (KHIEN=path/to/khien to choose the build;
# default: the release build under $CARGO_TARGET_DIR or target/)
set -euo pipefail
cd "$(dirname "$0")/.."
units=${1:-60000}
dir=${BENCH_DIR:-/tmp/khien-bench-register-$units}
mkdir -p "$dir"
if [ -z "${KHIEN:-}" ]; then
  cargo build --release --quiet --bin khien
  KHIEN=${CARGO_TARGET_DIR:-target}/release/khien
fi
if [ ! -f "$dir/register.toml" ]; then
  python3 - "$units" >"$dir/register.toml" <<'PY'
import sys
n = int(sys.argv[1])
print('[register]\ntitle = "Sổ tổng hợp (thử tải bộ nhớ)"')
for u in range(n):
    print(f'''
[[unit]]
code = "DV-{u:06}"
name = "Trường số {u}"
commune = "Xã {u % 120}"
type = "thcs"
computers = {20 + u % 50}

[unit.focal_point]
name = "Người {u}"
position = "GV Tin"
phone = "0263 {u:07}"
email = "cntt{u}@t.example"
attested_by = "HT"
attested_on = 2026-01-06
evidence = "QĐ {u}"
expires = 2027-01-06''')
PY
fi
echo "register: $units units, $(du -h "$dir/register.toml" | cut -f1)"
/usr/bin/time -f "%e %M" -o "$dir/time.txt" "$KHIEN" scan register "$dir/register.toml" \
  --at 2026-11-23T08:00:00+07:00 --format json -o "$dir/result.json" 2>"$dir/stderr.txt" || true
tail -n 3 "$dir/stderr.txt"
read -r secs kb < <(tail -n 1 "$dir/time.txt")
printf 'scan register --format json: %s s, %d MB peak RSS, result %s\n' \
  "$secs" "$((kb / 1024))" "$(du -h "$dir/result.json" | cut -f1)"
