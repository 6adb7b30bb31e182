#!/usr/bin/env bash
# The screen's lifecycle and options in tmux: SIGHUP and a vanished terminal
# end Lookout cleanly, NO_COLOR and themes, a broken theme file, the copilot
# key. Waits poll the pane or the process with a deadline.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh

# start COLS ROWS ENV ARGS...: lookout in a fresh session as a background job
# (its pid in $TMPD/pid), once it drew its panels.
start() {
    session bg "$@"
    wait_for 'Copilot suggestions' 20
}
gone() { # gone PID SECONDS: the process has exited
    local deadline=$((SECONDS + 2 * $2))
    while [ $SECONDS -lt $deadline ]; do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# A background job of a non-interactive shell would not get the terminal's
# keys; run lookout in the foreground for the key tests instead.
start_fg() {
    session fg "$@"
    wait_for 'Copilot suggestions' 20
}

# ---- SIGHUP: exit cleanly ----
start 120 40 ""
pid=$(cat "$TMPD/pid")
kill -HUP "$pid"
check "SIGHUP ends lookout" "gone $pid 10"
check "SIGHUP: the terminal is restored" "wait_for 'LOOKOUT-EXIT=' 5 && ! capture | grep -q 'Pipeline stages'"

# ---- the terminal goes away (the pane is killed) ----
start 120 40 ""
pid=$(cat "$TMPD/pid")
tm kill-pane -t lk
check "a vanished terminal ends lookout (no spinning)" "gone $pid 10"

# ---- NO_COLOR: monochrome, state still in words ----
start_fg 200 50 "NO_COLOR=1"
colour=$(tm capture-pane -p -e -t lk)
check "NO_COLOR: no colour sequences" "! grep -qE $'\\e\\\\[[0-9;]*(3[0-7]|38;|4[0-7]|48;)' <<<\"\$colour\""
check "NO_COLOR: attributes remain (reverse/bold)" "grep -qE $'\\e\\\\[[0-9;]*[17]m' <<<\"\$colour\""
keys q
wait_for 'LOOKOUT-EXIT=0' 10

# ---- themes: t cycles, a broken file falls back with file:line ----
start_fg 200 50 ""
keys t
check "t switches to the next theme" "wait_for 'theme: light' 5"
keys q
wait_for 'LOOKOUT-EXIT=0' 10
printf 'name = broken\ntext = default\nwarn = #12345\n' >"$TMPD/broken.theme"
start_fg 200 50 "" --theme "$TMPD/broken.theme"
check "a broken theme names file:line and falls back" \
    "wait_for 'broken.theme:3: bad colour' 5 && capture | grep -q 'using the default theme'"
keys q
wait_for 'LOOKOUT-EXIT=0' 10

# ---- a asks the copilot about the selected row ----
start_fg 200 50 "" --demo-time 120
keys 2 a
check "a on an SLO asks the copilot (or says why not)" \
    "wait_for 'asked the copilot|copilot not available|copilot: ' 5"
keys q
check "q quits" "wait_for 'LOOKOUT-EXIT=0' 10"
check "no sanitizer report" "! grep -q 'ERROR: AddressSanitizer\\|runtime error' $TMPD/stderr"

# ---- a while zoomed shows the answer; a newer incident takes the panel over ----
start_fg 200 50 "" --demo-time 20 --demo-speed 10
keys 2 a
check "a while zoomed zooms the answer" \
    "wait_for 'Offline analysis \\(no LLM involved\\) of slo checkout-availability' 10"
check "an incident opened after the question replaces its answer" \
    "wait_for 'Offline analysis \\(no LLM involved\\) of incident INC-1' 30"
keys q
wait_for 'LOOKOUT-EXIT=0' 10

# ---- e writes the post-mortem, : asks for a context ----
mkdir -p "$TMPD/pm"
start_fg 200 50 "LOOKOUT_T=1 XDG_STATE_HOME=$TMPD/pm; cd $TMPD/pm" --demo-time 120
keys e
check "e writes a post-mortem of the incident under XDG_STATE_HOME" \
    "wait_for 'post-mortem of INC-1 written to $TMPD/pm/lookout/lookout-postmortem-INC-1.md' 5 && grep -q 'Timeline' $TMPD/pm/lookout/lookout-postmortem-INC-1.md"
keys :
check ": asks for a kube context" "wait_for 'kube context \\(Enter switch' 5"
keys Escape
check "Esc leaves the context unchanged" "wait_for 'context unchanged' 5"
keys q
check "q quits after e" "wait_for 'LOOKOUT-EXIT=0' 10"

finish
