#!/usr/bin/env bash
# The header and the status line by priority, and a help that scrolls: the
# demo at its page at 80x24, 120x40, 200x50 and 300x80 keeps the gate,
# incidents, alerts, the SIMULATED label (or its SIM badge), `? help` and
# `q quit` on screen; at 60x20 and 20x5 nothing crashes and the most
# important items stay as far as they fit. Waits poll with deadlines.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh

# ---- every status-line hint starts with its key (from the key table) ----
nameless=""
while IFS='|' read -r label hint; do
    first=${hint%% *}
    named=0
    for k in $label; do
        [[ $first == *"$k"* ]] && named=1
    done
    [ $named = 1 ] || nameless="$nameless [$hint]"
done < <(sed -nE 's/^ *\{\{[^}]*\}, [^,]+, ACT_[A-Z_]+, "([^"]+)", "[^"]*", "([^"]+)"\},?$/\1|\2/p' tui/keys.c)
check "every hint in tui/keys.c starts with its key$nameless" "[ -z \"$nameless\" ]"

header() { capture | head -n 1; }
footer() { capture | tail -n 1; }

for size in "80 24" "120 40" "200 50" "300 80"; do
    set -- $size
    session fg "$1" "$2" "" --demo-time 120
    check "$1x$2: the demo reaches its page" "wait_for 'gate CLOSED' 20"
    check "$1x$2: gate, incidents and alerts in the header" \
        "header | grep -q 'gate CLOSED' && header | grep -q 'incidents 1' && header | grep -q 'alerts 1'"
    check "$1x$2: SIMULATED (or SIM) in the header" "header | grep -Eq ' SIMULATED | SIM '"
    check "$1x$2: ? help and q quit on the status line" \
        "footer | grep -q '? help' && footer | grep -q 'q quit'"
    check "$1x$2: every hint names its key (Tab focus)" \
        "footer | grep -q '^ Tab focus ' && ! footer | grep -Eq '^ +focus'"
    if [ "$1" -ge 200 ]; then
        check "$1x$2: wide enough for the full labels" \
            "header | grep -q 'SIMULATED' && header | grep -q 'pods failing 2' && header | grep -q 'nodes 3/3'"
    fi
    keys q
    wait_for 'LOOKOUT-EXIT=0' 10
done

# ---- narrow: 60x20 and 20x5, by resizing a running screen ----
session fg 120 40 "" --demo-time 120
wait_for 'gate CLOSED' 20
tm resize-window -t lk -x 60 -y 20
check "60x20: gate and incidents kept, SIM badge shown" \
    "wait_for '^ SIM .*gate CLOSED .*incidents 1' 5"
check "60x20: ? help and q quit kept" "footer | grep -q '? help.*q quit'"
tm resize-window -t lk -x 20 -y 5
check "20x5: the SIM badge and the gate as far as they fit" "wait_for '^ SIM gate CLOSED' 5"
check "20x5: ? help and q quit kept" "footer | grep -q '? help  q quit'"
check "20x5: still running" "! capture | grep -q LOOKOUT-EXIT"

# ---- a message keeps ? help and q quit beside it ----
tm resize-window -t lk -x 80 -y 24
wait_for 'alerts 1' 5
keys /
keys Escape
check "80x24: a message leaves ? help and q quit on the line" \
    "wait_for 'filter unchanged.*\\? help  q quit' 5"

# ---- ? help scrolls when it does not fit ----
keys '?'
check "80x24: the help says it scrolls" "wait_for 'Keys 1-[0-9]+ of [0-9]+ \\(Up/Down' 5"
check "80x24: the first key is on screen" "capture | grep -q 'focus the next panel'"
keys G
check "G: the help scrolls to its end (the mouse line)" \
    "wait_for 'Mouse: click focuses' 5 && ! capture | grep -q 'focus the next panel'"
keys k
check "k: back up one line" "wait_for 'Keys [0-9]+-[0-9]+ of' 5 && ! capture | grep -q 'Mouse: click'"
keys PPage
check "PgUp: back to the top" "wait_for 'focus the next panel' 5"
keys Escape
check "Esc closes the help" "wait_for 'Error budget|SLOs' 5"
tm resize-window -t lk -x 200 -y 50
keys '?'
check "200x50: the help fits in two columns, no scrolling" \
    "wait_for 'Keys \\(\\? or Esc closes\\)' 5 && capture | grep -q 'Mouse: click'"
keys q
check "q in the help closes it" "wait_gone 'Keys \\(' 5 && ! capture | grep -q LOOKOUT-EXIT"
keys q
check "q quits" "wait_for 'LOOKOUT-EXIT=0' 10"
check "no sanitizer report" "! grep -q 'ERROR: AddressSanitizer\\|runtime error' $TMPD/stderr"

finish
