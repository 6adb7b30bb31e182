#!/usr/bin/env bash
# A war room on one engine (docs/share.md): `lookout serve --share` on the
# demo with its copilot on the loopback LLM (tests/servers/fake_llm.py), five
# `lookout --attach` screens in tmux. All five say ATTACHED to the server
# with five viewers and show the same incident and the same analysis; the
# LLM saw the server's requests only (the viewers are configured for an LLM
# of their own on another path, and never call it); killing the server turns
# all five STALE, and they come back when it returns on the same port.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh

python3 tests/servers/fake_llm.py --port 0 --log "$TMPD/llm.log" \
    --fixtures tests/fixtures/llm >"$TMPD/llm.port" &
LLM_PID=$!
SRV_PID=
trap 'kill $LLM_PID $SRV_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do [ -s "$TMPD/llm.port" ] && break; sleep 0.05; done
LPORT=$(awk '{print $2}' "$TMPD/llm.port")

printf 'share-tui-token-0123456789\n' >"$TMPD/token"
chmod 600 "$TMPD/token"
mkdir -p "$TMPD/cfg/lookout"
printf 'copilot:\n  backend: openai\n' >"$TMPD/cfg/lookout/config.yaml"

# serve LISTEN: the shared engine in the background, its pid in SRV_PID.
serve() {
    XDG_CONFIG_HOME="$TMPD/cfg" HOME="$TMPD" OPENAI_API_KEY=sk-test-0123456789 \
        OPENAI_BASE_URL="http://127.0.0.1:$LPORT/answer/v1" \
        "$BIN" serve --share --name warroom --listen "$1" --port-file "$TMPD/port" \
        --token-file "$TMPD/token" --demo --no-kernel --demo-time 60 2>>"$TMPD/serve.err" &
    SRV_PID=$!
}
rm -f "$TMPD/port"
serve 127.0.0.1:0
for _ in $(seq 200); do [ -s "$TMPD/port" ] && break; sleep 0.05; done
PORT=$(cat "$TMPD/port")

VIEWERS="v1 v2 v3 v4 v5"
for v in $VIEWERS; do
    tm new-session -d -s "$v" -x 160 -y 45 "env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
XDG_CONFIG_HOME=/nonexistent HOME=$TMPD OPENAI_API_KEY=sk-test-0123456789 \
OPENAI_BASE_URL=http://127.0.0.1:$LPORT/viewer/v1 \
$BIN --attach http://127.0.0.1:$PORT --token-file $TMPD/token --copilot openai \
2>$TMPD/$v.err; sleep 600"
done

pane() { tm capture-pane -p -t "$1" 2>/dev/null; }
# all_show REGEX SECONDS: every viewer's screen matches within the time.
all_show() {
    local deadline=$((SECONDS + 2 * $2)) v
    for v in $VIEWERS; do
        until pane "$v" | grep -Eq -- "$1"; do
            [ $SECONDS -ge $deadline ] && { echo "    $v: $(pane "$v" | head -1)"; return 1; }
            sleep 0.1
        done
    done
}
# the same text (grep -o REGEX, first match) on every screen, and not empty
same_on_all() {
    local first="" v got
    for v in $VIEWERS; do
        got=$(pane "$v" | grep -Eo -- "$1" | head -1)
        [ -n "$got" ] || { echo "    $v: no match for $1"; return 1; }
        [ -z "$first" ] && first=$got
        [ "$got" = "$first" ] || { echo "    $v: '$got' vs '$first'"; return 1; }
    done
}
capture() { pane v1; }

check "five viewers attached, each counting five" "all_show 'ATTACHED to warroom \(5 viewers\)' 15"
check "the LLM's analysis reaches every screen" "all_show 'Checkout errors rose after a deploy' 15"
check "the same incident on all five" "same_on_all 'INC-[0-9]+ OPEN [a-z]+'"
check "the same analysis time on all five" "same_on_all 'analysed [0-9:]+'"
n_server=$(grep -c '/answer/' "$TMPD/llm.log" 2>/dev/null || true)
n_viewer=$(grep -c '/viewer/' "$TMPD/llm.log" 2>/dev/null || true)
check "the LLM saw the server's requests only ($n_server, viewers $n_viewer)" \
    "[ '${n_server:-0}' -ge 1 ] && [ '${n_viewer:-0}' -eq 0 ]"

kill "$SRV_PID"
wait "$SRV_PID" 2>/dev/null
check "killing the server shows STALE on all five" "all_show 'STALE' 10"
serve "127.0.0.1:$PORT"
check "they recover when it returns on the same port" \
    "all_show 'ATTACHED to warroom \(5 viewers\)' 15"
n_viewer=$(grep -c '/viewer/' "$TMPD/llm.log" 2>/dev/null || true)
check "still no LLM request from a viewer" "[ '${n_viewer:-0}' -eq 0 ]"
# q quits each viewer the way a user does (cleanup kills what is left)
for v in $VIEWERS; do tm send-keys -t "$v" q; done
finish
