#!/usr/bin/env bash
# NAB figures: our detectors and the seven published ones, all scored by
# tests/nab_score.py in this run on the same 24 files (NAB's realAWSCloudwatch
# and realKnownCause); plus each detector's cost per sample and per series.
set -eu
cd "$(dirname "$0")/../.."
LOOKOUT_REL="${LOOKOUT_REL:-$PWD/lookout}"
NAB="tests/fixtures/nab"
[ -d "$NAB/data" ] || { echo "bench_nab: $NAB missing"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "cost (C detectors, one core, $(nproc) shared):"
for det in robust rcf context; do
    line=$("$LOOKOUT_REL" nab --data "$NAB/data" --labels "$NAB/labels/combined_windows.json" \
        --detector "$det" --out "$tmp")
    echo "  $line"
done
echo "normalised NAB scores on this subset (perfect 100, null 0; same scorer, one threshold"
echo "per detector and profile over the corpus; NOT comparable with NAB's full-corpus scoreboard):"
python3 tests/nab_score.py --data "$NAB/data" --windows "$NAB/labels/combined_windows.json" \
    --profiles "$NAB/config/profiles.json" --results "$tmp" --results "$NAB/results" --null |
    sed 's/^/  /'
echo "per folder (each scored alone, threshold optimised within it; see docs/aiops.md for the"
echo "held-out parameter check):"
for folder in realAWSCloudwatch realKnownCause; do
    echo "  $folder:"
    python3 tests/nab_score.py --data "$NAB/data" --windows "$NAB/labels/combined_windows.json" \
        --profiles "$NAB/config/profiles.json" --results "$tmp" --results "$NAB/results" \
        --folders "$folder" | sed 's/^/    /'
done
