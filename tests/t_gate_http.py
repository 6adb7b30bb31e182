#!/usr/bin/env python3
"""GET /v1/gate on `lookout serve`: the demo's verdicts after the bad deploy,
the security half (namespace=&security=, the demo's OOM kill; unknown
without a kernel source), Lookout's own errors (400/404), and a live Prometheus-compatible source
(loopback) that answers, then stops: the verdict turns to unknown."""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import LOOKOUT, QuietHandler, isolated_env, expect, finish, lookout_serve, serve_in_thread, stop  # noqa: E402


def get(port, query):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/v1/gate?%s" % (port, query), timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class FakeProm(QuietHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.0005"]}]}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def probe(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_decision(port, slo, want, timeout=15):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        st, j = get(port, "slo=" + slo)
        last = (st, j)
        if st == 200 and j.get("data", {}).get("decision") == want:
            return last
        time.sleep(0.2)  # the source polls Prometheus every second
    return last


def once(cfg):
    """--once --json with cfg: (exit status, the snapshot or None)."""
    r = subprocess.run([LOOKOUT, "--once", "--json", "--no-kernel", "--config", cfg, "--timeout", "5"],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                       env={k: v for k, v in isolated_env().items()
                            if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")})
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        return r.returncode, None


def prom_state(cfg):
    """--once with cfg: (exit status, the prometheus source's state)."""
    rc, snap = once(cfg)
    srcs = (snap or {}).get("sources", [])
    return rc, next((s["state"] for s in srcs if s["kind"] == "prometheus"), None)


def pairs_firing(cfg):
    """--once with cfg: the firing of every window pair of every SLO."""
    rc, snap = once(cfg)
    return [p.get("firing", "absent") for s in (snap or {}).get("slos", []) for p in s["pairs"]]


def main():
    work = tempfile.mkdtemp(prefix="lookout-gate-")
    procs = []
    try:
        p, port = lookout_serve(work, "--demo", "--seed", "7", "--demo-time", "120")
        procs.append(p)
        expect(port > 0, "serve started")
        if port:
            st, j = get(port, "slo=checkout-availability")
            d = j.get("data", {})
            expect(st == 200 and d.get("ok") is False and d.get("decision") == "block"
                  and "page" in d.get("reason", ""), "demo checkout blocked: %d %s" % (st, j))
            st, j = get(port, "slo=payments-availability")
            expect(st == 200 and j["data"]["ok"] is True and j["data"]["decision"] == "allow",
                  "payments allowed: %s" % j)
            st, j = get(port, "slo=frontend-availability&policy=ticket&min_budget=0.99")
            expect(st == 200 and j["data"]["decision"] == "block", "min_budget param: %s" % j)
            expect(probe(port, "/readyz") == (200, b"ready\n"), "demo: every source reports, ready")
            st, j = get(port, "slo=nope")
            expect(st == 404, "unknown slo 404")
            st, j = get(port, "policy=page")
            expect(st == 400, "missing slo 400")
            st, j = get(port, "slo=checkout-availability&policy=sometimes")
            expect(st == 400, "bad policy 400")
            # the security half over the live kernel view: the demo's OOM kill in shop
            st, j = get(port, "slo=payments-availability&namespace=shop&security=critical")
            d = j.get("data", {})
            kinds = [(p.get("kind"), p.get("decision")) for p in d.get("parts", [])]
            expect(st == 200 and d.get("decision") == "block" and
                   kinds == [("slo", "allow"), ("security", "block")] and
                   d.get("reason", "").startswith("payments-availability: ") and
                   "; security: 1 rule match at or above critical in shop; " in d["reason"] and
                   "(oom_kill)" in d["reason"], "SLO allows, security blocks: %s" % j)
            st, j = get(port, "namespace=kube-system&security=warning&since=10m")
            d = j.get("data", {})
            expect(st == 200 and d.get("decision") == "unknown" and
                   "no kernel source runs" in d.get("reason", ""),
                   "no finding and no live kernel source: unknown: %s" % j)
            for q in ("security=warning", "namespace=shop", "namespace=shop&security=info",
                      "namespace=shop&security=warning&since=soon",
                      "slo=checkout-availability&since=5m"):
                st, j = get(port, q)
                expect(st == 400 and j.get("error"), "bad security query %s: 400 %s" % (q, j))
        rc, err = stop(p)
        expect(rc == 0, "serve exits 0 on SIGTERM (%d): %s" % (rc, err[-500:]))

        fake, fake_port = serve_in_thread(FakeProm)
        cfg = os.path.join(work, "config.yaml")
        with open(cfg, "w") as f:
            f.write("prometheus:\n  url: http://127.0.0.1:%d\n  interval: 1s\n  timeout: 2s\n"
                    "slos:\n  - name: api-availability\n    service: api\n    objective: 99.9\n"
                    "    sli:\n      prometheus:\n"
                    "        error_query: sum(rate(errors_total[{{.window}}]))\n"
                    "        total_query: sum(rate(requests_total[{{.window}}]))\n" %
                    fake_port)
        p, port = lookout_serve(work, "--config", cfg)
        procs.append(p)
        expect(port > 0, "serve with config started")
        if port:
            st, j = wait_decision(port, "api-availability", "allow")
            expect(st == 200 and j["data"]["decision"] == "allow",
                  "live Prometheus source allows (burn 0.5): %s" % (j,))
            bare = os.path.join(work, "bare.yaml")  # a Prometheus no SLO uses: still asked
            with open(bare, "w") as f:
                f.write("prometheus:\n  url: http://127.0.0.1:%d\n  timeout: 2s\n" % fake_port)
            expect(prom_state(bare) == (0, "synced"), "no SLO, Prometheus answers: synced")
            f = pairs_firing(cfg)
            expect(f and all(x is False for x in f), "every window answers, burn 0.5: not firing: %s" % f)
            fake.shutdown()
            fake.server_close()
            # no data is not "not firing": a script reading the snapshot sees null
            f = pairs_firing(cfg)
            expect(f and all(x is None for x in f), "Prometheus gone: firing null: %s" % f)
            expect(prom_state(bare) == (1, "failed"),
                   "no SLO, Prometheus gone: failed, not synced: %s" % (prom_state(bare),))
            st, j = wait_decision(port, "api-availability", "unknown")
            expect(st == 200 and j["data"]["decision"] == "unknown" and j["data"]["ok"] is False,
                  "Prometheus stopped: unknown: %s" % (j,))
            # alive, but not ready: /healthz stays ok, /readyz names the source
            expect(probe(port, "/healthz") == (200, b"ok\n") and
                   probe(port, "/readyz") == (503, b"not ready: prometheus (stale)\n"),
                   "Prometheus stopped: /healthz ok, /readyz 503: %s" % (probe(port, "/readyz"),))
        rc, err = stop(p)
        expect(rc == 0, "serve exits 0 (%d): %s" % (rc, err[-800:]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
