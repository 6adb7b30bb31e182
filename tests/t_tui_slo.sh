#!/usr/bin/env bash
# The SLO rows and the war room on the demo, in tmux at four sizes: the
# paging SLO's row names the window pair that fired at every width, the row
# says BURNING before the page, and the war room's digits grow with the rows,
# each under its SLO's name, with the DEPLOYS FROZEN banner and the open
# incident's age ticking. Waits poll the pane with a deadline.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh

PAIR='1h [0-9.]+x ?(·|\.) ?5m [0-9.]+x ?> ?14\.4'
NAMES=(checkout-availability payments-availability frontend-availability)

# digit_rows: rows of the pane drawn in block digits (half or full blocks;
# alternatives, not a bracket, so a byte-wise grep matches whole characters)
digit_rows() { capture | grep -Ec '█|▀|▄'; }

# names_under_digits: the line after the last digit row names every SLO shown
names_under_digits() {
    local line
    local last
    last=$(capture | grep -En '█|▀|▄' | tail -n 1 | cut -d: -f1)
    line=$(capture | sed -n "$((last + 1))p")
    for n in "${NAMES[@]}"; do
        grep -Fq -- "$n" <<<"$line" || return 1
    done
}

# digit_colours: the SGR codes in force at the first block of each figure on
# the first digit row, one per line (the figures' columns are where each
# name starts on the row under the digits)
digit_colours() {
    tm capture-pane -p -e -t lk | python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")
def cells(line):
    out, sgr = [], ""
    for m in re.finditer(r"\x1b\[([0-9;]*)m|(.)", line):
        if m.group(1) is not None:
            sgr = "" if m.group(1) in ("", "0") else sgr + ";" + m.group(1)
        else:
            out.append((m.group(2), sgr))
    return out
rows = [cells(l) for l in lines]
digits = [i for i, r in enumerate(rows) if any(c in "█▀▄" for c, _ in r)]
names = "".join(c for c, _ in rows[digits[-1] + 1])
first = rows[digits[0]]
for m in re.finditer(r"[a-z]+-availability", names):
    x = m.start()
    while x < len(first) and first[x][0] not in "█▀▄":
        x += 1
    print(m.group(0), first[x][1] if x < len(first) else "none")
'
}

declare -A height
for size in 80x24 120x40 200x50 300x80; do
    cols=${size%x*} rows=${size#*x}
    session fg "$cols" "$rows" "" --demo-time 120
    check "$size: the paging SLO row shows its window pair" \
        "wait_for 'PAGE +checkout-availab.* $PAIR' 20"
    # time in state comes next; a 60-column panel (120x40) has no room for it
    [ "$size" != 120x40 ] && check "$size: the paging row says how long it has paged" \
        "capture | grep -E 'PAGE +checkout-availab' | grep -Eq '> 14\.4 +paging [0-9]+s'"
    keys w
    check "$size: war room banner while the gate is closed" \
        "wait_for 'DEPLOYS FROZEN · checkout-availability paging [0-9]+[smh]' 10"
    check "$size: each number has its SLO name under it" "names_under_digits"
    colours=$(digit_colours)
    page_sgr=$(awk '$1 == "checkout-availability" { print $2 }' <<<"$colours")
    ok_sgr=$(awk '$1 == "payments-availability" { print $2 }' <<<"$colours")
    check "$size: the paging SLO's budget is not drawn in the OK colour ($page_sgr vs $ok_sgr)" \
        "[ -n '$page_sgr' ] && [ -n '$ok_sgr' ] && [ '$page_sgr' != '$ok_sgr' ]"
    check "$size: the paging SLO's pair under its number" \
        "capture | grep -Eq '$PAIR|1h [0-9.]+x·5m [0-9.]+x>14\.4'"
    check "$size: the open incident with its age" "wait_for 'INC-[0-9]+ +open [0-9]+m[0-9]+s' 10"
    age=$(capture | grep -Eo 'INC-[0-9]+ +open [0-9]+m[0-9]+s' | head -1)
    check "$size: the incident's age ticks" "wait_gone '$age' 5"
    height[$size]=$(digit_rows)
done
echo "war-room digit rows: 80x24 ${height[80x24]}, 120x40 ${height[120x40]}," \
    "200x50 ${height[200x50]}, 300x80 ${height[300x80]}"
check "80x24: the digits are 3 rows" "[ '${height[80x24]}' -eq 3 ]"
check "digit height grows with rows (80x24 < 200x50 < 300x80)" \
    "[ ${height[80x24]} -lt ${height[200x50]} ] && [ ${height[200x50]} -lt ${height[300x80]} ]"

# Before the page: the 5m window is over 14.4, the 1h not yet. The row says
# BURNING (never a green OK) and names that pair.
session fg 120 40 "" --demo-time 60
check "before the page the row says BURNING with its pair" \
    "wait_for 'BURNING +checkout-availab.* 1h [0-9.]+x ?(·|\.) ?5m [0-9.]+x ?~ ?14\.4' 20"
check "no OK beside the burning SLO" "! capture | grep -Eq 'OK +checkout-availab'"

# A Prometheus that takes every query and never answers: until it does, the
# SLO's row says WAIT, not NODATA (nobody said there is none) and never OK;
# the header's gate is unknown, not open; the charts draw nothing where
# there is no data (once, NaN was drawn as a full budget and a burn of 0).
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept())' >"$TMPD/hang.port" &
HANG=$!
for _ in $(seq 100); do [ -s "$TMPD/hang.port" ] && break; sleep 0.05; done
python3 -c 'import sys; sys.path.insert(0, "tests/lib"); import slo_synth; print(slo_synth.SLOTH_SPEC)' \
    >"$TMPD/sloth.yml"
