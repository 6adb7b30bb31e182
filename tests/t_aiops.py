#!/usr/bin/env python3
"""AIOps end to end: `lookout nab` on generated and real NAB series, scored by
tests/nab_score.py against the published detectors in the same run; the
demo's story becoming one checkout incident caused by the deploy; the aiops
config section's validation."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import nab_score as nab  # noqa: E402
from testkit import LOOKOUT, FIXTURES, check, finish  # noqa: E402

NAB = os.path.join(FIXTURES, "nab")


def run(args, timeout=120):
    return subprocess.run([LOOKOUT] + args, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


tmp = tempfile.mkdtemp(prefix="lookout-aiops-")

# ---- usage ----
r = run(["nab"])
check("nab_without_args_is_usage_error", r.returncode == 2 and "usage" in r.stderr)
r = run(["nab", "--data", tmp, "--labels", "/nonexistent", "--detector", "robust"])
check("nab_missing_labels_is_error", r.returncode == 2 and "/nonexistent" in r.stderr)
r = run(["nab", "--data", tmp, "--labels", "/nonexistent", "--detector", "magic"])
check("nab_unknown_detector_is_usage_error", r.returncode == 2 and "magic" in r.stderr)

# ---- a generated series: a flat line with one spike inside its window ----
data = os.path.join(tmp, "data", "gen")
os.makedirs(data)
rows = ["timestamp,value"]
for i in range(1000):
    h, m = divmod(i * 5, 60)
    d, h = divmod(h, 24)
    v = 100.0 if i != 700 else 400.0
    rows.append("2020-01-%02d %02d:%02d:00,%s" % (d + 1, h, m, v + (i % 7) * 0.5))
with open(os.path.join(data, "spike.csv"), "w") as f:
    f.write("\r\n".join(rows))  # CRLF and no final newline, like some NAB files
labels = os.path.join(tmp, "labels.json")
with open(labels, "w") as f:
    json.dump({"gen/spike.csv": [[rows[651].split(",")[0] + ".000000",
                                  rows[750].split(",")[0] + ".000000"]]}, f)
out = os.path.join(tmp, "out")
r = run(["nab", "--data", os.path.join(tmp, "data"), "--labels", labels, "--detector", "robust",
         "--out", out])
check("nab_generated_runs", r.returncode == 0 and "ns/sample" in r.stdout, r.stderr)
res = os.path.join(out, "robust", "gen", "robust_spike.csv")
ok = os.path.exists(res)
lines = open(res).read().splitlines() if ok else []
check("nab_writes_nab_format_rows", ok and lines[0] == "timestamp,value,anomaly_score,label" and
      len(lines) == 1001)
if ok and len(lines) == 1001:
    spike = lines[701].split(",")
    check("nab_labels_rows_in_windows", lines[651].endswith(",1") and lines[650].endswith(",0")
          and lines[751].endswith(",0") and spike[3] == "1")
    scores = [float(x.split(",")[2]) for x in lines[1:]]
    check("nab_scores_in_range", all(0 <= s <= 1 for s in scores))
    check("nab_spike_scores_highest", max(range(1000), key=lambda i: scores[i]) == 700)
r = run(["nab", "--data", os.path.join(tmp, "data"), "--labels", labels, "--detector", "robust",
         "--out", out, "--param", "bogus=1"])
check("nab_bad_param_is_usage_error", r.returncode == 2)

# ---- the real corpus: robust above Twitter ADVec and Etsy Skyline ----
if os.path.isdir(NAB):
    out2 = os.path.join(tmp, "nab")
    r = run(["nab", "--data", os.path.join(NAB, "data"), "--labels",
             os.path.join(NAB, "labels", "combined_windows.json"), "--detector", "robust",
             "--out", out2, "--lenient-times"], timeout=300)
    check("nab_fixture_runs", r.returncode == 0, r.stderr)
    files = nab.load_data(os.path.join(NAB, "data"),
                          os.path.join(NAB, "labels", "combined_windows.json"))
    scores = {}
    for det, rdir in (("robust", out2), ("twitterADVec", os.path.join(NAB, "results")),
                      ("skyline", os.path.join(NAB, "results"))):
        scores[det] = nab.score_detector(
            files, nab.DEFAULT_PROFILES,
            lambda rel, ts, d=det, rd=rdir: nab.detector_scores(rd, d, rel, ts))
    std = {d: s["standard"]["normalized"] for d, s in scores.items()}
    print("   standard: " + ", ".join("%s %.2f" % kv for kv in sorted(std.items())))
    check("robust_beats_twitter_advec_and_etsy_skyline",
          std["robust"] > std["twitterADVec"] and std["robust"] > std["skyline"])
else:  # the fixtures are part of the repository: their absence is a broken checkout
    check("nab_fixtures_present", False, NAB)

# ---- the demo: one incident for checkout, the deploy first ----
r = run(["--once", "--json", "--demo", "--seed", "7", "--no-kernel", "--demo-time", "120"])
check("demo_runs", r.returncode == 0, r.stderr[-500:])
try:
    snap = json.loads(r.stdout)
except ValueError:
    snap = {}
incs = [i for i in snap.get("incidents", []) if i.get("service") == "checkout"]
check("demo_one_checkout_incident", len(incs) == 1, json.dumps(incs)[:300])
if incs:
    top = incs[0]["causes"][0] if incs[0]["causes"] else {}
    check("demo_top_cause_is_the_deploy", "Deploy of checkout" in top.get("title", ""),
          json.dumps(incs[0]["causes"])[:400])
    kinds = [t["kind"] for t in incs[0]["timeline"]]
    check("demo_timeline_has_deploy_pods_and_slo",
          "deploy" in kinds and "pod" in kinds and "slo" in kinds)
summ = snap.get("summary", {})
check("demo_noise_counts", summ.get("signals_1h", 0) > summ.get("incidents_1h", 0) >= 1 and
      summ.get("open_incidents", 0) >= 1, json.dumps(summ))

# ---- config ----
cfg = os.path.join(tmp, "bad.yaml")


def with_config(text, demo_time="1"):
    """Runs the demo once with TEXT as the config file."""
    with open(cfg, "w") as f:
        f.write(text)
    return run(["--config", cfg, "--once", "--json", "--demo", "--no-kernel", "--demo-time",
                demo_time])


r = with_config("aiops:\n  threshold: 7\n")
check("aiops_bad_threshold_is_config_error",
      r.returncode == 2 and "bad.yaml:2" in r.stderr and "threshold" in r.stderr, r.stderr)
r = with_config("aiops:\n  quiet: 5m\n  lookback: 10m\n  surprise: 1\n")
check("aiops_unknown_key_is_config_error", r.returncode == 2 and "surprise" in r.stderr,
      r.stderr)
r = with_config("aiops:\n  detector: rcf\n")
check("aiops_bad_detector_is_config_error",
      r.returncode == 2 and "bad.yaml:2" in r.stderr and "detector" in r.stderr, r.stderr)
r = with_config("aiops:\n  detector: context\n", demo_time="120")
check("aiops_context_detector_runs_the_demo", r.returncode == 0 and "summary" in r.stdout,
      r.stderr[-300:])

subprocess.run(["rm", "-rf", tmp])
sys.exit(finish())
