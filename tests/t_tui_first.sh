#!/usr/bin/env bash
# First contact: Lookout with nothing configured (an empty XDG_CONFIG_HOME,
# no KUBECONFIG, no --demo) shows a card with the config path it looked
# for, the demo, the docs and what kernel events need; the kernel panel says
# why it is off (for an --attach viewer: that the server has no kernel
# source; a viewer that never reached its server shows a "not attached
# yet" card, its header figures "?"). As root, and (when setpriv works here) as nobody. Waits poll the
# pane with deadlines.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh
type skip >/dev/null 2>&1 || skip() { echo "SKIP $1: $2"; }

EMPTY="$TMPD/home"
mkdir -p "$EMPTY"
chmod 755 "$TMPD" "$EMPTY"

# bare COLS ROWS PREFIX ARGS...: lookout without --demo in a fresh session,
# run through PREFIX (a command such as setpriv, or "").
bare() {
    local cols=$1 rows=$2 prefix=$3
    shift 3
    local args=""
    [ $# -gt 0 ] && args=$(printf '%q ' "$@")
    end_session lk
    {
        echo "export TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8"
        echo "export HOME=$EMPTY XDG_CONFIG_HOME=$EMPTY XDG_STATE_HOME=$EMPTY"
        echo "unset KUBECONFIG"
        echo "cd $EMPTY"
        echo "$prefix \"$BIN\" $args 2>\"$TMPD/stderr\""
        echo "echo \"LOOKOUT-EXIT=\$?\""
        echo "exec sleep 600"
    } >"$TMPD/run.sh"
    tm new-session -d -s lk -x "$cols" -y "$rows" "bash $TMPD/run.sh"
}

# raw_has REGEX: whether the bytes the pane received (pipe-pane), escape
# sequences removed, match.
raw_has() {
    sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[()][0-9A-Z]//g' "$TMPD/raw" 2>/dev/null |
        grep -aEq -- "$1"
}

# As root the BPF load runs after the first frame: that frame says "loading
# kernel programs" (header badge, card), the words go once the programs are
# attached, and the card then says whether kernel events are on. The pane's
# bytes are recorded from before lookout starts (the shell waits on a fifo
# until pipe-pane is on), so the first frame is checked however fast the
# load is. Then a load that fails after the first frame shows as a failed
# start did (every kind off: no hook attaches), in the kernel panel too (a
# config file, so the panels show instead of the card).
root_kernel() {
    rm -f "$TMPD/go" "$TMPD/raw"
    mkfifo "$TMPD/go"
    bare 120 40 "read -r _ <$TMPD/go;"
    tm pipe-pane -t lk "cat >>$TMPD/raw"
    echo go >"$TMPD/go"
    check "root: the card says whether kernel events are on" \
        "wait_for 'kernel events on|kernel events off' 30"
    if [ -r /sys/kernel/btf/vmlinux ]; then
        check "root: the first frame says loading kernel programs" \
            "raw_has 'loading ?kernel ?programs'"
        check "root: the badge goes once the programs are attached" \
            "wait_gone 'loading kernel programs' 30 && ! capture | grep -q 'kernel starting'"
    else
        skip "the loading kernel programs badge" "this kernel has no BTF"
    fi
    keys q
    wait_for 'LOOKOUT-EXIT' 10
    {
        echo "kernel:"
        echo "  kinds: {exec: false, exit: false, open: false, priv: false, connect: false,"
        echo "          accept: false, reset: false, retransmit: false, oom: false,"
        echo "          fork: false, throttle: false, cgroup: false}"
    } >"$TMPD/nohooks.yaml"
    bare 120 40 "" --config "$TMPD/nohooks.yaml"
    check "root: a load that fails after the first frame shows in the header and panel" \
        "wait_for 'kernel FAILED' 30 && wait_for 'kernel events off: no kernel hook could attach' 10"
    keys q
    wait_for 'LOOKOUT-EXIT' 10
}

for size in "120 40" "80 24"; do
    set -- $size
    bare "$1" "$2" "" --no-kernel
    check "$1x$2: the first-contact card shows" "wait_for 'nothing is configured yet' 20"
    check "$1x$2: it names the config path it looked for" \
        "capture | tr -s ' \\n' ' ' | grep -q 'looked for $EMPTY/lookout/config.yaml'"
    check "$1x$2: it offers the demo and the docs" \
        "capture | grep -q 'lookout --demo' && capture | grep -q 'man lookout, or in the source man ./docs/lookout.1'"
    check "$1x$2: it says what kernel events need" "capture | grep -q 'need root'"
    check "$1x$2: q quit and ? help stay on the status line" \
        "capture | tail -n 1 | grep -q '? help.*q quit'"
    if [ "$1" = 120 ]; then
        check "--no-kernel: the kernel panel says why it is off" \
            "capture | grep -q 'kernel events off: started with --no-kernel'"
        check "--no-kernel, nothing configured: no source on is not 'all quiet'" \
            "capture | grep -q 'no incidents, but no source is on (S)' && ! capture | grep -q 'all quiet'"
    fi
    if [ "$1" = 80 ]; then
        keys : ; keys -l prod; keys Enter
        check "80x24: : with no cluster says how to start one, whole" \
            "wait_for 'no kubernetes source: start lookout with --context NAME' 5"
    fi
    keys q
    check "$1x$2: q quits" "wait_for 'LOOKOUT-EXIT=0' 10"
done

# An --attach viewer that never reached its server knows nothing: a card
# says so and why, the header's figures are "?", and no panel claims "no
# pipelines configured" or "0 incidents" about a server it never heard.
bare 120 40 "" --attach http://127.0.0.1:9
check "--attach, server down: a card says not attached yet, and why" \
    "wait_for 'Not attached yet' 20 && wait_for 'Why +.*Couldn.t connect' 10"
check "--attach, server down: the header's figures are unknown, no panel speaks" \
    "capture | sed -n 1p | grep -q 'gate ?  incidents ?' && ! capture | grep -q 'no pipelines configured'"
keys q
wait_for 'LOOKOUT-EXIT' 10
# Attached to a server with no kernel source (and no demo), the viewer's
# kernel panel speaks of the server, not of a --no-kernel it was never given.
rm -f "$TMPD/srv.port"
HOME="$EMPTY" XDG_CONFIG_HOME="$EMPTY" "${LOOKOUT_REL:-$PWD/lookout}" serve --share --no-kernel \
    --listen 127.0.0.1:0 --port-file "$TMPD/srv.port" 2>"$TMPD/srv.err" &
SRV=$!
for _ in $(seq 200); do [ -s "$TMPD/srv.port" ] && break; sleep 0.05; done
bare 120 40 "" --attach "http://127.0.0.1:$(cat "$TMPD/srv.port" 2>/dev/null)"
check "--attach: the kernel panel speaks of the server" \
    "wait_for 'kernel events off: the attached server has no kernel source' 20"
keys q
wait_for 'LOOKOUT-EXIT' 10
kill $SRV 2>/dev/null
wait $SRV 2>/dev/null

# A project configured whose GitLab does not answer: the pipeline panel says
# so with the error, never "no pipelines configured" (which would send the
# reader to a config that is right).
printf 'gitlab:\n  url: http://127.0.0.1:9\n  projects: [shop/checkout]\n' >"$TMPD/deadci.yaml"
bare 120 40 "GITLAB_TOKEN=glpat-x" --no-kernel --config "$TMPD/deadci.yaml"
check "GitLab down: the pipeline panel names it, not 'no pipelines configured'" \
    "wait_for 'no pipelines yet: gitlab (stale|failed): ' 20 && ! capture | grep -q 'no pipelines configured'"
keys q
wait_for 'LOOKOUT-EXIT' 10

# With the demo the card never shows.
session fg 120 40 ""
wait_for 'Copilot suggestions' 20
check "--demo: no first-contact card" "! capture | grep -q 'nothing is configured'"
keys q
wait_for 'LOOKOUT-EXIT=0' 10

# As root the kernel source runs (or says why it cannot); as nobody the
# kernel panel says that root is needed.
if [ "$(id -u)" = 0 ]; then
    root_kernel
    if setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
        bare 120 40 "setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all"
        check "nobody: the card shows" "wait_for 'nothing is configured yet' 20"
        check "nobody: the kernel panel says root is needed" \
            "wait_for 'kernel events off: kernel events need root or CAP_BPF' 20"
        keys q
        check "nobody: q quits" "wait_for 'LOOKOUT-EXIT=0' 10"
    else
        skip "the non-root case" "setpriv cannot switch to nobody here"
    fi
fi
check "no sanitizer report" "! grep -q 'ERROR: AddressSanitizer\\|runtime error' $TMPD/stderr"

finish
