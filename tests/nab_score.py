#!/usr/bin/env python3
"""NAB's scorer, restated in the Python standard library.

Windows (inclusive row ranges), the scaled sigmoid, the three application
profiles, one threshold per detector and profile optimised over the whole
corpus by an exhaustive sweep of every distinct score, and normalisation
against the null detector (constant 0.5) and the perfect one (every window
caught at its left edge). See docs/aiops.md and the fixture's SOURCES.md.

usage: nab_score.py --data DIR --windows FILE [--profiles FILE]
                    --results DIR [--results DIR ...] [--detectors a,b]
                    [--folders f1,f2] [--null] [--json]
Each results DIR holds <detector>/<folder>/<detector>_<file>.csv[.gz] with a
timestamp and an anomaly_score column (NAB's own layout).
"""
import argparse
import csv
import gzip
import io
import json
import math
import os
import sys

DEFAULT_PROFILES = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}


def scaled_sigmoid(y):
    """NAB's sigma: 2/(1+e^(5y)) - 1, and -1 past y = 3."""
    if y > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def probation_length(n):
    return min(int(math.floor(0.15 * n)), int(0.15 * 5000))


def load_profiles(path):
    if not path:
        return dict(DEFAULT_PROFILES)
    with open(path) as f:
        raw = json.load(f)
    out = {}
    for name, body in raw.items():
        cm = body["CostMatrix"]
        out[name] = {"tp": cm["tpWeight"], "fp": cm["fpWeight"], "fn": cm["fnWeight"]}
    return out


def window_indices(timestamps, limits):
    """Window limits (timestamps, inclusive) to row index pairs."""
    index = {t: i for i, t in enumerate(timestamps)}
    out = []
    for start, end in limits:
        s, e = start.split(".")[0], end.split(".")[0]
        if s not in index or e not in index:
            raise ValueError("window %s..%s does not match a row" % (start, end))
        out.append((index[s], index[e]))
    return out


class FilePoints:
    """The scored rows of one file, without the detector's scores: for each
    row past probation, its window (or None) and its unweighted credit."""

    def __init__(self, n, windows):
        self.n = n
        self.probation = probation_length(n)
        win_of = [None] * n
        credit = [0.0] * n
        max_tp = scaled_sigmoid(-1.0)
        for w, (left, right) in enumerate(windows):
            width = right - left + 1
            for i in range(left, right + 1):
                win_of[i] = w
                credit[i] = scaled_sigmoid(-(right - i + 1) / width) / max_tp
        prev_right = prev_width = None
        for i in range(n):
            if win_of[i] is not None:
                if i == windows[win_of[i]][1]:
                    prev_right = i
                    prev_width = windows[win_of[i]][1] - windows[win_of[i]][0] + 1
                continue
            if prev_right is None:
                credit[i] = -1.0
            else:
                credit[i] = scaled_sigmoid(abs(prev_right - i) / float(prev_width - 1))
        self.win_of = win_of
        self.credit = credit
        # Only windows with a scored row count (one inside probation does not).
        self.scored_windows = sorted({win_of[i] for i in range(self.probation, n)
                                      if win_of[i] is not None})


def sweep(points, profile, nwindows):
    """Exhaustive threshold sweep over pooled points (score, window key or
    None, unweighted credit), sorted by score descending. Returns (best
    threshold, best raw score); ties keep the higher threshold."""
    tp_w, fp_w, fn_w = profile["tp"], profile["fp"], profile["fn"]
    window_part = {}
    total = -fn_w * nwindows
    best_t, best_s = 1.1, total
    cur_t = 1.1
    for score, win, credit in points:
        if score != cur_t:
            if total > best_s + 1e-12:
                best_t, best_s = cur_t, total
            cur_t = score
        if win is None:
            total += fp_w * credit
        else:
            value = tp_w * credit
            old = window_part.get(win, -fn_w)
            if value > old:
                total += value - old
                window_part[win] = value
    if total > best_s + 1e-12:
        best_t, best_s = cur_t, total
    return best_t, best_s


