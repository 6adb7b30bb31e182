#!/usr/bin/env bash
# Held-out check of the context detector's parameters (not part of make bench:
# 45 NAB runs, ~2 min of one core). For each folder: pick the grid point with
# the best standard score on that folder alone, then report the OTHER folder's
# scores with those parameters (the threshold is still optimised per folder, as
# NAB does for every detector). Figures in docs/aiops.md.
set -eu
cd "$(dirname "$0")/../.."
LOOKOUT_REL="${LOOKOUT_REL:-$PWD/lookout}"
NAB="tests/fixtures/nab"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
folders="realAWSCloudwatch realKnownCause"
score() { # folder -> "standard low_FP low_FN"
    python3 tests/nab_score.py --data "$NAB/data" --windows "$NAB/labels/combined_windows.json" \
        --profiles "$NAB/config/profiles.json" --results "$tmp/out" --detectors context \
        --folders "$1" | awk '$1 == "context" {print $2, $3, $4}'
}
for fam in 0 1.5 2 3 5; do
    for levels in 4 6 8; do
        for beyond in 0 0.02 0.05; do
            rm -rf "$tmp/out"
            "$LOOKOUT_REL" nab --data "$NAB/data" --labels "$NAB/labels/combined_windows.json" \
                --detector context --out "$tmp/out" --param ctx_fam=$fam \
                --param ctx_levels=$levels --param ctx_beyond=$beyond >/dev/null
            for f in $folders; do
                echo "$f ctx_fam=$fam,ctx_levels=$levels,ctx_beyond=$beyond $(score "$f")"
            done >>"$tmp/grid"
        done
    done
done
for tune in $folders; do
    best=$(awk -v f="$tune" '$1 == f' "$tmp/grid" | sort -k3 -g -r | head -1)
    params=$(echo "$best" | cut -d' ' -f2)
    for other in $folders; do
        [ "$other" = "$tune" ] && continue
        held=$(awk -v f="$other" -v p="$params" '$1 == f && $2 == p {print $3, $4, $5}' "$tmp/grid")
        echo "tuned on $tune ($params, in-sample standard $(echo "$best" | cut -d' ' -f3)):"
        echo "  held-out $other standard/low_FP/low_FN: $held"
    done
done
