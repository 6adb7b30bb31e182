#!/usr/bin/env bash
# Kubernetes client at scale: initial sync of 10,000 pods + 500 nodes +
# 2,000 deployments from the loopback API server (wall, CPU, RSS growth),
# then a pod watch at 1,000 events/s (CPU %). Release build of the engine.
set -u
cd "$(dirname "$0")/../.."
B=$(mktemp -d)
trap 'rm -rf "$B"' EXIT
make -s build/rel/liblookout.a >/dev/null || exit 1
gcc -O2 -std=c11 -D_GNU_SOURCE -Iengine -Ibpf -Ibuild/bpf $(pkg-config --cflags libcjson libcurl) \
    -o "$B/bench_kube" tests/bench/bench_kube.c build/rel/liblookout.a \
    $(pkg-config --libs ncursesw libbpf libcurl libcjson libpcre2-8 yaml-0.1) -lm || exit 1
"$B/bench_kube" "$B" "${KUBE_BENCH_PODS:-10000}" "${KUBE_BENCH_RATE:-1000}" "${KUBE_BENCH_SECONDS:-20}"
