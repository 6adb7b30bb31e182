#!/usr/bin/env bash
# The deploy gate's security check (GET /v1/gate?security=...) at cluster
# size: 50,000 pods and a hot ring of agent rule matches named by pod UID.
# Release build of the engine.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/build.sh
bench_build bench_gate || exit 1
"$B/bench_gate" "${GATE_BENCH_PODS:-50000}" "${GATE_BENCH_CALLS:-20}"
