#!/usr/bin/env bash
# Policy loading time against the number of rules (issue 16, item 6): generates
# policies of 1,000, 4,000 and 16,000 rules and times `khien rules check` on each.
# Linear loading shows as a constant time per rule. Usage: bench/policy-load.sh [KHIEN]
set -euo pipefail
KHIEN=${1:-target/release/khien}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for n in 1000 4000 16000; do
  python3 - "$n" "$dir/p$n.toml" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
out = ['[policy]\nid = "bench"\nversion = "1"\ntitle.vi = "Đo"\ntitle.en = "Bench"\n']
for i in range(n):
    out.append(f'''
[[rule]]
code = "HOST-G{i // 1000}-{i % 1000:03}"
target = "host"
severity = "high"
title.vi = "Tiêu đề"
title.en = "Title"
rationale.vi = "Lý do"
rationale.en = "Why"
remediation.vi = "Sửa"
remediation.en = "Fix"
basis = [{{ plan = "KH-CĐS-2026-2030", section = "III.4.a" }}]
check = "host.os.name != '' && 1 + 1 == 2"
''')
open(path, "w").write("".join(out))
PY
  start=$(date +%s.%N)
  "$KHIEN" rules check "$dir/p$n.toml" >/dev/null
  end=$(date +%s.%N)
  awk -v n="$n" -v s="$start" -v e="$end" \
    'BEGIN { t = e - s; printf "%6d rules: %7.2f s, %6.1f µs per rule\n", n, t, t / n * 1e6 }'
done
