#!/usr/bin/env bash
# The screen's cost, side by side with htop -d 10 in the same run: for
# BENCH_SECONDS (default 30) at 200x50 and at 80x24, both on their own pty,
# `lookout --demo --no-kernel --refresh 1000` and `htop -d 10`. Prints CPU %
# of one core (steady, after 2 s), terminal bytes/s in steady state, peak
# RSS and time to first frame, and lookout/htop ratios. Target: CPU and
# bytes/s no higher than htop's, first frame under 100 ms.
set -u
cd "$(dirname "$0")/../.."
BIN="${LOOKOUT_REL:-$PWD/lookout}"
SECS="${BENCH_SECONDS:-30}"
if ! command -v htop >/dev/null; then
    echo "SKIP bench_tui: htop is not installed (make deps installs it)"
    exit 0
fi
status=0
for size in 200x50 80x24; do
    cols=${size%x*} rows=${size#*x}
    out=$(python3 tests/bench/ttymeter.py --cols "$cols" --rows "$rows" --seconds "$SECS" \
        --label lookout -- "$BIN" --demo --no-kernel --refresh 1000 \
        --label htop -- htop -d 10) || { echo "   ttymeter failed"; status=1; continue; }
    python3 - "$size" "$SECS" <<EOF || status=1
import json, sys
size, secs = sys.argv[1], sys.argv[2]
rows = {r["label"]: r for r in map(json.loads, """$out""".strip().splitlines())}
l, h = rows["lookout"], rows["htop"]
def ratio(a, b):
    return "-" if not a or not b else "%.2f" % (a / b)
print(f"   {size}, {secs} s, 1 s refresh        lookout       htop -d 10   ratio")
for key, name, fmt in (("cpu_pct_steady", "CPU % of one core (steady)", "%.2f"),
                       ("cpu_pct_total", "CPU % incl. start-up", "%.2f"),
                       ("bytes_per_s_steady", "terminal bytes/s (steady)", "%.0f"),
                       ("bytes_total", "terminal bytes total", "%.0f"),
                       ("peak_rss_kb", "peak RSS KB", "%.0f"),
                       ("first_byte_ms", "first byte ms", "%.1f"),
                       ("first_frame_ms", "first frame ms", "%.1f")):
    a, b = l.get(key), h.get(key)
    fa = fmt % a if a is not None else "-"
    fb = fmt % b if b is not None else "-"
    print(f"   {name:<30} {fa:>10} {fb:>14}   {ratio(a, b):>5}")
ok = l["first_frame_ms"] is not None and l["first_frame_ms"] < 100
print("   first frame under 100 ms:", "yes" if ok else "NO")
EOF
done
exit $status
