#!/usr/bin/env python3
"""Incidents end to end: the demo's story with a host privilege escalation
injected after the page (--demo-inject-host-priv). The checkout SLO incident
stays current, the host incident ranks below it, its analysis proposes no
rollback and joins none of checkout's causes; `lookout postmortem` without
--incident writes the checkout incident, says why, and its numbers are the
record's (one timeline, one cause list, no empty parentheses)."""
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import check, env_for, finish, run_lookout  # noqa: E402

tmp = tempfile.mkdtemp(prefix="lookout-incidents-")
env = env_for(tmp)
rec = os.path.join(tmp, "rec.jsonl")

p = run_lookout(["--once", "--json", "--demo", "--seed", "7", "--no-kernel", "--demo-time", "150",
                 "--demo-inject-host-priv", "120", "--record", rec], env)
check("demo_with_host_event_runs", p.returncode == 0 and os.path.exists(rec), p.stderr[-400:])
snap = json.loads(p.stdout) if p.returncode == 0 else {}

# ---- the rank, headless ----
p = run_lookout(["incidents", "--from", rec, "--json"], env)
check("incidents_json_exit_0", p.returncode == 0, p.stderr[-300:])
incs = json.loads(p.stdout) if p.returncode == 0 else []
svc = next((i for i in incs if i["service"] == "checkout"), {})
host = next((i for i in incs if i["service"] == ""), {})
check("two_incidents", len(incs) == 2, json.dumps(incs)[:400])
check("checkout_is_first_and_current", incs and incs[0] is svc and svc.get("current")
      and svc.get("tier") == "page", json.dumps(svc)[:300])
check("host_ranks_below", host.get("rank") == 2 and host.get("tier") == "critical"
      and not host.get("current"), json.dumps(host)[:300])


def mentions(inc, *words):
    text = json.dumps(inc.get("causes", []))
    return [w for w in words if w in text]


check("host_causes_no_deploy", not mentions(host, "Deploy", "rollout", "checkout", "payments"),
      json.dumps(host.get("causes"))[:400])
causes = svc.get("causes", [])
top = causes[0] if causes else {}
check("top_cause_is_the_deploy_with_three_lines",
      top.get("title", "").startswith("Deploy of checkout") and not top.get("followed")
      and len(top.get("evidence", [])) == 3, json.dumps(top)[:400])
check("checkout_causes_no_host_event", not mentions(svc, "privilege", "the host", "python3"),
      json.dumps(causes)[:400])
check("deploy_is_one_cause", sum("Deploy of" in c["title"] or "ollout of" in c["title"]
                                 for c in causes) == 1, json.dumps(causes)[:400])
check("followed_never_first", not top.get("followed")
      and all(not c["followed"] for c in causes[:next((k for k, c in enumerate(causes)
                                                        if c["followed"]), len(causes))]))

# ---- the analyses: no rollback for the host ----
answers = {a["incident"]: a["text"] for a in snap.get("copilot", [])}
htext = answers.get(host.get("id"), "")
stext = answers.get(svc.get("id"), "")
check("host_analysis_exists", bool(htext), str(list(answers))[:200])
check("host_analysis_proposes_no_rollback", "rollout undo" not in htext
      and "Roll back" not in htext, htext[-600:])
check("checkout_analysis_one_rollback", stext.count("rollout undo deployment/checkout") == 1
      and "python3" not in stext, stext[-600:])
check("scores_not_percentages", not re.search(r"\(\d+%\)", stext + htext))

p = run_lookout(["incidents", "--from", rec], env)
first = p.stdout.splitlines()[1] if p.returncode == 0 and len(p.stdout.splitlines()) > 1 else ""
check("incidents_text_marks_current", "*" in first and "checkout" in first and "page" in first,
      p.stdout[:300])

# ---- the post-mortem ----
md = os.path.join(tmp, "pm.md")
p = run_lookout(["postmortem", "--from", rec, "-o", md], env)
doc = open(md).read() if os.path.exists(md) else ""
check("postmortem_exit_0", p.returncode == 0, p.stderr[-300:])
check("postmortem_says_which_and_why",
      re.search(r"wrote %s \(top-ranked of 2 open: paging SLO[^)]*\) to %s" %
                (re.escape(svc.get("id", "?")), re.escape(md)), p.stderr) is not None,
      p.stderr[-300:])
check("postmortem_is_the_checkout_incident", ("**Incident:** %s " % svc.get("id")) in doc
      and "**Why this incident:** top-ranked" in doc, doc[:400])
check("one_timeline_one_cause_list", doc.count("## Timeline") == 1 and doc.count("## Causes") == 1
      and "Likely cause" not in doc and "Post-mortem draft" not in doc)
check("no_gaps_in_text", not re.search(r"\(\s*\)|\(\S* \)|\( |\b1 restarts\b|failed \(\)", doc),
      "\n".join(l for l in doc.splitlines() if re.search(r"\(\s*\)|\( | \)", l))[:400])
