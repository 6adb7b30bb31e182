#!/usr/bin/env bash
# User-space cost of the kernel event ingest (attribution + rules + engine
# ring) and of the agent's JSON encoding, on synthetic events (no root
# needed): the budget the kernel side's full path spends after the ring.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/build.sh
bench_build bench_ingest || exit 1
"$B/bench_ingest" "${BENCH_REPS:-20}"
