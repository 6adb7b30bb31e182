#!/usr/bin/env bash
# Issue 19 item 3: one headless console and N node agents on loopback, found
# through a Kubernetes-like server (tests/bench/bench_agents.py says how each
# figure is taken). N = 10, 50, 200 with the default filter (warn+ above
# three agents) and N = 200 with every event, 50 events/s per agent; about
# 2.5 minutes. BENCH_AGENTS_SCENARIOS, BENCH_AGENTS_WINDOW override.
set -u
cd "$(dirname "$0")/../.."
exec python3 tests/bench/bench_agents.py --bin "${LOOKOUT_REL:-$PWD/lookout}" \
    --scenarios "${BENCH_AGENTS_SCENARIOS:-10,50,200,200:all}" \
    --window "${BENCH_AGENTS_WINDOW:-12}"
