#!/usr/bin/env python3
"""SLO alert webhooks: the demo's checkout page (lookout serve --demo
--demo-time 120) reaches an Alertmanager-, a Slack- and a PagerDuty-style
loopback receiver; the Alertmanager one fails twice with 503 first, so the
alert arrives on the third attempt (retry with backoff)."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import (QuietHandler, expect, finish, isolated_env, lookout_or_release,  # noqa: E402
                     lookout_serve, serve_in_thread, stop)

LOOKOUT = lookout_or_release()
got = []
lock = threading.Condition()
fail_first = {"/am": 2}


class Recv(QuietHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status = 200
        with lock:
            if fail_first.get(self.path, 0) > 0:
                fail_first[self.path] -= 1
                status = 503
            got.append((self.path, status, body))
            lock.notify_all()
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


def main():
    srv, srv_port = serve_in_thread(Recv)
    base = "http://127.0.0.1:%d" % srv_port
    work = tempfile.mkdtemp(prefix="lookout-wh-")
    cfg = os.path.join(work, "config.yaml")
    with open(cfg, "w") as f:
        f.write("alerting:\n  webhooks:\n"
                "    - {kind: alertmanager, url: %s/am}\n"
                "    - {kind: slack, url_env: TEST_SLACK_URL, severities: [page]}\n"
                "    - {kind: pagerduty, url: %s/pd, routing_key_env: TEST_PD_KEY}\n" % (base, base))
    env = isolated_env(TEST_SLACK_URL=base + "/slack", TEST_PD_KEY="pd-routing-key-123")
    p, _ = lookout_serve(work, "--config", cfg, "--demo", "--seed", "7", "--demo-time", "120",
                         env=env)
    try:
        deadline = time.monotonic() + 20
        with lock:
            while time.monotonic() < deadline:
                paths = [g[0] for g in got if g[1] == 200]
                if "/am" in paths and "/slack" in paths and "/pd" in paths:
                    break
                lock.wait(timeout=0.5)
        am = [g for g in got if g[0] == "/am"]
        expect(len(am) >= 3 and am[0][1] == 503 and am[1][1] == 503 and am[2][1] == 200,
              "alertmanager retried after 503s: %s" % [(g[0], g[1]) for g in am])
        if am:
            alerts = json.loads(am[-1][2])
            a = alerts[0]
            expect(a["labels"]["slo"] == "checkout-availability" and a["labels"]["severity"] == "page"
                  and "startsAt" in a and "endsAt" not in a, "alertmanager payload: %s" % a)
        slack = [g for g in got if g[0] == "/slack"]
        expect(slack and b"checkout-availability" in slack[0][2] and b"-> page" in slack[0][2],
              "slack text: %s" % (slack[:1],))
        pd = [g for g in got if g[0] == "/pd"]
        if pd:
            j = json.loads(pd[0][2])
            expect(j["routing_key"] == "pd-routing-key-123" and j["event_action"] == "trigger"
                  and j["dedup_key"] == "lookout:slo:checkout-availability"
                  and j["payload"]["severity"] == "critical", "pagerduty event: %s" % j)
        else:
            expect(False, "pagerduty event received")
    finally:
        rc, err = stop(p)
        expect(p.returncode == 0, "serve exits 0 (%s): %s" % (rc, err[-800:]))
        srv.shutdown()
    # a config error in the webhooks names file and line
    bad = os.path.join(work, "bad.yaml")
    with open(bad, "w") as f:
        f.write("alerting:\n  webhooks:\n    - {kind: teams, url: http://x}\n")
    r = subprocess.run([LOOKOUT, "--once", "--json", "--config", bad], capture_output=True,
                       text=True, env=env, timeout=30)
    expect(r.returncode == 2 and "bad.yaml:3:" in r.stderr, "bad webhook config: %s" % r.stderr)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
