#!/usr/bin/env bash
# CI payload parse cost (engine/gitlab.c, engine/github.c) on the recorded
# GitHub runs page and a 32-job GitLab pipeline.
set -u
cd "$(dirname "$0")/../.."
B=$(mktemp -d)
trap 'rm -rf "$B"' EXIT
[ -f build/rel/liblookout.a ] || make -s build/rel/liblookout.a >/dev/null || exit 1
gcc -O2 -std=c11 -D_GNU_SOURCE -Iengine -Ibpf -Ibuild/bpf $(pkg-config --cflags libcjson libcurl) \
    -o "$B/bench_pipelines" tests/bench/bench_pipelines.c build/rel/liblookout.a \
    $(pkg-config --libs ncursesw libbpf libcurl libcjson libpcre2-8 yaml-0.1) -lm || exit 1
"$B/bench_pipelines" "${BENCH_REPS:-20}"
