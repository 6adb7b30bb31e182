#!/usr/bin/env bash
# SLO engine at scale: 1,000 counter SLOs with 30-day history; time per
# evaluation tick and memory per SLO. Release build of the engine.
set -u
cd "$(dirname "$0")/../.."
B=$(mktemp -d)
trap 'rm -rf "$B"' EXIT
make -s build/rel/liblookout.a >/dev/null || exit 1
gcc -O2 -std=c11 -D_GNU_SOURCE -Iengine -Ibpf -Ibuild/bpf $(pkg-config --cflags libcjson libcurl) \
    -o "$B/bench_slo" tests/bench/bench_slo.c build/rel/liblookout.a \
    $(pkg-config --libs ncursesw libbpf libcurl libcjson libpcre2-8 yaml-0.1) -lm || exit 1
"$B/bench_slo" "${SLO_BENCH_N:-1000}" "${SLO_BENCH_TICKS:-60}"
