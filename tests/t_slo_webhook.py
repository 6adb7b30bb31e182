#!/usr/bin/env python3
"""SLO alert webhooks: the demo's checkout page (lookout serve --demo
--demo-time 120) reaches an Alertmanager-, a Slack- and a PagerDuty-style
loopback receiver; the Alertmanager one fails twice with 503 first, so the
alert arrives on the third attempt (retry with backoff)."""
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.environ.get("LOOKOUT_ROOT", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOOKOUT = os.environ.get("LOOKOUT") or os.path.join(ROOT, "build/asan/lookout")
if not os.access(LOOKOUT, os.X_OK):
    LOOKOUT = os.environ.get("LOOKOUT_REL") or os.path.join(ROOT, "lookout")
passed = failed = 0
got = []
lock = threading.Condition()
fail_first = {"/am": 2}


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, flush=True)


class Recv(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

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
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recv)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % srv.server_address[1]
    work = tempfile.mkdtemp(prefix="lookout-wh-")
    cfg = os.path.join(work, "config.yaml")
    with open(cfg, "w") as f:
        f.write("alerting:\n  webhooks:\n"
                "    - {kind: alertmanager, url: %s/am}\n"
                "    - {kind: slack, url_env: TEST_SLACK_URL, severities: [page]}\n"
                "    - {kind: pagerduty, url: %s/pd, routing_key_env: TEST_PD_KEY}\n" % (base, base))
    env = dict(os.environ, XDG_CONFIG_HOME="/nonexistent", HOME="/nonexistent",
               TEST_SLACK_URL=base + "/slack", TEST_PD_KEY="pd-routing-key-123")
    pf = os.path.join(work, "port")
    p = subprocess.Popen([LOOKOUT, "serve", "--listen", "127.0.0.1:0", "--port-file", pf,
                          "--config", cfg, "--demo", "--seed", "7", "--demo-time", "120"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 20
        with lock:
            while time.monotonic() < deadline:
                paths = [g[0] for g in got if g[1] == 200]
                if "/am" in paths and "/slack" in paths and "/pd" in paths:
                    break
                lock.wait(timeout=0.5)
        am = [g for g in got if g[0] == "/am"]
        check(len(am) >= 3 and am[0][1] == 503 and am[1][1] == 503 and am[2][1] == 200,
              "alertmanager retried after 503s: %s" % [(g[0], g[1]) for g in am])
        if am:
            alerts = json.loads(am[-1][2])
            a = alerts[0]
            check(a["labels"]["slo"] == "checkout-availability" and a["labels"]["severity"] == "page"
                  and "startsAt" in a and "endsAt" not in a, "alertmanager payload: %s" % a)
        slack = [g for g in got if g[0] == "/slack"]
        check(slack and b"checkout-availability" in slack[0][2] and b"-> page" in slack[0][2],
              "slack text: %s" % (slack[:1],))
        pd = [g for g in got if g[0] == "/pd"]
        if pd:
            j = json.loads(pd[0][2])
            check(j["routing_key"] == "pd-routing-key-123" and j["event_action"] == "trigger"
                  and j["dedup_key"] == "lookout:slo:checkout-availability"
                  and j["payload"]["severity"] == "critical", "pagerduty event: %s" % j)
        else:
            check(False, "pagerduty event received")
    finally:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        err = p.stderr.read().decode(errors="replace")
        check(p.returncode == 0, "serve exits 0 (%s): %s" % (p.returncode, err[-800:]))
        srv.shutdown()
    # a config error in the webhooks names file and line
    bad = os.path.join(work, "bad.yaml")
    with open(bad, "w") as f:
        f.write("alerting:\n  webhooks:\n    - {kind: teams, url: http://x}\n")
    r = subprocess.run([LOOKOUT, "--once", "--json", "--config", bad], capture_output=True,
                       text=True, env=env, timeout=30)
    check(r.returncode == 2 and "bad.yaml:3:" in r.stderr, "bad webhook config: %s" % r.stderr)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