check("host_event_not_in_checkout_postmortem", "privilege_escalation" not in doc
      and "python3" not in doc)


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def span(ms):
    s = abs(int(ms)) // 1000
    return "%d min %d s" % (s // 60, s % 60) if s >= 60 else "%d s" % s


last_t = 0
slo = {}
with open(rec) as f:
    for line in f:
        x = json.loads(line)
        last_t = max(last_t, x.get("t", 0))
        if x.get("table") == "slos" and x.get("op") == "upsert":
            slo[x["obj"]["name"]] = x["obj"]
avail = slo.get("checkout-availability", {})
check("reference_time_stated", "**Trouble began (the reference time):** %s" % iso(svc["start"])
      in doc if svc else False)
check("time_to_detect_is_the_records", svc.get("paged") and
      ("time to detect: %s)" % span(svc["paged"] - svc["start"])) in doc)
check("duration_is_the_records", ("**Duration:** %s so far" % span(last_t - svc.get("start", 0)))
      in doc, re.findall(r"\*\*Duration:\*\*[^\n]*", doc))
row = re.search(r"\| checkout-availability \| [\d.]+% \| ([\d.]+)%(?: \(when it first alerted\))? "
                r"\| ([\d.]+)% \| (-?[\d.]+) points \| ([^|]*) \|", doc)
check("budget_at_end_is_the_records", row is not None and avail and
      abs(float(row.group(2)) - avail["budget_remaining"] * 100) < 0.051,
      (row.group(0) if row else doc[:800]))
check("budget_consumed_is_from_minus_to", row is not None and float(row.group(1)) > float(
    row.group(2)) and abs(float(row.group(1)) - float(row.group(2)) - float(row.group(3))) < 0.11,
      row.group(0) if row else "")
check("peak_burn_per_pair", row is not None and re.search(r"1h/5m [\d.]+x", row.group(4)))

# ---- a wrong id lists the valid ones ----
p = run_lookout(["postmortem", "--from", rec, "--incident", "INC-99", "-o", md], env)
check("unknown_incident_lists_ids", p.returncode == 2 and "no incident INC-99" in p.stderr
      and "valid ids: %s, %s" % (svc.get("id"), host.get("id")) in p.stderr, p.stderr[-300:])
p = run_lookout(["incidents"], env)
check("incidents_usage_exit_2", p.returncode == 2 and "usage" in p.stderr)

# ---- a blind record: "no incidents" only when every source reported ----
p = run_lookout(["incidents", "--from", rec], env)
check("demo_record_all_reporting", p.returncode == 0 and "not reporting" not in p.stdout + p.stderr,
      p.stdout[-300:] + p.stderr[-300:])
blind = os.path.join(tmp, "blind.jsonl")
with open(blind, "w") as f:
    f.write(json.dumps({"t": 1000, "op": "upsert", "table": "sources", "obj": {
        "name": "prometheus", "kind": "prometheus", "state": "failed",
        "error": "Prometheus unreachable: \x1b[31mrefused", "last_ok": 0}}) + "\n")
p = run_lookout(["incidents", "--from", blind], env)
check("blind_record_is_not_all_quiet", p.returncode == 0 and "no incidents\n" not in p.stdout and
      "no incidents seen, but 1 source was not reporting at the end of the record: prometheus "
      "(failed: Prometheus unreachable: ^[[31mrefused)" in p.stdout and "\x1b" not in p.stdout,
      p.stdout[-400:])
p = run_lookout(["incidents", "--from", blind, "--json"], env)
check("blind_record_json_shape_kept_stderr_says", p.returncode == 0 and
      json.loads(p.stdout or "null") == [] and "not reporting" in p.stderr and
      "prometheus (failed" in p.stderr and "\x1b" not in p.stderr, p.stderr[-300:])

# ---- the post-mortem of a record whose Prometheus went away at the end ----
# (budget unknown at the end: "unknown", never "0.0%"; the blind source named)
blind_pm = os.path.join(tmp, "blind-pm.jsonl")
with open(rec) as f, open(blind_pm, "w") as g:
    g.write(f.read())
    gone = dict(avail, budget_remaining=None, budget_history=[None] * len(avail.get("budget_history", [])))
    g.write(json.dumps({"t": last_t, "op": "upsert", "table": "slos", "obj": gone}) + "\n")
    g.write(json.dumps({"t": last_t, "op": "upsert", "table": "sources", "obj": {
        "name": "prometheus", "kind": "prometheus", "state": "stale",
        "error": "Prometheus unreachable", "last_ok": last_t - 60000}}) + "\n")
md2 = os.path.join(tmp, "pm-blind.md")
p = run_lookout(["postmortem", "--from", blind_pm, "-o", md2], env)
doc2 = open(md2).read() if p.returncode == 0 and os.path.exists(md2) else ""
row2 = re.search(r"\| checkout-availability \| [^|]* \| [^|]* \| ([^|]*) \| ([^|]*) \|", doc2)
check("postmortem_budget_unknown_not_zero", row2 is not None and row2.group(1).strip() == "unknown"
      and row2.group(2).strip() == "unknown", row2.group(0) if row2 else doc2[:600] + p.stderr[-300:])
check("postmortem_names_the_blind_source",
      "**Not reporting at the end (figures from them may be missing or old):** prometheus "
      "(stale: Prometheus unreachable)" in doc2, re.findall(r"- \*\*Not reporting[^\n]*", doc2))

sys.exit(finish())
