#!/usr/bin/env bash
# Engine table at scale: 10,000 pod rows, then 1,000 removals of random keys
# (a namespace deletion); microseconds per insert, update, remove and lookup.
# Release build of the engine.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/build.sh
bench_build bench_table || exit 1
"$B/bench_table" "${TABLE_BENCH_ROWS:-10000}" "${TABLE_BENCH_REMOVES:-1000}"