printf 'prometheus:\n  url: http://127.0.0.1:%s\n  timeout: 60s\nslo_specs: [%s]\n' \
    "$(cat "$TMPD/hang.port")" "$TMPD/sloth.yml" >"$TMPD/hang.yaml"
end_session lk
tm new-session -d -s lk -x 120 -y 40 \
    "TERM=tmux-256color \"$BIN\" --no-kernel --config \"$TMPD/hang.yaml\" 2>\"$TMPD/stderr\"; sleep 600"
check "Prometheus silent: the row awaits it, not no data, never OK" \
    "wait_for 'WAIT +myservice-requests-availabi' 15 &&
     ! capture | grep -Eq 'OK +myservice'"
check "Prometheus silent: the gate is unknown, never open or n/a" \
    "capture | grep -q 'gate UNKNOWN' && ! capture | grep -Eq 'gate (open|OPEN|n/a)'"
check "Prometheus silent: no budget drawn where there is no data" \
    "wait_for 'no budget data in the window yet' 10 && ! capture | grep -q '⣿'"
keys 2 # zoomed, the row has room for its time to exhaustion
check "Prometheus silent: time to exhaustion unknown, never 'never'" \
    "wait_for 'exh [?]' 5 && ! capture | grep -q 'exh never'"
keys 2
check "no cluster configured: no node or pod counts in the header" \
    "! capture | sed -n 1p | grep -Eq 'nodes|failing'"
check "Prometheus silent: the copilot panel does not call it all quiet" \
    "capture | grep -q 'no open incidents yet: 1 source starting' && ! capture | grep -q 'all quiet'"
keys w
check "Prometheus silent: the war room says AWAITING PROMETHEUS, sources starting" \
    "wait_for 'AWAITING PROMETHEUS for' 5 && capture | grep -q 'NO OPEN INCIDENTS YET: SOURCES STARTING'"
# a cluster it cannot reach: the counts are "?", never "0 failing"
printf 'kubernetes:\n  enabled: true\n  kubeconfig: %s/none.kubeconfig\n' "$TMPD" >>"$TMPD/hang.yaml"
end_session lk
tm new-session -d -s lk -x 120 -y 40 \
    "TERM=tmux-256color \"$BIN\" --no-kernel --config \"$TMPD/hang.yaml\" 2>\"$TMPD/stderr\"; sleep 600"
check "cluster unreachable: pods failing ?, not 0" \
    "wait_for 'FAILED' 15 && capture | sed -n 1p | grep -Eq 'pods failing \\?' &&
     ! capture | sed -n 1p | grep -Eq 'failing 0|nodes 0/0'"
check "cluster unreachable: no incident is not 'all quiet'" \
    "capture | grep -q 'no incidents, but 1 source is not reporting (S)'"
keys w
check "cluster unreachable: the war room names the blind spot" \
    "wait_for 'NO OPEN INCIDENTS, BUT 1 SOURCE IS NOT REPORTING' 5"
keys w c
check "cluster unreachable: the cluster view's counts are ?, not 0 failing" \
    "wait_for '^ Cluster  nodes [?]  pods [?]' 5 && ! capture | grep -Eq '0 failing|nodes 0/0'"
end_session lk
kill $HANG 2>/dev/null
finish