def score_file(fp, scores, threshold, profile):
    """One file's raw score at a fixed threshold (NAB's score step)."""
    best = {w: -profile["fn"] for w in fp.scored_windows}
    total = 0.0
    for i in range(fp.probation, fp.n):
        if scores[i] < threshold:
            continue
        w = fp.win_of[i]
        if w is None:
            total += profile["fp"] * fp.credit[i]
        else:
            best[w] = max(best[w], profile["tp"] * fp.credit[i])
    return total + sum(best.values())


def read_rows(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        text = f.read()
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    return header, [r for r in reader if r]


def load_data(data_dir, windows_path):
    with open(windows_path) as f:
        windows = json.load(f)
    files = {}
    for rel in sorted(windows):
        header, rows = read_rows(os.path.join(data_dir, rel))
        ts = [r[0] for r in rows]
        files[rel] = (ts, FilePoints(len(ts), window_indices(ts, windows[rel])))
    return files


def result_path(results_dir, detector, rel):
    folder, name = os.path.split(rel)
    base = os.path.join(results_dir, detector, folder, detector + "_" + name)
    for p in (base, base + ".gz"):
        if os.path.exists(p):
            return p
    return None


def detector_scores(results_dir, detector, rel, ts):
    path = result_path(results_dir, detector, rel)
    if path is None:
        raise FileNotFoundError("%s: no result for %s" % (detector, rel))
    header, rows = read_rows(path)
    col = header.index("anomaly_score")
    if len(rows) != len(ts):
        raise ValueError("%s: %d rows, data has %d" % (path, len(rows), len(ts)))
    return [float(r[col]) for r in rows]


def pooled_points(files, scores_of):
    """Every scored row of every file as (score, window key, credit), sorted."""
    pts = []
    nwin = 0
    for rel, (ts, fp) in files.items():
        scores = scores_of(rel, ts)
        for i in range(fp.probation, fp.n):
            w = fp.win_of[i]
            pts.append((scores[i], None if w is None else (rel, w), fp.credit[i]))
        nwin += len(fp.scored_windows)
    pts.sort(key=lambda p: -p[0])
    return pts, nwin


def score_detector(files, profiles, scores_of):
    pts, nwin = pooled_points(files, scores_of)
    out = {}
    for name, prof in profiles.items():
        thr, raw = sweep(pts, prof, nwin)
        perfect = prof["tp"] * nwin
        null = -prof["fn"] * nwin  # checked against the null detector in tests
        out[name] = {"threshold": thr, "raw": raw,
                     "normalized": 100.0 * (raw - null) / (perfect - null)}
    return out


def list_detectors(results_dir):
    return sorted(d for d in os.listdir(results_dir)
                  if os.path.isdir(os.path.join(results_dir, d)))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--windows", required=True)
    ap.add_argument("--profiles")
    ap.add_argument("--results", action="append", required=True)
    ap.add_argument("--detectors", help="comma-separated; default: every folder")
    ap.add_argument("--null", action="store_true", help="also score the null detector")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--folders", help="comma-separated data folders to score (held-out checks);"
                    " default: every labelled file")
    args = ap.parse_args(argv)
    profiles = load_profiles(args.profiles)
    files = load_data(args.data, args.windows)
    if args.folders:
        keep = set(args.folders.split(","))
        files = {rel: v for rel, v in files.items() if rel.split("/")[0] in keep}
        if not files:
            print("nab_score: no labelled file in folders %s" % args.folders, file=sys.stderr)
            return 2
    wanted = set(args.detectors.split(",")) if args.detectors else None
    table = {}
    if args.null:
        table["null"] = score_detector(files, profiles, lambda rel, ts: [0.5] * len(ts))
    for rdir in args.results:
        for det in list_detectors(rdir):
            if wanted and det not in wanted:
                continue
            table[det] = score_detector(
                files, profiles, lambda rel, ts, d=det, r=rdir: detector_scores(r, d, rel, ts))
    if args.json:
        json.dump(table, sys.stdout, indent=1, sort_keys=True)
        print()
        return 0
    names = list(profiles)
    print("%-22s %10s %10s %10s" % ("detector", "standard", "low_FP", "low_FN"))
    order = sorted(table, key=lambda d: -table[d].get("standard", {"normalized": 0})["normalized"])
    for det in order:
        print("%-22s %10.2f %10.2f %10.2f" % ((det,) + tuple(
            table[det][n]["normalized"] for n in names[:3])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
