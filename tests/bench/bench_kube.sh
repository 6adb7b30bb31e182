#!/usr/bin/env bash
# Kubernetes client at scale: initial sync of 10,000 pods + 500 nodes +
# 2,000 deployments from the loopback API server (wall, CPU, RSS growth),
# then a pod watch at 1,000 events/s (CPU %). Release build of the engine.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/build.sh
bench_build bench_kube || exit 1
"$B/bench_kube" "$B" "${KUBE_BENCH_PODS:-10000}" "${KUBE_BENCH_RATE:-1000}" "${KUBE_BENCH_SECONDS:-20}"
