# Sourced by the screen tests (t_tui*.sh), from the repo root: lookout --demo in a
# private tmux server, driven with send-keys and read back with capture-pane.
# Every wait polls with a deadline, never a blind sleep. Gives BIN, TMPD (removed
# at exit, with the tmux server), the check/ok/bad counters and finish.
BIN="${LOOKOUT:-$PWD/build/asan/lookout}"
SOCK="lookout-test-$$"
pass=0 fail=0 skipped=0
# Without tmux there is no screen to drive: the whole script is one skip.
if ! command -v tmux >/dev/null; then
    echo "SKIP $(basename "$0"): tmux is not installed (make deps installs it)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"

tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
TMPD=$(mktemp -d)
# The programs in a pane are killed outright before the pane goes: a pane's
# SIGHUP can catch an ASan binary in its exit-time leak scan, which was seen
# spinning a core for half an hour after its test had ended.
kill_below() {
    local child
    for child in $(pgrep -P "$1" 2>/dev/null); do
        kill_below "$child"
        kill -9 "$child" 2>/dev/null
    done
}
# end_session [NAME]: session NAME (default lk) and everything running in it.
end_session() {
    local pid
    for pid in $(tm list-panes -t "${1:-lk}" -F '#{pane_pid}' 2>/dev/null); do kill_below "$pid"; done
    tm kill-session -t "${1:-lk}" >/dev/null 2>&1
}
reap_panes() {
    local pid
    for pid in $(tm list-panes -a -F '#{pane_pid}' 2>/dev/null); do kill_below "$pid"; done
}
cleanup() { reap_panes; tm kill-server >/dev/null 2>&1; rm -rf "$TMPD"; }
trap cleanup EXIT
# A session that outlives the others, so the server never exits between tests.
tm new-session -d -s keep "sleep 600"

ok() { pass=$((pass + 1)); echo "ok   $1"; }
# bad NAME: counts a failure and shows the pane and lookout's stderr.
bad() {
    fail=$((fail + 1))
    echo "FAIL $1"
    capture | sed -e 's/^/    | /' | head -60
    sed -e 's/^/    stderr| /' "$TMPD/stderr" 2>/dev/null | head -20
}
# check NAME SHELL-TEXT: passes when the text, evaluated, succeeds.
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
skip() { skipped=$((skipped + 1)); echo "SKIP $1: $2"; }
finish() {
    echo "$pass passed, $fail failed, $skipped skipped"
    [ "$fail" -eq 0 ]
}

capture() { tm capture-pane -p -t lk 2>/dev/null; }
keys() { tm send-keys -t lk "$@"; }
# wait_for REGEX [seconds]: until the pane matches (grep -E).
wait_for() {
    local deadline=$((SECONDS + 2 * ${2:-15})) # doubled: CI hosts are shared
    while [ $SECONDS -lt $deadline ]; do
        capture | grep -Eq -- "$1" && return 0
        sleep 0.1
    done
    return 1
}
# wait_gone REGEX [seconds]: until the pane no longer matches.
wait_gone() {
    local deadline=$((SECONDS + 2 * ${2:-15})) # doubled: CI hosts are shared
    while [ $SECONDS -lt $deadline ]; do
        capture | grep -Eq -- "$1" || return 0
        sleep 0.1
    done
    return 1
}

# session fg|bg COLS ROWS ENV ARGS...: a fresh session "lk" running
# `lookout --demo --seed 7 --no-kernel ARGS` with the ENV assignments; the
# shell then prints LOOKOUT-EXIT=<status> and waits, so the pane outlives the
# program. bg runs lookout as a background job and writes its pid to
# $TMPD/pid (such a job gets no keys: it is for the signal tests).
session() {
    local mode=$1 cols=$2 rows=$3 env=$4
    shift 4
    end_session lk
    local args=""
    [ $# -gt 0 ] && args=$(printf '%q ' "$@")
    local run="\"$BIN\" --demo --seed 7 --no-kernel $args 2>\"$TMPD/stderr\""
    rm -f "$TMPD/pid"
    {
        echo "export TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $env"
        if [ "$mode" = bg ]; then
            echo "$run &"
            echo "echo \$! >\"$TMPD/pid\""
            echo "wait \$!"
        else
            echo "$run"
        fi
        echo "echo \"LOOKOUT-EXIT=\$?\""
        echo "exec sleep 600"
    } >"$TMPD/run.sh"
    tm new-session -d -s lk -x "$cols" -y "$rows" "bash $TMPD/run.sh"
    if [ "$mode" = bg ]; then
        local deadline=$((SECONDS + 10))
        until [ -s "$TMPD/pid" ] || [ $SECONDS -ge $deadline ]; do sleep 0.05; done
    fi
}
