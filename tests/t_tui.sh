#!/usr/bin/env bash
# End-to-end tests of the screen: lookout --demo in a private tmux server,
# driven with send-keys and read back with capture-pane. Every wait polls
# the pane until the expected text shows up (bounded), never a blind sleep.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh

# start COLS ROWS ARGS...: a fresh session running lookout in the foreground.
start() {
    local cols=$1 rows=$2
    shift 2
    session fg "$cols" "$rows" "" "$@"
}

TITLES=("Pipeline stages" "Error budget & SLO burn" "eBPF event stream" "Copilot suggestions")
all_panels() {
    local screen
    screen=$(capture)
    for t in "${TITLES[@]}"; do
        grep -Fq -- "$t" <<<"$screen" || return 1
    done
    # Below 100 columns the SIMULATED label shortens to its SIM badge.
    grep -Fq "LOOKOUT" <<<"$screen" && grep -Eq "SIMULATED| SIM " <<<"$screen"
}
wait_panels() {
    local deadline=$((SECONDS + 2 * ${1:-15}))
    while [ $SECONDS -lt $deadline ]; do
        all_panels && return 0
        sleep 0.1
    done
    return 1
}

# ---- layout at two sizes ----
start 200 50
check "200x50: header and all four panels" "wait_panels 20"
check "200x50: 2x2 layout (pipelines and SLOs on one row)" \
    "capture | grep -E 'Pipeline stages.*Error budget' >/dev/null"
check "200x50: key hints on the status line" "capture | tail -n 1 | grep -q 'q quit'"

start 80 24
check "80x24: header and all four panels" "wait_panels 20"
check "80x24: stacked (one title per line)" \
    "! capture | grep -E 'Pipeline stages.*Error budget' >/dev/null"

# ---- focus, zoom, detail ----
start 200 50
wait_panels 20
keys Tab
keys Enter
check "Tab moves focus to the SLO panel (Enter opens its detail)" \
    "wait_for 'Error budget & SLO burn: detail|Error budget & SLO burn: nothing selected' 5"
keys Escape
check "Esc closes the detail" "wait_panels 5"
keys 3
check "3 zooms the eBPF panel" "wait_for 'zoomed' 5 && ! capture | grep -q 'Pipeline stages'"
keys 3
check "3 again restores the four panels" "wait_panels 5"

# ---- help ----
keys '?'
check "? shows the help from the key table" \
    "wait_for 'Keys \\(\\? or Esc closes\\)' 5 && capture | grep -q 'filter the focused panel'"
# Every key of the key table (tui/keys.c) is documented in docs/keys.md.
missing=""
while IFS= read -r label; do
    grep -Fq -- "| $label |" docs/keys.md || missing="$missing [$label]"
done < <(sed -nE 's/^ *\{\{[^}]*\}, [^,]+, ACT_[A-Z_]+, "([^"]+)".*/\1/p' tui/keys.c)
check "every key of the table is in docs/keys.md$missing" "[ -z \"$missing\" ]"
keys Escape
check "Esc closes the help" "wait_panels 5"

# ---- filter ----
keys 3
wait_for 'zoomed' 5
keys / e x e c Enter
check "/ sets a valid filter on the focused panel" "wait_for '/exec/' 5"
keys / C-u '(' Enter
check "an invalid regex gives a message" "wait_for 'invalid regex' 5"
check "an invalid regex leaves the filter unchanged" "capture | grep -q '/exec/'"
keys / C-u Enter
check "an empty filter clears it" "wait_gone '/exec/' 5"
keys Escape
wait_panels 5

# ---- resize ----
tm resize-window -t lk -x 20 -y 5
check "20x5 draws something sane (the SIM badge and the gate)" "wait_for 'SIM gate' 5"
check "20x5 did not crash" "! capture | grep -q LOOKOUT-EXIT"
tm resize-window -t lk -x 200 -y 50
check "back at 200x50 all four panels return" "wait_panels 10"
tm resize-window -t lk -x 60 -y 20
check "60x20: one panel with a hint" "wait_for '80x24 shows all' 5"
tm resize-window -t lk -x 200 -y 50
wait_panels 10

# ---- war room ----
keys w
check "w shows the war-room screen" "wait_for 'OPEN INCIDENTS' 5"
keys w
check "w again returns to the panels" "wait_panels 5"

# ---- quit restores the terminal ----
keys q
check "q quits with status 0" "wait_for 'LOOKOUT-EXIT=0' 10"
check "after quit no panel is left on screen" "! capture | grep -q 'Pipeline stages'"
check "after quit the alternate screen is off" \
    "[ \"\$(tm display -p -t lk '#{alternate_on}')\" = 0 ]"
check "no sanitizer report" "! grep -q 'ERROR: AddressSanitizer\\|runtime error' $TMPD/stderr"

# ---- --frames N exits by itself ----
start 100 30 --frames 3
check "--frames 3 draws and exits" "wait_for 'LOOKOUT-EXIT=0' 15"

# ---- hostile process name and path ----
COMM=$'\e[31mEVIL\e]0;pwn\a'
PATH_HOSTILE=$'/tmp/\u202eexe.txt\x07\e[2J\e]2;owned\a\xc3\x28\u2066x'
start 200 50 --demo-inject-comm "$COMM" --demo-inject-path "$PATH_HOSTILE"
wait_panels 20
keys 3
wait_for 'zoomed' 5
keys / E V I L Enter
check "the injected event is on screen, escaped" "wait_for '\\^\\[\\[31mEV.*\\^\\[\\[2J' 15"
screen=$(tm capture-pane -p -t lk)
check "plain capture has no ESC, BEL or bidi control" \
    "! printf '%s' \"\$screen\" | grep -qP '[\\x00-\\x08\\x0b-\\x1f\\x7f]|\\x{202e}|\\x{2066}'"
check "the bidi override is shown as <U+202E>" "grep -q '<U+202E>' <<<\"\$screen\""
# With colours (-e) only tmux's own SGR sequences may appear.
colour=$(tm capture-pane -p -e -t lk)
check "colour capture has only SGR sequences" \
    "! printf '%s' \"\$colour\" | sed -E 's/\\x1b\\[[0-9;:]*m//g' | grep -qP '[\\x00-\\x08\\x0b-\\x1f\\x7f]'"
check "the pane title was not changed by OSC" \
    "! tm display -p -t lk '#{pane_title}' | grep -q 'pwn\\|owned'"
keys q
wait_for 'LOOKOUT-EXIT' 10

finish
