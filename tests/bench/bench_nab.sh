#!/usr/bin/env bash
# NAB figures on the 42 labelled files of tests/fixtures/nab (five folders):
# each detector's cost per sample and per series, then the leave-one-folder-out
# table (each folder scored with the parameters tests/nab_lofo.py chose on the
# other four, read from tests/bench/nab_params.json, which only the protocol
# writes) and the in-sample one, beside the eight published detectors, all
# scored by tests/nab_score.py in this run. Re-run the protocol after changing
# a detector or the grid:
#   python3 tests/nab_lofo.py protocol --lookout ./lookout --nab tests/fixtures/nab \
#       --grid tests/bench/nab_grid.json --write tests/bench/nab_params.json --jobs 2
set -eu
cd "$(dirname "$0")/../.."
LOOKOUT_REL="${LOOKOUT_REL:-$PWD/lookout}"
NAB="tests/fixtures/nab"
[ -d "$NAB/data" ] || { echo "bench_nab: $NAB missing"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "cost (C detectors at their defaults, one core, $(nproc) shared):"
for det in robust rcf context cad; do
    line=$("$LOOKOUT_REL" nab --data "$NAB/data" --labels "$NAB/labels/combined_windows.json" \
        --detector "$det" --out "$tmp" --lenient-times 2>/dev/null)
    echo "  $line"
done
echo "normalised NAB scores (perfect 100, null 0) on these 42 files, 77 windows; NOT comparable"
echo "with NAB's full-corpus scoreboard:"
python3 tests/nab_lofo.py report --lookout "$LOOKOUT_REL" --nab "$NAB" \
    --params tests/bench/nab_params.json | sed 's/^/  /'
