#!/usr/bin/env python3
"""The leave-one-folder-out report reads its parameters from the one file
the protocol writes: changing a chosen parameter there changes the printed
left-out figure, and the committed file holds a choice per folder and a
default for every detector (run on one small folder to stay fast)."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from testkit import LOOKOUT_REL, FIXTURES, check, finish  # noqa: E402

PARAMS = os.path.join(HERE, "bench", "nab_params.json")
FOLDERS = ["realAWSCloudwatch", "realKnownCause", "realAdExchange", "realTraffic",
           "artificialNoAnomaly"]
with open(PARAMS) as f:
    committed = json.load(f)
check("params_file_has_every_fold_and_default", all(
    sorted(committed["chosen"][d]) == sorted(FOLDERS) and d in committed["defaults"]
    for d in committed["grid"] if not d.startswith("_")))


def left_out(params):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(params, f)
    r = subprocess.run([sys.executable, os.path.join(HERE, "nab_lofo.py"), "report",
                        "--lookout", LOOKOUT_REL, "--nab", os.path.join(FIXTURES, "nab"),
                        "--params", f.name, "--detectors", "cad", "--folders",
                        "realAdExchange", "--no-published"], capture_output=True, text=True,
                       timeout=120)
    os.unlink(f.name)
    lines = r.stdout.splitlines()
    row = [l.split() for l in lines[2:3] if l.split() and l.split()[0] == "cad"]
    return r, (row[0][1] if row else None)


r, before = left_out(committed)
check("report_prints_a_left_out_figure", r.returncode == 0 and before is not None, r.stderr)
changed = json.loads(json.dumps(committed))
fold = changed["chosen"]["cad"]["realAdExchange"]
fold["cad_levels"] = 3 if fold.get("cad_levels") != 3 else 5
r, after = left_out(changed)
check("changing_a_chosen_parameter_changes_the_left_out_figure",
      r.returncode == 0 and after is not None and after != before, "%s -> %s" % (before, after))

# The C defaults are the protocol's defaults: a run with no --param and one
# with the file's defaults spelled out write the same scores.
def nab_run(det, params, out):
    cmd = [LOOKOUT_REL, "nab", "--data", os.path.join(FIXTURES, "nab", "data"), "--labels",
           os.path.join(FIXTURES, "nab", "labels", "combined_windows.json"), "--detector", det,
           "--out", out, "--folders", "realAdExchange", "--lenient-times"]
    for k, v in sorted(params.items()):
        cmd += ["--param", "%s=%s" % (k, v)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120).returncode


def tree(root):
    out = {}
    for d, _, fs in os.walk(root):
        for f in fs:
            with open(os.path.join(d, f)) as fh:
                out[os.path.relpath(os.path.join(d, f), root)] = fh.read()
    return out


with tempfile.TemporaryDirectory() as tmp:
    for det, params in sorted(committed["defaults"].items()):
        a, b = os.path.join(tmp, det + "-c"), os.path.join(tmp, det + "-p")
        ok = nab_run(det, {}, a) == 0 and nab_run(det, params, b) == 0
        check("c_defaults_are_the_protocol_defaults_" + det, ok and tree(a) and tree(a) == tree(b))
finish()
