#!/usr/bin/env python3
"""The copilot follows the breach, end to end against the loopback LLM
(tests/servers/fake_llm.py): the demo at 20x for 200 story seconds with
group_wait 15s and debounce 60s. One request when the checkout incident
opens, one more after its SLO pages (debounced, at 115 s) that says why and
carries the page's burn, none after it while only the figures move (the
debounce would allow one from 175 s on); in between,
the answer is marked stale with the page as the reason. Prints "N passed,
N failed, N skipped" last."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import FIXTURES, check, env_for, finish, start_server  # noqa: E402
from testkit import run_lookout as run  # noqa: E402

EPOCH = 1772460000000  # story second 0 (docs/demo.md)
KEY = "sk-proj-E2Etestkey0123456789abcdefghijklmnopqrstuvwxyzABCD"


def user_message(req):
    body = json.loads(req["body"])
    return body["messages"][-1]["content"]


def evidence(msg):
    """The JSON between the evidence fences of a prompt."""
    start = msg.index(">", msg.index("<evidence id=")) + 1
    return json.loads(msg[start:msg.index("</evidence", start)])


def slo(ev, name):
    return next((s for s in ev.get("slo", []) if s["name"] == name), None)


def burn(s, window):
    return next((w["burn_rate"] for w in s["burn_rates"] if w["window"] == window), 0)


def copilot_rows(rec):
    rows = []
    for line in open(rec):
        j = json.loads(line)
        if j.get("table") == "copilot" and isinstance(j.get("obj"), dict):
            rows.append(j["obj"])
    return rows


def main():
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "requests.jsonl")
        srv, port = start_server("fake_llm.py", "--port", "0", "--log", log,
                                 "--fixtures", os.path.join(FIXTURES, "llm"))
        try:
            env = env_for(tmp, OPENAI_BASE_URL="http://127.0.0.1:%d/answer/v1" % port,
                          OPENAI_API_KEY=KEY)
            os.makedirs(os.path.join(tmp, "cfg", "lookout"))
            with open(os.path.join(tmp, "cfg", "lookout", "config.yaml"), "w") as f:
                f.write("copilot:\n  group_wait: 15s\n  debounce: 60s\n")
            rec = os.path.join(tmp, "rec.jsonl")
            p = run(["--demo", "--demo-speed", "20", "--run-for", "10", "--json",
                     "--copilot", "openai", "--record", rec], env, timeout=60)
        finally:
            srv.terminate()
            srv.wait()
        check("demo_runs", p.returncode == 0, p.stderr[-500:])
        reqs = [json.loads(x) for x in open(log)] if os.path.exists(log) else []
        check("two_requests_open_and_page_none_after", len(reqs) == 2,
              "%d requests" % len(reqs))
        if len(reqs) < 2:
            return finish()
        first, second = evidence(user_message(reqs[0])), evidence(user_message(reqs[1]))
        check("first_asked_at_open", first["subject"].get("asked_because", "")
              .startswith("incident opened"), json.dumps(first["subject"])[:300])
        s1 = slo(first, "checkout-availability")
        check("first_before_the_page", s1 is not None and s1["alert"] != "page", json.dumps(s1))
        why = second["subject"].get("asked_because", "")
        check("second_asked_because_the_page", why.startswith("SLO checkout-availability paged ("),
              why)
        s2 = slo(second, "checkout-availability")
        check("second_carries_the_page_burn", s2 is not None and s2["alert"] == "page"
              and burn(s2, "5m") > 14.4 and burn(s2, "1h") > 14.4, json.dumps(s2)[:300])

        rows = copilot_rows(rec)
        stale = [r for r in rows if r.get("stale")]
        check("answer_marked_stale_by_the_page", stale and stale[0]["stale_reason"]
              .startswith("SLO checkout-availability paged") and stale[0]["state"] == "done",
              json.dumps(stale[:1])[:300])
        if stale:
            s = stale[0]
            check("stale_after_its_answer_before_the_reask",
                  s["finished"] < s["changed"] and
                  any(r["started"] >= s["changed"] and not r["stale"] for r in rows))
            # debounce: the re-ask waits 60 s after the first question
            check("reask_debounced", any(r["started"] - s["started"] >= 60000 for r in rows
                                         if r["started"] > s["started"]))
        snap = json.loads(p.stdout) if p.returncode == 0 else {}
        final = [a for a in snap.get("copilot", []) if a["state"] == "done"]
        check("final_answer_current", final and not final[0]["stale"]
              and final[0]["started"] > EPOCH + 99000, json.dumps(final[:1])[:200])
    return finish()


if __name__ == "__main__":
    sys.exit(main())
