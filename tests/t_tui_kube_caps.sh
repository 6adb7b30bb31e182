#!/usr/bin/env bash
# The header of a cluster larger than the pods table's cap (issue 23): with
# kubernetes.max_pods 200 against 300 pods from the loopback API server (TLS,
# bearer token), the header says the source is PARTIAL and how many pods it
# kept, never a quiet "synced". Waits poll the pane with deadlines.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh
type skip >/dev/null 2>&1 || skip() { echo "SKIP $1: $2"; }

python3 tests/servers/fake_apiserver.py --fixtures tests/fixtures/k8s --tls "$TMPD/certs" \
    --bulk 300 --token caps-token >"$TMPD/server.out" 2>/dev/null &
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

end_session lk
{
    echo "export TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8"
    echo "unset KUBECONFIG KUBERNETES_SERVICE_HOST"
    echo "\"$BIN\" --no-kernel --config \"$TMPD/config.yaml\" 2>\"$TMPD/stderr\""
    echo "echo \"LOOKOUT-EXIT=\$?\""
    echo "exec sleep 600"
} >"$TMPD/run.sh"
tm new-session -d -s lk -x 200 -y 40 "bash $TMPD/run.sh"

check "header says the source is partial" "wait_for 'kube:big PARTIAL' 20"
check "header says how many pods were kept" "wait_for 'pods: 200 of 300 kept' 5"
check "never a plain synced while pods are missing" "! capture | grep -q 'kube:big synced'"
keys q
finish
