#!/usr/bin/env bash
# A mass failure on the screen (issue 23), against the loopback API server
# (TLS, bearer token) seeded with 300 pods of 3 deployments (150 and 100
# crash-looping, 50 healthy), 2 crash-looping pods of a second cart (in
# namespace staging) and 30 bare pods. With kubernetes.max_pods 200
# the header says the source is PARTIAL and how many pods it kept, never a
# quiet "synced". Without the cap, the cluster view at 80x24 shows one row
# per deployment with its counts (the count kept whole at that width; the
# two carts with their namespaces in front), a bare pod as its own row, Enter opens a group and `o` lists one row per
# pod. Waits poll the pane with deadlines.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh
type skip >/dev/null 2>&1 || skip() { echo "SKIP $1: $2"; }

python3 tests/servers/fake_apiserver.py --fixtures tests/fixtures/k8s --tls "$TMPD/certs" \
    --mass 300 --twin 2 --bulk 30 --token caps-token >"$TMPD/server.out" 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; cleanup' EXIT
for _ in $(seq 300); do
    grep -q port "$TMPD/server.out" 2>/dev/null && break
    sleep 0.1
done
PORT=$(sed -n 's/.*"port": \([0-9]*\).*/\1/p' "$TMPD/server.out")
if [ -z "$PORT" ]; then
    skip "header PARTIAL" "the fake API server did not start"
    finish
    exit
fi
cat >"$TMPD/kubeconfig" <<KC
current-context: big
clusters:
- name: c
  cluster: {server: 'https://127.0.0.1:$PORT', certificate-authority: '$TMPD/certs/ca.crt'}
contexts:
- name: big
  context: {cluster: c, user: u}
users:
- name: u
  user: {token: caps-token}
KC
chmod 600 "$TMPD/kubeconfig"
printf 'kubernetes:\n  enabled: true\n  kubeconfig: %s\n  max_pods: 200\n' "$TMPD/kubeconfig" \
    >"$TMPD/config.yaml"
printf 'kubernetes:\n  enabled: true\n  kubeconfig: %s\n' "$TMPD/kubeconfig" >"$TMPD/all.yaml"

# start COLS ROWS CONFIG: a fresh session "lk" running lookout on CONFIG
start() {
    end_session lk
    {
        echo "export TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8"
        echo "unset KUBECONFIG KUBERNETES_SERVICE_HOST"
        echo "\"$BIN\" --no-kernel --config \"$3\" 2>\"$TMPD/stderr\""
        echo "echo \"LOOKOUT-EXIT=\$?\""
        echo "exec sleep 600"
    } >"$TMPD/run.sh"
    tm new-session -d -s lk -x "$1" -y "$2" "bash $TMPD/run.sh"
}
# list_rows N: the first N rows of the cluster list (under the column heads)
list_rows() { capture | sed -n '/^ *\(KIND  *\)\?\(NAMESPACE  *\)\?NAME  /,$p' | sed -n "2,$(($1 + 1))p"; }

start 200 40 "$TMPD/config.yaml"
check "header says the source is partial" "wait_for 'kube:big PARTIAL' 20"
check "header says how many pods were kept" "wait_for 'pods: 200 of 332 kept' 5"
check "never a plain synced while pods are missing" "! capture | grep -q 'kube:big synced'"
keys q

start 80 24 "$TMPD/all.yaml"
keys c
check "80x24: the cluster view counts every pod" "wait_for 'pods 332, 253 failing' 20"
check "80x24: one row per failing deployment, most broken first, counts whole" \
    "list_rows 2 | sed -n 1p | grep -Eq 'cart +150 pods: 150 CrashLoopBackOff' &&
     list_rows 2 | sed -n 2p | grep -Eq 'search +100 pods: 80 CrashLoopBackOff, 20 OOMKilled'"
check "80x24: no row of a grouped pod" "! capture | grep -q 'cart-5d8f7c9b6a-'"
check "80x24: two deployments named cart read apart: their namespaces in front" \
    "list_rows 3 | sed -n 1p | grep -Eq 'shop/deploy/cart +150 pods' &&
     list_rows 3 | sed -n 3p | grep -Eq 'staging/deploy/cart +2 pods: 2 CrashLoopBackOff' &&
     list_rows 3 | sed -n 2p | grep -Eq '^ *. deploy/search +100 pods'"
check "80x24: a pod with no owner is a row of its own" \
    "list_rows 4 | sed -n 4p | grep -Eq 'app-0000-00000 +CrashLoopBackOff'"
check "80x24: a healthy deployment is one row too" "capture | grep -Eq 'ingest +50 pods, all ready'"
keys Enter
check "80x24: Enter opens the group, its pods under it" \
    "wait_for 'cluster: shop/cart opened' 5 && list_rows 3 | sed -n 2,3p | grep -c '^ *cart-5d8f7c9b6a-' | grep -qx 2"
check "80x24: the open group keeps its count" "list_rows 1 | grep -Eq 'cart +150 pods'"
keys o
check "80x24: o lists one row per pod" \
    "wait_for 'one row per pod' 5 && list_rows 5 | grep -Ec '^ *(cart|search)-5d8f7c9b6a-[0-9]+ +(CrashLoopBackOff|OOMKilled) ' | grep -qx 5 &&
     ! capture | grep -q '150 pods'"
keys q
finish
