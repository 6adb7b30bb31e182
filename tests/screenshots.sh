#!/usr/bin/env bash
# make screenshots: renders the demo's screen in every theme (and war-room
# mode) to docs/screenshots/*.txt with tmux capture-pane -e, so the colours
# are kept as SGR sequences (view with `cat` or `less -R`).
set -u
cd "$(dirname "$0")/.."
BIN="${LOOKOUT_REL:-$PWD/lookout}"
OUT=docs/screenshots
SOCK="lookout-shots-$$"
COLS=${SHOT_COLS:-200} ROWS=${SHOT_ROWS:-50}
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1' EXIT
mkdir -p "$OUT"
# A session that outlives the others, so the server never exits between shots.
tm new-session -d -s keep "sleep 600"

# shot NAME ARGS...: run the demo at second 120 of its story and capture.
shot() {
    local name=$1
    shift
    tm kill-session -t s >/dev/null 2>&1
    tm new-session -d -s s -x "$COLS" -y "$ROWS" \
        "env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $BIN --demo --seed 7 --no-kernel --demo-time 120 $*; sleep 600"
    local deadline=$((SECONDS + 20))
    until tm capture-pane -p -t s 2>/dev/null | grep -q "${WAIT_FOR:-Copilot suggestions}"; do
        [ $SECONDS -ge $deadline ] && { echo "screenshots: $name did not render" >&2; return 1; }
        sleep 0.1
    done
    sleep 1.5 # let a second frame with the first refresh land
    tm capture-pane -p -e -t s >"$OUT/$name.txt"
    echo "  $OUT/$name.txt"
}

status=0
for f in themes/*.theme; do
    name=$(basename "$f" .theme)
    shot "$name" --theme "$name" || status=1
done
WAIT_FOR="OPEN INCIDENTS" shot war-room --war-room || status=1
COLS=80 ROWS=24 shot default-80x24 || status=1
exit $status
