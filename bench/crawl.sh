#!/usr/bin/env bash
# W11 crawl benchmark: `khien scan web --crawl-personal-data` on one generated school
# site on 127.0.0.1 (examples/crawl_bench_site.rs: 661 URLs, 140 of them documents
# from fixtures/pdata/corpus). Prints wall time, CPU time and peak RSS (GNU time) of
# the scan without and with the crawl, and crawl throughput = URLs fetched by the
# crawl / wall time of the whole scan with the crawl (the crawl runs beside the other
# checks, so this is a lower bound of its own rate). No pause between requests
# ([crawl] delay_ms = 0); once with the default per-IP rate limit (20 new
# requests/s) and once without it (--per-ip-rate 0), which shows khien's own cost.
#
#   bench/crawl.sh            # RUNS=5 by default; the median is printed
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8480}
RUNS=${RUNS:-5}
cargo build -q --release --locked --bin khien --example crawl_bench_site
khien=target/release/khien
work=$(mktemp -d)
target/release/examples/crawl_bench_site "$PORT" >"$work/site.txt" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
while [ ! -s "$work/site.txt" ]; do sleep 0.2; done
read -r url total <"$work/site.txt"
printf '[crawl]\ndelay_ms = 0\nmax_urls = 1000\n' >"$work/khien.toml"

run() { # label extra-args...
  local label=$1; shift
  for i in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$khien" --lang en scan web --format json \
      -o "$work/out.json" --config "$work/khien.toml" --timeout 10 "$@" "$url" \
      >/dev/null 2>"$work/err" || true
    tail -n 1 "$work/time"
  done | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

echo "cores: $(nproc); $(uname -r); load: $(cut -d' ' -f1-3 /proc/loadavg); khien $($khien --version)"
echo "site: $url ($total URLs)"
read -r base_s base_kb base_u base_k < <(run base)
report() { # label crawl-wall crawl-kb user sys
  python3 - "$work/out.json" "$base_s" "$base_kb" "$@" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
base_s, base_kb = float(sys.argv[2]), float(sys.argv[3])
label = sys.argv[4]
crawl_s, crawl_kb, user, sys_ = map(float, sys.argv[5:9])
f = next(f for f in doc["targets"][0]["findings"] if f["rule"] == "WEB-PD-001")
ev = {e["fact"]: e["value"] for e in f["evidence"]}
pages, docs = ev["web.personal_data.pages_examined"], ev["web.personal_data.documents_examined"]
urls = pages + docs + 1  # + robots.txt
print(f"{label}: wall {crawl_s:.2f} s, CPU {user + sys_:.2f} s, {crawl_kb/1024:.1f} MB peak RSS; "
      f"W11 {f['status']}, complete={ev['web.personal_data.complete']}, "
      f"{len(ev['web.personal_data.exposures'])} exposures")
print(f"  crawl: {pages} pages + {docs} documents (+ robots.txt) within {crawl_s:.2f} s: "
      f"at least {urls/crawl_s:.1f} URLs/s, {pages/crawl_s:.1f} pages/s")
PY
}
echo "without crawl: wall ${base_s} s, CPU $(echo "$base_u + $base_k" | bc) s, $((base_kb / 1024)) MB peak RSS"
read -r s kb u k < <(run crawl --crawl-personal-data)
report "with crawl, default --per-ip-rate 20" "$s" "$kb" "$u" "$k"
read -r s kb u k < <(run crawl --crawl-personal-data --per-ip-rate 0)
report "with crawl, --per-ip-rate 0" "$s" "$kb" "$u" "$k"
