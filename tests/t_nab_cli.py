#!/usr/bin/env python3
"""`lookout nab` for people who did not write it: every bad input is exit 2
with file:line and the quoted text and leaves no output file; --help lists
every detector and parameter; an unknown --param lists the valid ones; no
--param is dropped; --folders picks folders from a larger labels file."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import LOOKOUT, check, finish  # noqa: E402

tmp = tempfile.mkdtemp(prefix="lookout-nabcli-")


def stamp(i):
    return "2024-01-01 %02d:%02d:00" % (i // 60, i % 60)


GOOD = "timestamp,value\n" + "".join("%s,%d\n" % (stamp(i), i % 7) for i in range(200))
WIN = [[stamp(100) + ".000000", stamp(110) + ".000000"]]


def case(name, text, windows=None, extra=(), folder="f"):
    """Writes f/good.csv and f/x.csv (text), runs nab on both; returns the run."""
    root = os.path.join(tmp, name)
    os.makedirs(os.path.join(root, "data", folder), exist_ok=True)
    with open(os.path.join(root, "data", folder, "good.csv"), "w") as f:
        f.write(GOOD)
    with open(os.path.join(root, "data", folder, "x.csv"), "w", newline="") as f:
        f.write(text)
    labels = os.path.join(root, "labels.json")
    with open(labels, "w") as f:
        json.dump({folder + "/good.csv": WIN, folder + "/x.csv": windows or []}, f)
    out = os.path.join(root, "out")
    r = subprocess.run([LOOKOUT, "nab", "--data", os.path.join(root, "data"), "--labels", labels,
                        "--detector", "robust", "--out", out] + list(extra),
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    r.out = out
    return r


def outputs(r):
    return [os.path.join(d, f) for d, _, fs in os.walk(r.out) for f in fs]


def bad(name, text, line, quoted, windows=None):
    r = case(name, text, windows)
    where = "x.csv:%d" % line if line else "labels.json"
    check("nab_rejects_" + name, r.returncode == 2 and where in r.stderr and quoted in r.stderr
          and not outputs(r), "rc=%d %r %r" % (r.returncode, r.stderr, outputs(r)))


head = "timestamp,value\n" + "".join("%s,1\n" % stamp(i) for i in range(5))
bad("nan", head + stamp(5) + ",nan\n", 7, '"%s,nan"' % stamp(5))
bad("inf", head + stamp(5) + ",-inf\n", 7, '"%s,-inf"' % stamp(5))
bad("trailing_junk", head + stamp(5) + ",1.5abc\n", 7, '"%s,1.5abc"' % stamp(5))
bad("not_a_number", head + stamp(5) + ",\n", 7, '"%s,"' % stamp(5))
bad("bad_timestamp", head + "yesterday,1\n", 7, '"yesterday,1"')
bad("no_comma", head + "just text\n", 7, '"just text"')
bad("out_of_order", head + stamp(2) + ",1\n", 7, "before the previous row")
bad("duplicate", head + stamp(4) + ",1\n", 7, "duplicate timestamp")
bad("empty", "", 1, "empty file")
bad("header_only", "timestamp,value\n", 1, "no data rows")
bad("wrong_header", "time,val\n" + stamp(0) + ",1\n", 1, '"time,val"')
bad("window_off_the_data", head, 0, "does not fall on the data",
    windows=[[stamp(1) + ".000000", "2030-01-01 00:00:00.000000"]])
bad("window_between_rows", head, 0, "does not fall on the data",
    windows=[["2024-01-01 00:01:30.000000", stamp(3) + ".000000"]])
r = case("control_chars", head + stamp(5) + ",1\x1b[31m\n")
check("nab_quotes_bad_text_safely", r.returncode == 2 and "\x1b" not in r.stderr and
      "x.csv:7" in r.stderr and not outputs(r), repr(r.stderr))

# The good path: both files written, labels from the windows, CRLF accepted.
r = case("good", head.replace("\n", "\r\n"))
good = os.path.join(r.out, "robust", "f", "robust_good.csv")
rows = open(good).read().splitlines() if os.path.exists(good) else []
check("nab_good_input_runs", r.returncode == 0 and len(outputs(r)) == 2 and len(rows) == 201,
      r.stderr)
check("nab_label_column_from_windows", len(rows) == 201 and rows[101].endswith(",1") and
      rows[111].endswith(",1") and rows[100].endswith(",0") and rows[112].endswith(",0"))
r = case("lenient", head + stamp(4) + ",1\n", extra=["--lenient-times"])
check("nab_lenient_times_counts_on_stderr", r.returncode == 0 and "1 duplicate" in r.stderr,
      r.stderr)

# --help, unknown and malformed --param, many --params, --folders.
h = subprocess.run([LOOKOUT, "nab", "--help"], capture_output=True, text=True)
check("nab_help_lists_detectors_and_parameters", h.returncode == 0 and all(
    w in h.stdout for w in ("robust", "rcf", "context", "cad", "cad_levels", "ctx_fam",
                            "fast_weight")))
r = case("unknown_param", head, extra=["--param", "cad_levelz=3"])
check("nab_unknown_param_lists_valid_ones", r.returncode == 2 and "cad_levelz" in r.stderr and
      "cad_levels" in r.stderr and not outputs(r), r.stderr)
r = case("malformed_param", head, extra=["--param", "cad_levels=3.5"])
check("nab_malformed_param_is_error", r.returncode == 2 and "name=number" in r.stderr)
many = ["--param", "fast_weight=0.8"] * 40 + ["--param", "nope=1"]
r = case("param_41", head, extra=many)
check("nab_41st_param_is_not_dropped", r.returncode == 2 and "nope" in r.stderr, r.stderr)
r = case("folders", head, extra=["--folders", "f"])
check("nab_folders_picks_folders", r.returncode == 0 and len(outputs(r)) == 2, r.stderr)
r = case("folders_missing", head, extra=["--folders", "f,elsewhere"])
check("nab_folders_unknown_is_error", r.returncode == 2 and '"elsewhere"' in r.stderr and
      not outputs(r), r.stderr)
finish()
