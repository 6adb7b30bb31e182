#!/usr/bin/env python3
"""Leave one folder out on the NAB fixture: the protocol and its report.

  nab_lofo.py protocol --lookout BIN --nab DIR --grid GRID --write PARAMS [--jobs N]
      For every detector and every grid point (GRID, fixed in advance), runs
      `lookout nab` over all files; for each of the five folders picks the
      point with the best standard score pooled over the OTHER four folders
      (threshold swept there, as NAB sweeps); ties keep the earlier point.
      The live default of each detector is the point most folds picked (ties:
      earlier point), so no choice ever looks at all five folders at once.
      Writes PARAMS (JSON): the choices per folder and the defaults. --jobs
      runs that many grid points at once (same result, in grid order).
      Context runs with its score map off (ctx_half 0.5, the identity), so
      each fold's swept training threshold is a raw score; the median over
      folds becomes the default's ctx_half, which moves NAB's threshold to
      the live one (0.5) and no NAB figure.

  nab_lofo.py report --lookout BIN --nab DIR --params PARAMS [--detectors a,b]
                     [--folders a,b]
      Runs each detector on each folder with the parameters chosen without
      it, pools the left-out results and sweeps one threshold per detector and
      profile over them; prints that, the per-folder table (each folder at the
      pooled threshold; artificialNoAnomaly has no windows, so its column is
      the raw score, 0 = no false positive) and the in-sample figure (the
      defaults on every file), beside the eight published detectors.
"""
import argparse
import itertools
import json
import math
import multiprocessing
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nab_score as nab  # noqa: E402

FOLDERS = ["realAWSCloudwatch", "realKnownCause", "realAdExchange", "realTraffic",
           "artificialNoAnomaly"]
PUBLISHED = ["numenta", "contextOSE", "ARTime", "knncad", "randomCutForest", "twitterADVec",
             "skyline", "windowedGaussian"]
PROFILES = ["standard", "reward_low_FP_rate", "reward_low_FN_rate"]


def folder_of(rel):
    return rel.split("/")[0]


