#!/usr/bin/env bash
# The cluster view's cost per frame on a large cluster: the release build
# against the loopback API server seeded with CLUSTER_BENCH_PODS pods
# (default 20,000; N/20 nodes, N/5 deployments whose ReplicaSets own the
# pods, plus the story's broken ones), in tmux at 200x50. After the sync,
# 100 `j` presses each draw a frame; the CPU time lookout spends over them,
# divided by 100, is the cost of a frame, in the cluster view (pods grouped
# by owner, the default, then one row per pod after `o`) and on the usual
# panels. Target: a cluster-view frame under 10 ms at 20k pods either way
# (one pass and one sort of the problem set, the groups summed in that pass,
# only the visible rows formatted).
set -u
cd "$(dirname "$0")/../.."
BIN="${LOOKOUT_REL:-$PWD/lookout}"
PODS="${CLUSTER_BENCH_PODS:-20000}"
if ! command -v tmux >/dev/null; then
    echo "SKIP bench_cluster: tmux is not installed (make deps installs it)"
    exit 0
fi
TMPD=$(mktemp -d)
SOCK="lookout-bench-$$"
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
    tm kill-server >/dev/null 2>&1
    [ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null
    rm -rf "$TMPD"
}
trap cleanup EXIT

python3 tests/servers/fake_apiserver.py --fixtures tests/fixtures/k8s --story --token bench-token --bulk "$PODS" --owned \
    >"$TMPD/port" 2>/dev/null &
SRV=$!
deadline=$((SECONDS + 120))
until [ -s "$TMPD/port" ] || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$TMPD/port") ||
    { echo "   the API server did not start"; exit 1; }
cat >"$TMPD/kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: bench
clusters: [{name: c, cluster: {server: "http://127.0.0.1:$port"}}]
contexts: [{name: bench, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: bench-token}}]
EOF
chmod 600 "$TMPD/kubeconfig"
printf 'kubernetes:\n  kubeconfig: %s\n' "$TMPD/kubeconfig" >"$TMPD/config.yaml"

tm new-session -d -s lk -x 200 -y 50 \
    "TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $BIN --config $TMPD/config.yaml --no-kernel --refresh 1000; sleep 600"
pid=""
deadline=$((SECONDS + 20))
until [ -n "$pid" ] || [ $SECONDS -ge $deadline ]; do
    pid=$(pgrep -n -f -- "--config $TMPD/config.yaml") || sleep 0.1
done
[ -n "$pid" ] || { echo "   lookout did not start"; exit 1; }
tm send-keys -t lk c
# Synced when the view counts every seeded pod.
deadline=$((SECONDS + ${CLUSTER_BENCH_SYNC_S:-180}))
until tm capture-pane -p -t lk | grep -Eq "pods ([0-9]+), " &&
    [ "$(tm capture-pane -p -t lk | grep -Eo 'pods [0-9]+' | head -1 | cut -d' ' -f2)" -ge "$PODS" ]; do
    [ $SECONDS -ge $deadline ] && { echo "   the cluster did not sync:"; tm capture-pane -p -t lk | head -5; exit 1; }
    sleep 0.5
done

cpu_ms() { awk '{ print ($14 + $15) * 1000 / '"$(getconf CLK_TCK)"' }' "/proc/$pid/stat"; }
# frame_ms: CPU per frame over 100 key presses, each its own frame.
frame_ms() {
    local before after
    sleep 1.5 # let the once-a-second clock frame pass, so it is not counted
    before=$(cpu_ms)
    for _ in $(seq 100); do
        tm send-keys -t lk j
        sleep 0.02
    done
    sleep 0.3
    after=$(cpu_ms)
    awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", (b - a) / 100 }'
}
cluster=$(frame_ms)
tm send-keys -t lk o
flat=$(frame_ms)
tm send-keys -t lk c
panels=$(frame_ms)

echo "   $PODS pods (+ N/20 nodes, N/5 deployments), 200x50, release build"
echo "   CPU per frame, cluster view grouped by owner:  $cluster ms"
echo "   CPU per frame, cluster view one row per pod:   $flat ms"
echo "   CPU per frame, usual panels:                   $panels ms"
awk -v c="$cluster" -v f="$flat" 'BEGIN { ok = c < 10 && f < 10; print "   cluster frame under 10 ms:", ok ? "yes" : "NO"; exit !ok }'
