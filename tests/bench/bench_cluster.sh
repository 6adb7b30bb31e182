#!/usr/bin/env bash
# The cluster view's cost per frame on a large cluster: the release build
# against the loopback API server seeded with CLUSTER_BENCH_PODS pods
# (default 20,000; N/20 nodes, N/5 deployments whose ReplicaSets own the
# pods, plus the story's broken ones), in tmux at 200x50. After the sync,
# 100 `j` presses each draw a frame; the CPU time lookout spends over them,
# divided by 100, is the cost of a frame, in the cluster view (pods grouped
# by owner, the default, then one row per pod after `o`) and on the usual
# panels. Then a mass failure (CLUSTER_BENCH_MASS pods, default 50,000, of
# 3 deployments, 41,667 of them crash-looping: fake_apiserver.py --mass; 0
# skips it), grouped and one row per pod: one row per pod is then 40k+
# problem rows. Its server seeds while the first case runs.
# Target: a cluster-view frame under 10 ms in every case (one pass over the
# tables, the groups summed in that pass, only the problem rows on screen
# put in order, only the visible rows formatted).
set -u
cd "$(dirname "$0")/../.."
BIN="${LOOKOUT_REL:-$PWD/lookout}"
PODS="${CLUSTER_BENCH_PODS:-20000}"
MASS="${CLUSTER_BENCH_MASS:-50000}"
if ! command -v tmux >/dev/null; then
    echo "SKIP bench_cluster: tmux is not installed (make deps installs it)"
    exit 0
fi
TMPD=$(mktemp -d)
SOCK="lookout-bench-$$"
SRVS=""
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
    tm kill-server >/dev/null 2>&1
    for s in $SRVS; do kill "$s" 2>/dev/null; done
    rm -rf "$TMPD"
}
trap cleanup EXIT

# start_server NAME ARGS...: a seeded API server; its port lands in $TMPD/NAME.port.
start_server() {
    local name=$1
    shift
    python3 tests/servers/fake_apiserver.py --fixtures tests/fixtures/k8s --token bench-token "$@" \
        >"$TMPD/$name.port" 2>/dev/null &
    SRVS="$SRVS $!"
}

# start_lookout NAME PODS: lookout in tmux session NAME against server NAME,
# in the cluster view, once it counts PODS pods; sets pid.
start_lookout() {
    local name=$1 want=$2 port deadline
    deadline=$((SECONDS + 120))
    until [ -s "$TMPD/$name.port" ] || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
    port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$TMPD/$name.port") ||
        { echo "   the API server did not start"; return 1; }
    printf '%s\n' "apiVersion: v1" "kind: Config" "current-context: bench" \
        "clusters: [{name: c, cluster: {server: \"http://127.0.0.1:$port\"}}]" \
        "contexts: [{name: bench, context: {cluster: c, user: u}}]" \
        "users: [{name: u, user: {token: bench-token}}]" >"$TMPD/$name.kubeconfig"
    chmod 600 "$TMPD/$name.kubeconfig"
    printf 'kubernetes:\n  kubeconfig: %s\n' "$TMPD/$name.kubeconfig" >"$TMPD/$name.yaml"
    tm new-session -d -s "$name" -x 200 -y 50 \
        "TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $BIN --config $TMPD/$name.yaml --no-kernel --refresh 1000; sleep 600"
    pid=""
    deadline=$((SECONDS + 20))
    until [ -n "$pid" ] || [ $SECONDS -ge $deadline ]; do
        pid=$(pgrep -n -f -- "--config $TMPD/$name.yaml") || sleep 0.1
    done
    [ -n "$pid" ] || { echo "   lookout did not start"; return 1; }
    tm send-keys -t "$name" c
    # Synced when the view counts every seeded pod.
    deadline=$((SECONDS + ${CLUSTER_BENCH_SYNC_S:-180}))
    until tm capture-pane -p -t "$name" | grep -Eq "pods ([0-9]+), " &&
        [ "$(tm capture-pane -p -t "$name" | grep -Eo 'pods [0-9]+' | head -1 | cut -d' ' -f2)" -ge "$want" ]; do
        if [ $SECONDS -ge $deadline ]; then
            echo "   the cluster did not sync:"
            tm capture-pane -p -t "$name" | head -5
            return 1
        fi
        sleep 0.5
    done
}

cpu_ms() { awk '{ print ($14 + $15) * 1000 / '"$(getconf CLK_TCK)"' }' "/proc/$pid/stat"; }
# frame_ms NAME: CPU per frame over 100 key presses, each its own frame.
frame_ms() {
    local before after
    sleep 1.5 # let the once-a-second clock frame pass, so it is not counted
    before=$(cpu_ms)
    for _ in $(seq 100); do
        tm send-keys -t "$1" j
        sleep 0.02
    done
    sleep 0.3
    after=$(cpu_ms)
    awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", (b - a) / 100 }'
}

start_server bulk --story --bulk "$PODS" --owned
[ "$MASS" -gt 0 ] && start_server mass --mass "$MASS"
start_lookout bulk "$PODS" || exit 1
cluster=$(frame_ms bulk)
tm send-keys -t bulk o
flat=$(frame_ms bulk)
tm send-keys -t bulk c
panels=$(frame_ms bulk)
tm kill-session -t bulk
mass_g=0 mass_o=0 mass_f=0
if [ "$MASS" -gt 0 ]; then
    start_lookout mass "$MASS" || exit 1
    mass_g=$(frame_ms mass)
    tm send-keys -t mass g Enter # the first row, cart: its 25,000 pods under it
    mass_o=$(frame_ms mass)
    tm send-keys -t mass g Enter o
    mass_f=$(frame_ms mass)
fi

echo "   $PODS pods (+ N/20 nodes, N/5 deployments), 200x50, release build"
echo "   CPU per frame, cluster view grouped by owner:  $cluster ms"
echo "   CPU per frame, cluster view one row per pod:   $flat ms"
echo "   CPU per frame, usual panels:                   $panels ms"
if [ "$MASS" -gt 0 ]; then
    echo "   mass failure: $MASS pods of 3 deployments, 5 in 6 crash-looping"
    echo "   CPU per frame, cluster view grouped by owner:  $mass_g ms"
    echo "   CPU per frame, the same, cart's group open:    $mass_o ms"
    echo "   CPU per frame, cluster view one row per pod:   $mass_f ms"
fi
awk -v c="$cluster" -v f="$flat" -v g="$mass_g" -v o="$mass_o" -v m="$mass_f" \
    'BEGIN { ok = c < 10 && f < 10 && g < 10 && o < 10 && m < 10; print "   cluster frame under 10 ms:", ok ? "yes" : "NO"; exit !ok }'
