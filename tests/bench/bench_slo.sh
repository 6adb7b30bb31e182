#!/usr/bin/env bash
# SLO engine at scale: 1,000 counter SLOs with 30-day history; time per
# evaluation tick and memory per SLO. Release build of the engine.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/build.sh
bench_build bench_slo || exit 1
"$B/bench_slo" "${SLO_BENCH_N:-1000}" "${SLO_BENCH_TICKS:-60}"