def run_lookout(args, det, params, out, folders=None):
    cmd = [args.lookout, "nab", "--data", os.path.join(args.nab, "data"), "--labels",
           os.path.join(args.nab, "labels", "combined_windows.json"), "--detector", det,
           "--out", out, "--lenient-times"]
    if folders:
        cmd += ["--folders", ",".join(folders)]
    for k, v in sorted(params.items()):
        cmd += ["--param", "%s=%s" % (k, v)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("nab_lofo: %s failed:\n%s" % (" ".join(cmd), r.stderr))


def read_scores(files, results, det, keep=None):
    return {rel: nab.detector_scores(results, det, rel, ts)
            for rel, (ts, _) in files.items() if keep is None or folder_of(rel) in keep}


def pooled(files, scores, profiles, names=PROFILES):
    """Normalised score per profile of the files in `scores`, one threshold each."""
    sub = {rel: files[rel] for rel in scores}
    table = nab.score_detector(sub, {n: profiles[n] for n in names},
                               lambda rel, ts: scores[rel])
    return table


def per_folder(files, scores, profile, threshold):
    """Each folder's normalised score at a given threshold (raw when no window)."""
    out = {}
    for folder in FOLDERS:
        rels = [r for r in scores if folder_of(r) == folder]
        if not rels:
            continue
        raw = sum(nab.score_file(files[r][1], scores[r], threshold, profile) for r in rels)
        nwin = sum(len(files[r][1].scored_windows) for r in rels)
        if nwin == 0:
            out[folder] = ("raw", raw)
        else:
            null, perfect = -profile["fn"] * nwin, profile["tp"] * nwin
            out[folder] = ("norm", 100.0 * (raw - null) / (perfect - null))
    return out


# Per detector: the parameter a fold's training threshold becomes and its
# value that leaves scores unmapped. The threshold is rounded down to
# THRESHOLD_DIGITS decimals, so every score the sweep counted still maps
# to 0.5 or above.
THRESHOLD_PARAM = {"context": ("ctx_half", 0.5)}
THRESHOLD_DIGITS = 3


def round_down(x):
    scale = 10 ** THRESHOLD_DIGITS
    return math.floor(x * scale + 1e-9) / scale


def median(xs):
    xs = sorted(xs)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else 0.5 * (xs[mid - 1] + xs[mid])


def grid_points(spec):
    names = sorted(spec)
    return [dict(zip(names, vals)) for vals in itertools.product(*(spec[n] for n in names))]


_job = None  # (args, files, profiles) for training_scores, inherited by forked workers


def training_scores(det_pt):
    """One grid point: each fold's standard score and swept threshold on its
    four training folders."""
    args, files, std = _job
    det, pt = det_pt
    run = dict(pt)
    if det in THRESHOLD_PARAM:
        name, identity = THRESHOLD_PARAM[det]
        run[name] = identity
    with tempfile.TemporaryDirectory() as tmp:
        try:
            run_lookout(args, det, run, tmp)
        except SystemExit as e:  # a worker must report, not vanish
            raise RuntimeError(str(e)) from None
        scores = read_scores(files, tmp, det)
    row = {}
    for left in FOLDERS:
        train = {r: s for r, s in scores.items() if folder_of(r) != left}
        t = pooled(files, train, std, ["standard"])["standard"]
        row[left] = (t["normalized"], t["threshold"])
    return row


def place_threshold(det, default, thresholds):
    """The median of the folds' training thresholds becomes the default's
    map point. The folds' choices keep the C default: the report pools
    their left-out scores into one sweep, which a different map per fold
    would reorder (a shared one changes no figure)."""
    name = THRESHOLD_PARAM[det][0]
    default[name] = round_down(median(thresholds))
    print("  %s training thresholds (%s, unmapped): %s; %s = %s" % (
        det, ", ".join(FOLDERS), " ".join("%.4f" % t for t in thresholds), name,
        default[name]), file=sys.stderr)


def protocol(args, files, profiles):
    with open(args.grid) as f:
        grid = json.load(f)
    chosen, defaults = {}, {}
    global _job
    _job = (args, files, {"standard": profiles["standard"]})
    pool = multiprocessing.get_context("fork").Pool(args.jobs) if args.jobs > 1 else None
    for det in sorted(k for k in grid if not k.startswith("_")):
        points = grid_points(grid[det])
        work = [(det, pt) for pt in points]
        rows = pool.imap(training_scores, work) if pool else map(training_scores, work)
        fold_scores = []  # per point: {folder: (standard score, threshold) on the other four}
        for pt, row in zip(points, rows):
            fold_scores.append(row)
            print("  %s %s: %s" % (det, pt, " ".join("%.2f@%.4f" % row[f] for f in FOLDERS)),
                  file=sys.stderr)
        chosen[det] = {}
        votes = [0] * len(points)
        thresholds = []
        for left in FOLDERS:
            best = max(range(len(points)), key=lambda i: (fold_scores[i][left][0], -i))
            chosen[det][left] = dict(points[best])
            votes[best] += 1
            thresholds.append(fold_scores[best][left][1])
        defaults[det] = dict(points[max(range(len(points)), key=lambda i: (votes[i], -i))])
        if det in THRESHOLD_PARAM:
            place_threshold(det, defaults[det], thresholds)
    if pool:
        pool.close()
        pool.join()
    with open(args.write, "w") as f:
        json.dump({"_written_by": "tests/nab_lofo.py protocol; do not edit by hand",
                   "grid": grid, "chosen": chosen, "defaults": defaults}, f, indent=1,
                  sort_keys=True)
        f.write("\n")


def left_out_scores(args, files, det, chosen, folders):
    scores = {}
    for left in folders:
        with tempfile.TemporaryDirectory() as tmp:
            run_lookout(args, det, chosen[left], tmp, [left])
            scores.update(read_scores(files, tmp, det, {left}))
    return scores


def print_table(title, rows, profiles):
    print(title)
    print("  %-22s %9s %9s %9s   per folder, standard (%s)" %
          ("detector", "standard", "low_FP", "low_FN", ", ".join(f[:12] for f in FOLDERS)))
    for name, table, folders in sorted(rows, key=lambda r: -r[1]["standard"]["normalized"]):
        cells = []
        for f in FOLDERS:
            if f not in folders:
                cells.append("-")
            else:
                kind, v = folders[f]
                cells.append("%.2f" % v if kind == "norm" else "raw %.2f" % v)
        print("  %-22s %9.2f %9.2f %9.2f   %s" % (
            name, table["standard"]["normalized"], table["reward_low_FP_rate"]["normalized"],
            table["reward_low_FN_rate"]["normalized"], "  ".join(cells)))


def report(args, files, profiles):
    with open(args.params) as f:
        params = json.load(f)
    folders = args.folders.split(",") if args.folders else FOLDERS
    dets = args.detectors.split(",") if args.detectors else sorted(params["chosen"])
    files = {r: v for r, v in files.items() if folder_of(r) in folders}
    left, insample = [], []
    for det in dets:
        scores = left_out_scores(args, files, det, params["chosen"][det], folders)
        t = pooled(files, scores, profiles)
        left.append((det, t, per_folder(files, scores, profiles["standard"],
                                        t["standard"]["threshold"])))
        with tempfile.TemporaryDirectory() as tmp:
            run_lookout(args, det, params["defaults"][det], tmp, folders)
            scores = read_scores(files, tmp, det)
        t = pooled(files, scores, profiles)
        insample.append((det, t, per_folder(files, scores, profiles["standard"],
                                            t["standard"]["threshold"])))
    published = os.path.join(args.nab, "results")
    for det in PUBLISHED if not args.no_published else []:
        scores = read_scores(files, published, det)
        t = pooled(files, scores, profiles)
        row = (det + " (pub)", t, per_folder(files, scores, profiles["standard"],
                                             t["standard"]["threshold"]))
        left.append(row)
        insample.append(row)
    print_table("leave one folder out (each folder scored with parameters chosen on the others; "
                "one threshold per detector and profile swept on the pooled left-out scores):",
                left, profiles)
    print_table("in-sample (each detector's defaults = the fold-majority choice, on every file):",
                insample, profiles)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["protocol", "report"])
    ap.add_argument("--lookout", required=True)
    ap.add_argument("--nab", required=True)
    ap.add_argument("--grid")
    ap.add_argument("--write")
    ap.add_argument("--params")
    ap.add_argument("--detectors")
    ap.add_argument("--folders")
    ap.add_argument("--no-published", action="store_true")
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args(argv)
    profiles = nab.load_profiles(os.path.join(args.nab, "config", "profiles.json"))
    files = nab.load_data(os.path.join(args.nab, "data"),
                          os.path.join(args.nab, "labels", "combined_windows.json"))
    if args.mode == "protocol":
        if not args.grid or not args.write:
            ap.error("protocol needs --grid and --write")
        protocol(args, files, profiles)
    else:
        if not args.params:
            ap.error("report needs --params")
        report(args, files, profiles)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
