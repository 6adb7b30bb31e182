#!/usr/bin/env python3
"""Unit tests of tests/nab_score.py against hand-computed cases, and one
per-file figure NAB itself published (numenta on nyc_taxi, standard)."""
import contextlib
import io
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import nab_score as nab  # noqa: E402
from testkit import check, finish  # noqa: E402

STD = nab.DEFAULT_PROFILES["standard"]
LOW_FN = nab.DEFAULT_PROFILES["reward_low_FN_rate"]


def near(a, b, tol=1e-4):
    return abs(a - b) <= tol


# sigma(y) = 2/(1+e^(5y)) - 1; the values SOURCES.md lists.
check("sigmoid_values", near(nab.scaled_sigmoid(-1), 0.98661) and
      near(nab.scaled_sigmoid(-0.5), 0.84828) and nab.scaled_sigmoid(0) == 0 and
      near(nab.scaled_sigmoid(1), -0.98661) and nab.scaled_sigmoid(3.01) == -1.0)
check("probation", nab.probation_length(100) == 15 and nab.probation_length(4032) == 604 and
      nab.probation_length(22695) == 750)

# A 100-row file, probation 15, one window over rows 40..49 (width 10).
fp = nab.FilePoints(100, [(40, 49)])


def only(*rows):
    s = [0.0] * 100
    for r in rows:
        s[r] = 1.0
    return s


check("detection_at_window_start_scores_A_TP",
      near(nab.score_file(fp, only(40), 0.5, STD), 1.0))
# At the right edge y = -1/10: sigma(-0.1) = 2/(1+e^-0.5) - 1 = 0.244919; / 0.986614.
check("detection_at_window_end_decays",
      near(nab.score_file(fp, only(49), 0.5, STD), 0.244919 / 0.986614))
check("only_first_detection_in_window_counts",
      near(nab.score_file(fp, only(40, 45, 49), 0.5, STD), 1.0))
# Just after the window: y = (50-49)/(10-1) = 1/9; sigma = 2/(1+e^(5/9)) - 1 = -0.270800.
check("detection_just_after_window_decays_per_sigmoid",
      near(nab.score_file(fp, only(50), 0.5, STD), -1.0 + 0.11 * -0.270800))
# Far after the window (y > 3): a full false positive.
check("detection_long_after_window_costs_A_FP",
      near(nab.score_file(fp, only(90), 0.5, STD), -1.0 - 0.11))
check("fp_before_any_window_costs_A_FP",
      near(nab.score_file(fp, only(20), 0.5, STD), -1.0 - 0.11))
check("missed_window_costs_A_FN_per_profile",
      nab.score_file(fp, only(), 0.5, STD) == -1.0 and
      nab.score_file(fp, only(), 0.5, LOW_FN) == -2.0)
check("probation_rows_are_not_scored",
      nab.score_file(fp, only(10), 0.5, STD) == -1.0)
# A window wholly inside probation does not count at all.
fp2 = nab.FilePoints(100, [(2, 8), (40, 49)])
check("window_inside_probation_is_dropped", fp2.scored_windows == [1])

# Sweep: scores 0.9 at row 20 (FP), 0.8 at row 40 (window start). The best
# threshold is 0.8 (both detected: 1 - 0.11 = 0.89 > -1 and > -1.11).
s = [0.0] * 100
s[20], s[40] = 0.9, 0.8
pts = sorted(((s[i], None if fp.win_of[i] is None else fp.win_of[i], fp.credit[i])
              for i in range(fp.probation, 100)), key=lambda p: -p[0])
thr, raw = nab.sweep(pts, STD, 1)
check("sweep_finds_best_threshold", thr == 0.8 and near(raw, 0.89))
# Ties keep the higher threshold: a detection of a row worth exactly 0 does not move it.
s2 = [0.0] * 100
s2[40] = 0.8
pts2 = sorted(((s2[i], fp.win_of[i], fp.credit[i]) for i in range(15, 100)),
              key=lambda p: -p[0])
check("sweep_no_detection_is_1.1", nab.sweep([(0.2, None, -1.0)], STD, 1) == (1.1, -1.0))
check("sweep_ties_keep_higher_threshold", nab.sweep(pts2, STD, 1)[0] == 0.8)

# Normalisation: null 0, perfect 100, on a two-file toy corpus.
files = {"a.csv": (None, nab.FilePoints(100, [(40, 49)])),
         "b.csv": (None, nab.FilePoints(200, [(100, 119), (150, 169)]))}


def perfect(rel, ts):
    f = files[rel][1]
    out = [0.0] * f.n
    for w in f.scored_windows:
        left = min(i for i in range(f.n) if f.win_of[i] == w)
        out[left] = 1.0
    return out


res_null = nab.score_detector(files, nab.DEFAULT_PROFILES, lambda rel, ts: [0.5] * files[rel][1].n)
res_perfect = nab.score_detector(files, nab.DEFAULT_PROFILES, perfect)
check("null_detector_normalises_to_0",
      all(near(v["normalized"], 0.0) for v in res_null.values()))
check("perfect_detector_normalises_to_100",
      all(near(v["normalized"], 100.0) for v in res_perfect.values()))

# NAB's own per-file figure: numenta, standard, nyc_taxi at 0.54219 -> 2.4357.
base = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "nab")
if os.path.isdir(base):
    data = nab.load_data(os.path.join(base, "data"),
                         os.path.join(base, "labels", "combined_windows.json"))
    ts, f = data["realKnownCause/nyc_taxi.csv"]
    sc = nab.detector_scores(os.path.join(base, "results"), "numenta",
                             "realKnownCause/nyc_taxi.csv", ts)
    check("matches_nab_published_numenta_nyc_taxi",
          near(nab.score_file(f, sc, 0.54219, STD), 2.4357, 1e-3))
    check("null_on_fixture_is_minus_fn_per_window",
          near(nab.score_file(f, [0.5] * f.n, 1.1, STD), -5.0))
    # --folders: score one folder alone (the held-out checks in docs/aiops.md).
    out = io.StringIO()
    args = ["--data", os.path.join(base, "data"), "--windows",
            os.path.join(base, "labels", "combined_windows.json"),
            "--results", os.path.join(base, "results"), "--detectors", "numenta", "--json"]
    with contextlib.redirect_stdout(out):
        rc = nab.main(args + ["--folders", "realKnownCause"])
    one = json.loads(out.getvalue()) if rc == 0 else {}
    check("folders_scores_one_folder_alone",
          near(one.get("numenta", {}).get("standard", {}).get("normalized", 0), 57.78, 0.01),
          out.getvalue()[:200])
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        rc = nab.main(args + ["--folders", "nope"])
    check("folders_unknown_is_usage_error", rc == 2)
else:  # the fixtures are part of the repository: their absence is a broken checkout
    check("nab_fixtures_present", False, base)

sys.exit(finish())
