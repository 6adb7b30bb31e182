#!/usr/bin/env bash
# Colours and glyphs on every terminal: for each TERM the screen is drawn in
# tmux at the demo's page and its colour capture (capture-pane -e) is read
# cell by cell: no foreground may equal its background. An unknown TERM
# draws with a notice, an impossible one names the TERM that failed, and the
# Linux console gets block charts, never braille. Waits poll with deadlines.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh
type skip >/dev/null 2>&1 || skip() { echo "SKIP $1: $2"; }

# at_page COLS ROWS TERM: the demo at its page, drawn for TERM.
at_page() {
    session fg "$1" "$2" "TERM=$3" --demo-time 120
    wait_for 'PAGE' 20 && wait_for 'gate CLOSED' 10
}
quit() {
    keys q
    wait_for 'LOOKOUT-EXIT=0' 10
}
export LC_ALL=C.UTF-8 # grep -P below matches code points
BRAILLE='[\x{2801}-\x{28ff}]'
EIGHTHS='[\x{2581}-\x{2583}\x{2585}-\x{2587}\x{2589}-\x{258b}\x{258d}-\x{258f}]'

# Every size on xterm (8 colours, where black on black was seen); one size
# each for the others: 200x50 where the charts are checked.
sizes_for() {
    case "$1" in
    xterm) echo "120x40 200x50 80x24" ;;
    screen) echo "120x40" ;;
    *) echo "200x50" ;;
    esac
}
for term in xterm screen linux xterm-256color; do
    for size in $(sizes_for "$term"); do
        size=${size/x/ }
        set -- $size
        at_page "$1" "$2" "$term" || { bad "$term $1x$2: the demo reaches its page"; continue; }
        tm capture-pane -p -e -t lk >"$TMPD/sgr"
        check "$term $1x$2: no cell has its foreground equal to its background" \
            "python3 tests/lib/sgr_cells.py <$TMPD/sgr >$TMPD/sgr.out || { cat $TMPD/sgr.out; false; }"
        check "$term $1x$2: header and SLO panel drawn" \
            "capture | head -n 1 | grep -q 'incidents 1\|inc 1' && capture | grep -q 'checkout-availability'"
        if [ "$1" = 200 ] && { [ "$term" = linux ] || [ "$term" = xterm-256color ]; }; then
            # The sparklines on the panels, then the budget chart of the zoomed SLO panel.
            capture >"$TMPD/plain"
            keys 2
            wait_for 'Budget burn-down' 5
            capture >>"$TMPD/plain"
            if [ "$term" = linux ]; then
                check "linux: charts in half blocks and ASCII, no braille or eighth blocks" \
                    "grep -q '▄' $TMPD/plain && ! grep -qP '$BRAILLE' $TMPD/plain && ! grep -qP '$EIGHTHS' $TMPD/plain"
            else
                check "$term: braille chart and eighth-block sparklines (UTF-8)" \
                    "grep -qP '$BRAILLE' $TMPD/plain && grep -qP '$EIGHTHS' $TMPD/plain"
            fi
        fi
        quit
    done
done

# ---- a TERM this host has no terminfo for: a notice, not an exit ----
session fg 120 40 "TERM=xterm-kitty-no-such-term" --demo-time 120
check "unknown TERM: a one-line notice names it and the fallback" \
    "wait_for 'TERM=xterm-kitty-no-such-term has no terminfo here; drawing as xterm-256color' 10"
check "unknown TERM: the screen is drawn" "wait_for 'Error budget & SLO burn' 10"
tm capture-pane -p -e -t lk >"$TMPD/sgr"
check "unknown TERM: no cell has its foreground equal to its background" \
    "python3 tests/lib/sgr_cells.py <$TMPD/sgr >$TMPD/sgr.out || { cat $TMPD/sgr.out; false; }"
quit
check "unknown TERM: quits with status 0" "capture | grep -q 'LOOKOUT-EXIT=0'"

# ---- no terminfo at all (a private mount namespace hides it): says which TERM ----
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    mkdir -p "$TMPD/noterminfo"
    hide=""
    for d in /etc/terminfo /lib/terminfo /usr/share/terminfo /usr/lib/terminfo; do
        [ -d "$d" ] && hide="$hide mount --bind $TMPD/noterminfo $d;"
    done
    out=$(TERM=xterm-kitty unshare -m sh -c "$hide script -qec '$BIN --demo --no-kernel' /dev/null" 2>&1 </dev/null)
    check "no terminfo anywhere: exits naming the TERM" \
        "grep -q 'TERM=xterm-kitty: no terminfo entry, and neither xterm-256color nor vt100' <<<\"\$out\""
else
    skip "no terminfo anywhere" "needs root and unshare"
fi

finish
