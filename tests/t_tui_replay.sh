#!/usr/bin/env bash
# Replay as a player, on a 130 s demo record made here (INC-1 opens at
# 14:00:40, checkout-availability pages at 14:01:40): the REPLAY badge with
# position, end and speed; Space pauses the clock; Right/Left seek 10 s
# (back: the state of that time again, the page gone); ] and [ jump between
# the incident and the page; + and - change the speed; END at the end. A
# missing, unreadable or empty record exits 2 with its path and the reason
# before any screen. Waits poll the pane with a deadline.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh

# ---- files that cannot be played: exit 2 before any screen ----
"$BIN" replay "$TMPD/missing.jsonl" >"$TMPD/out" 2>"$TMPD/err" </dev/null
rc=$?
check "a missing record exits 2 with its path and the reason" \
    "[ $rc -eq 2 ] && grep -q '$TMPD/missing.jsonl: No such file or directory' '$TMPD/err' &&
     [ ! -s '$TMPD/out' ]"
"$BIN" replay "$TMPD" >/dev/null 2>"$TMPD/err" </dev/null
rc=$?
check "an unreadable record (a directory) exits 2 with the reason" \
    "[ $rc -eq 2 ] && grep -q '$TMPD: Is a directory' '$TMPD/err'"
: >"$TMPD/empty.jsonl"
"$BIN" replay "$TMPD/empty.jsonl" >/dev/null 2>"$TMPD/err" </dev/null
rc=$?
check "an empty record exits 2" "[ $rc -eq 2 ] && grep -q 'empty.jsonl: no record lines' '$TMPD/err'"

# ---- the player ----
rec="$TMPD/story.jsonl"
"$BIN" --demo --no-kernel --seed 7 --demo-time 130 --run-for 0.1 --record "$rec" >/dev/null \
    2>"$TMPD/stderr"
end_session lk
{
    echo "export TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8"
    echo "\"$BIN\" replay \"$rec\" 2>\"$TMPD/stderr\""
    echo "echo \"LOOKOUT-EXIT=\$?\""
    echo "exec sleep 600"
} >"$TMPD/run.sh"
tm new-session -d -s lk -x 160 -y 45 "bash $TMPD/run.sh"

# badge: the REPLAY badge of the pane, "" when none.
badge() { capture | head -n 1 | grep -Eo 'REPLAY [0-9:]+ / [0-9:]+ ×[0-9.a-z]+( PAUSED| END)?'; }
pos() { badge | awk '{print $2}'; }
secs() { awk -F: '{print $1 * 3600 + $2 * 60 + $3}' <<<"$1"; }
slo_row() { capture | grep -E '(OK|BURNING|PAGE|TICKET) +checkout-availab'; }

check "the header shows REPLAY position / end ×1" "wait_for 'REPLAY 1[34]:[0-9:]+ / 14:02:10 ×1' 20"
check "no 'replay starting' while it plays" "! capture | grep -q 'replay starting'"
keys Space
check "Space pauses the replay clock" "wait_for 'REPLAY [0-9:]+ / 14:02:10 ×1 PAUSED' 5"
p=$(pos)
check "paused, the clock stays at $p" "! wait_gone 'REPLAY $p / ' 1"
keys Right
check "Right seeks 10 s forward" \
    "wait_for 'PAUSED' 5 && [ \$(secs \$(pos)) -eq \$((\$(secs $p) + 10)) ]"
keys ']'
check "] jumps to the incident's opening" "wait_for 'REPLAY 14:00:40 / 14:02:10 ×1 PAUSED' 5"
check "paused there, the header counts the incident the panels show" \
    "capture | head -n 1 | grep -q 'incidents 1' && capture | grep -q 'INC-1 OPEN'"
keys ']'
check "] again jumps to the page" \
    "wait_for 'REPLAY 14:01:40 / 14:02:10 ×1 PAUSED' 5 && slo_row | grep -q PAGE"
keys '['
check "[ goes back to the incident, and the page is gone again" \
    "wait_for 'REPLAY 14:00:40 / ' 5 && ! slo_row | grep -q PAGE"
keys Right Right Right Right Right Right Right
check "seeking forward brings the page back" \
    "wait_for 'REPLAY 14:01:50 / ' 5 && slo_row | grep -q PAGE"
keys Left Left
check "Left seeks back 10 s each: before the page, no PAGE" \
    "wait_for 'REPLAY 14:01:30 / ' 5 && ! slo_row | grep -q PAGE && slo_row | grep -q BURNING"
keys + +
check "+ speeds up (×4)" "wait_for 'REPLAY 14:01:30 / 14:02:10 ×4 PAUSED' 5"
keys -
check "- slows down (×2)" "wait_for 'REPLAY 14:01:30 / 14:02:10 ×2 PAUSED' 5"
keys + + + + +
check "the speed stops at ×64" "wait_for '×64 PAUSED' 5"
keys Space
check "playing at ×64 reaches END" "wait_for 'REPLAY 14:02:10 / 14:02:10 ×64 END' 10"
check "at END the page is on screen" "slo_row | grep -q PAGE"
keys q
check "q quits" "wait_for 'LOOKOUT-EXIT=0' 10"
check "no bad record lines reported" "! grep -q 'replay:' '$TMPD/stderr'"
check "no sanitizer report" "! grep -q 'ERROR: AddressSanitizer\\|runtime error' $TMPD/stderr"
finish
