#!/usr/bin/env bash
# Kubernetes client at scale (issue 23), over TLS with a bearer token against
# the loopback API server, beside kubectl (Debian's kubernetes-client) on the
# same server: initial sync of 1k/10k/50k pods with 500 nodes and 2,000
# deployments (wall / CPU / peak RSS), then 30 s of 1,000 MODIFIED events/s
# (CPU % of a core): at 10k pods the 20% crash mix, at 50k pods healthy and
# the crash mix. From 10k pods one service per namespace is configured (50),
# so the correlator maps every pod and opens an incident per service with
# failing pods: the mass-failure path runs, not only the watch. 70k is the
# "more pods than the old 60,000 cap" check: every pod kept, sync only.
# KUBE_BENCH_SIZES, KUBE_BENCH_WATCH_AT, KUBE_BENCH_RATE, KUBE_BENCH_SECONDS
# change the run.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/build.sh
bench_build bench_kube || exit 1
sizes=${KUBE_BENCH_SIZES:-1000 10000 50000 70000}
watch_at=${KUBE_BENCH_WATCH_AT:-50000}
command -v kubectl >/dev/null || echo "   SKIP kubectl column: kubectl not installed (make deps installs kubernetes-client)"
echo "   | pods | Lookout sync: wall / CPU / peak RSS | kubectl get pods -A | 50k target: < 2 s CPU, < 150 MB |"
status=0
for n in $sizes; do
    secs=0 mode=""
    if [ "$n" = "$watch_at" ]; then
        secs=${KUBE_BENCH_SECONDS:-30} mode=services
    elif [ "$n" -ge 10000 ] && [ "$n" -lt "$watch_at" ]; then
        secs=${KUBE_BENCH_SECONDS:-30} mode=services-crash
    fi
    [ "$secs" != 0 ] && echo "   (then the watch at $n pods, 50 services: | stream | Lookout CPU | kubectl --watch CPU | target | |)"
    d=$(mktemp -d -p "$B")
    "$B/bench_kube" "$d" "$n" "${KUBE_BENCH_RATE:-1000}" "$secs" $mode || status=1
done
exit $status
