#!/usr/bin/env bash
# The DevSecOps story on the screen (issue 21 item 4), on the demo past its
# honeypot beat (27 s) at 200x50 and 80x24: the pipeline's security cell,
# its finding in the detail view (the path and the pod), the eBPF panel's
# per-severity sparkline row, and the source list's heartbeat ages (key S).
# Waits poll the pane with deadlines.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh

CELL='sec ✗ 1 warning'

session fg 200 50 "" --demo-time 45
check "200x50: #1842 carries the security cell" "wait_for '#1842 .*$CELL' 20"
check "200x50: the AI check stage failed on it" \
    "capture | grep -F '#1842' | grep -Fq '✗ai-check ✓cleanup sec ✗'"
check "200x50: a labelled sparkline row per severity" \
    "capture | grep -Eq '^ severity crit [0-9]+/min .* warn [1-9][0-9]*/min .* info [0-9]+/min'"
keys j Enter
check "200x50: the detail names the verdict and its scope" \
    "wait_for 'security: FINDINGS \\(namespace shop\\): 0 critical, 1 warning' 10"
check "200x50: the detail names /etc/passwd and the honeypot pod" \
    "capture | grep -Eq '/etc/passwd read by cat in shop/honeypot-5c9d8f7b6-[a-z0-9]+'"
keys Escape
keys S
check "200x50: S lists the sources with their state" "wait_for '^ demo +demo +SYNCED ' 10"
check "200x50: each source shows its heartbeat age" \
    "capture | grep -Eq '^ demo +demo +SYNCED +[0-9]+[smhd] ago '"
keys S
check "200x50: S again closes the list" "wait_for 'Pipeline stages' 5"
keys q
wait_for 'LOOKOUT-EXIT=0' 10

session fg 80 24 "" --demo-time 45
check "80x24: the security cell survives the width" "wait_for '#1842 .*$CELL' 20"
check "80x24: the cell sits on the #1842 row only" "[ \"\$(capture | grep -Fc 'sec ')\" -eq 1 ]"
check "80x24: the severity row is there, labelled" "capture | grep -Eq '^ severity crit [0-9]+/min'"
keys q
wait_for 'LOOKOUT-EXIT=0' 10
finish
