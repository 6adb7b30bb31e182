#!/usr/bin/env bash
# make bench: runs every tests/bench/bench_*.sh in turn; each prints its figures.
set -u
cd "$(dirname "$0")/../.."
export LOOKOUT_REL="$PWD/lookout" LOOKOUT_ROOT="$PWD"
status=0
for b in tests/bench/bench_*.sh; do
    [ -f "$b" ] || continue
    [ -n "${1:-}" ] && [[ $b != *$1* ]] && continue
    echo "== $(basename "$b" .sh)"
    bash "$b" || { echo "   (failed: $b)"; status=1; }
done
exit $status
