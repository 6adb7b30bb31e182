#!/usr/bin/env bash
# User-space cost of the kernel event ingest (attribution + rules + engine
# ring) and of the agent's JSON encoding, on synthetic events (no root
# needed): the budget the kernel side's full path spends after the ring.
set -u
cd "$(dirname "$0")/../.."
B=$(mktemp -d)
trap 'rm -rf "$B"' EXIT
[ -f build/rel/liblookout.a ] || make -s build/rel/liblookout.a >/dev/null || exit 1
gcc -O2 -std=c11 -D_GNU_SOURCE -Iengine -Ibpf -Ibuild/bpf $(pkg-config --cflags libcjson libpcre2-8) \
    -o "$B/bench_ingest" tests/bench/bench_ingest.c build/rel/liblookout.a \
    $(pkg-config --libs ncursesw libbpf libcurl libcjson libpcre2-8 yaml-0.1) -lm || exit 1
"$B/bench_ingest" "${BENCH_REPS:-20}"
