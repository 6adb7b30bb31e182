#!/usr/bin/env python3
"""SLO engine against a real Prometheus: burn rates per window, budget
remaining and alert state from `lookout slo status --prometheus` must agree
with Prometheus's own evaluation of the equivalent PromQL (relative error
< 1e-6); `lookout gate` exit codes; Prometheus stopped mid-test; malformed
answers from a loopback server. Prometheus is always killed at the end."""
import atexit
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import slo_synth  # noqa: E402
from testkit import (QuietHandler, expect, finish, isolated_env, lookout_or_release,  # noqa: E402
                     lookout_serve, serve_in_thread, skip, stop)

LOOKOUT = lookout_or_release()
procs = []


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(cleanup)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rel_equal(a, b, rel=1e-6):
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-300


def prom_instant(url, query, t):
    data = urllib.parse.urlencode({"query": query, "time": "%.3f" % t}).encode()
    with urllib.request.urlopen(url + "/api/v1/query", data, timeout=10) as r:
        j = json.load(r)
    res = j["data"]["result"]
    if not res:
        return None
    return float(res[0]["value"][1])


def lookout(*args, timeout=60, extra_env=None):
    env = isolated_env(**(extra_env or {}))
    return subprocess.run([LOOKOUT, *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


ERR = 'sum(rate(http_requests_total{job="myservice",code=~"(5..|429)"}[%s]))'
TOT = 'sum(rate(http_requests_total{job="myservice"}[%s]))'
ERR_INC = 'sum(increase(http_requests_total{job="myservice",code=~"(5..|429)"}[%s]))'
TOT_INC = 'sum(increase(http_requests_total{job="myservice"}[%s]))'
B = 1 - 0.999
PAIRS = [("1h", "5m", 14.4, "page"), ("6h", "30m", 6, "page"), ("1d", "2h", 3, "ticket"),
         ("3d", "6h", 1, "ticket")]


def expected_state(burn):
    def fires(lw, sw, k):
        return burn[lw] is not None and burn[sw] is not None and burn[lw] > k * (1 + 1e-9) \
            and burn[sw] > k * (1 + 1e-9)
    if any(fires(l, s, k) for l, s, k, sev in PAIRS if sev == "page"):
        return "page"
    if any(fires(l, s, k) for l, s, k, sev in PAIRS if sev == "ticket"):
        return "ticket"
    if any(burn[s] is not None and burn[s] > k * (1 + 1e-9) for l, s, k, sev in PAIRS):
        return "burning"
    return "ok"


class BadProm(QuietHandler):
    mode = "badjson"
    requests = 0

    def do_POST(self):
        BadProm.requests += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, body = 200, b""
        m = BadProm.mode
        if m == "badjson":
            body = b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{},'
        elif m == "error":
            status = 400
            body = b'{"status":"error","errorType":"bad_data","error":"parse error: unclosed left parenthesis"}'
        elif m == "matrix":
            body = b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"0.1"]]}]}}'
        elif m == "huge":
            body = b'{"status":"success","data":{"resultType":"vector","result":[' + \
                b'{"metric":{"a":"b"},"value":[1,"0.1"]},' * 150000 + b'{}]}}'
        elif m == "hang":
            time.sleep(4)  # longer than the configured 1 s timeout
            body = b'{}'
        elif m == "proxy":
            status, body = 502, b"<html>bad gateway</html>"
        elif m == "notfound":  # what Prometheus's router says for .../api/v1/api/v1/query
            status, body = 404, b"404 page not found\n"
        elif m == "auth":
            ok = self.headers.get("Authorization") == "Bearer s3cret" and \
                self.headers.get("X-Scope-OrgID") == "team-a" and \
                self.headers.get("Content-Type") == "application/x-www-form-urlencoded"
            status = 200 if ok else 401
            body = b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.0005"]}]}}' \
                if ok else b'{"status":"error","errorType":"unauthorized","error":"no token"}'
            if ok and self.path.endswith("/query_range"):
                body = b'{"status":"success","data":{"resultType":"matrix","result":[]}}'

        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass  # Lookout hangs up on a body past its cap


QUIET_SPEC = """version: "prometheus/v1"
service: "quietsvc"
slos:
  - name: "availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="myservice",code="599"}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="myservice"}[{{.window}}]))
    alerting:
      name: QuietHighErrorRate
"""
# Sloth's own OpenSLO example shape (openslo/v1alpha, ratioMetrics good/total)
ALPHA_SPEC = """apiVersion: openslo/v1alpha
kind: SLO
metadata:
  name: slo1
  displayName: Integration test SLO1
spec:
  service: myservice
  description: "this is SLO1."
  budgetingMethod: Occurrences
  objectives:
    - ratioMetrics:
        good:
          source: prometheus
          queryType: promql
          query: sum(rate(http_requests_total{job="myservice",code!~"(5..|429)"}[{{.window}}]))
        total:
          source: prometheus
          queryType: promql
          query: sum(rate(http_requests_total{job="myservice"}[{{.window}}]))
      target: 0.99
  timeWindows:
    - count: 30
      unit: Day
      isRolling: true
"""

CAL_ERR = 'sum(rate(http_requests_total{job="calsvc",code="500"}[%s]))'
CAL_TOT = 'sum(rate(http_requests_total{job="calsvc"}[%s]))'


def calendar_checks(work, url):
    """Calendar SLOs measure their period to date: on 2024-01-01 the budget
    is January's (errors 3/min, budget 0.5), not the last 30 days' (which
    hold December's burst), and equals Prometheus's own month-to-date
    evaluation; at the boundary there is nothing to measure: no data."""
    spec = os.path.join(work, "calendar.yml")
    with open(spec, "w") as f:
        f.write(slo_synth.CAL_SPEC)
    T0 = slo_synth.T0  # 2024-01-01T00:00:00Z, a Monday: month and week start together
    status = {}
    for t in (T0 + 6 * 3600 + 30, T0 + 30, T0):
        r = lookout("slo", "status", "--prometheus", url, "--slo-spec", spec, "--at", str(t),
                    "--json")
        expect(r.returncode == 0, "calendar slo status at %d: %d %s" % (t, r.returncode, r.stderr))
        try:
            status[t] = {x["name"]: x for x in json.loads(r.stdout)["slos"]}
        except (ValueError, KeyError, TypeError):
            status[t] = {}
    t = T0 + 6 * 3600 + 30
    win = "%ds" % (t - T0)
    mtd = prom_instant(url, "1 - (%s / %s) / (1 - 0.999)" % (CAL_ERR % win, CAL_TOT % win), t)
    d30 = prom_instant(url, "1 - (%s / %s) / (1 - 0.999)" % (CAL_ERR % "30d", CAL_TOT % "30d"), t)
    for name in ("calsvc-month", "calsvc-week"):
        s0 = status[t].get(name, {})
        got = s0.get("budget_remaining")
        expect(mtd is not None and rel_equal(got, mtd),
               "%s budget is the period to date: lookout %r prometheus[%s] %r" % (name, got, win, mtd))
        expect(got is not None and d30 is not None and abs(got - d30) > 1,
               "%s budget is not the last 30 days': %r vs %r" % (name, got, d30))
        last = (s0.get("windows") or [{}])[-1]
        expect(s0.get("period_s") == t - T0 and s0.get("gate") == "allow"
               and last.get("window") == name[7:] and last.get("seconds") == t - T0,
               "%s period %r s, window %r, gate %r" % (name, s0.get("period_s"), last,
                                                      s0.get("gate")))
    hist = status[t].get("calsvc-month", {}).get("budget_history", [])
    # the chart covers January only: every step at burn 0.5, none from December
    expect(len(hist) == 120 and all(h is not None and abs(h - 0.5) < 1e-2 for h in hist),
           "calendar burn-down from the month start: %r" % hist[:4])
    for t, why in ((T0 + 30, "one sample"), (T0, "the boundary itself")):
        s0 = status[t].get("calsvc-month", {})
        expect(s0 and s0.get("budget_remaining") is None and s0.get("gate") == "unknown"
               and s0.get("exhaustion") == "unknown" and "error" not in s0,
               "calendar period at %s: no data, not a full budget: %r" % (why, {
                   k: s0.get(k) for k in ("budget_remaining", "gate", "exhaustion", "error")}))


def main():
    missing = [b for b in ("prometheus", "promtool") if not shutil.which(b)]
    if missing:
        skip("slo_prometheus", "no %s (make deps installs the prometheus package)" % " and ".join(missing))
        return finish()
    work = tempfile.mkdtemp(prefix="lookout-slo-")
    try:
        run(work)
    finally:
        cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return finish()


def run(work):
    om = os.path.join(work, "synthetic.om")
    slo_synth.write_openmetrics(om)
    data = os.path.join(work, "data")
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "-q", om, data],
                   check=True, capture_output=True, timeout=60)
    conf = os.path.join(work, "prometheus.yml")
    with open(conf, "w") as f:
        f.write("global:\n  evaluation_interval: 1h\n  scrape_interval: 1h\n")
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    prom = subprocess.Popen(["prometheus", "--config.file=" + conf, "--storage.tsdb.path=" + data,
                             "--storage.tsdb.retention.time=10y",
                             "--web.listen-address=127.0.0.1:%d" % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(prom)
    deadline = time.monotonic() + 30
    ready = False
    while time.monotonic() < deadline and prom.poll() is None:
        try:
            with urllib.request.urlopen(url + "/-/ready", timeout=1) as r:
                ready = r.status == 200
        except OSError:
            pass
        if ready:
            break
        time.sleep(0.1)  # readiness has no event to wait on
    expect(ready, "prometheus ready")
    if not ready:
        return
    spec = os.path.join(work, "sloth.yml")
    with open(spec, "w") as f:
        f.write(slo_synth.SLOTH_SPEC)
    idle = os.path.join(work, "openslo.yml")
    with open(idle, "w") as f:
        f.write(slo_synth.OPENSLO_SPEC)

    quiet = os.path.join(work, "quiet.yml")
    with open(quiet, "w") as f:  # a service that has never failed: no error series at all
        f.write(QUIET_SPEC)
    alpha = os.path.join(work, "alpha.yml")
    with open(alpha, "w") as f:
        f.write(ALPHA_SPEC)
    r = lookout("slo", "check", alpha)
    expect(r.returncode == 0 and "myservice-slo1-0" in r.stdout,
           "slo check reads OpenSLO v1alpha as Sloth writes it: " + r.stderr)

    r = lookout("slo", "check", spec, idle)
    expect(r.returncode == 0 and "myservice-requests-availability" in r.stdout
          and "idlesvc-availability" in r.stdout and "14.4" in r.stdout, "slo check: " + r.stderr)

    T0 = slo_synth.T0
    hms = lambda h, m, s=30: T0 + h * 3600 + m * 60 + s  # noqa: E731
    instants = [hms(71, 0), hms(72, 30), hms(72, 45), hms(73, 5), hms(74, 0), hms(76, 25),
                hms(76, 45), hms(77, 0), hms(78, 50), hms(79, 30)]
    states = {}
    budgets = {}
    pairs = {}
    for t in instants:
        r = lookout("slo", "status", "--prometheus", url, "--slo-spec", spec, "--at", str(t),
                    "--json")
        expect(r.returncode == 0, "slo status exit %d: %s" % (r.returncode, r.stderr))
        if r.returncode != 0:
            continue
        out = json.loads(r.stdout)
        slo = out["slos"][0]
        burn = {}
        for w in slo["windows"]:
            name = w["window"]
            if name == "30d":
                continue
            q = "(%s / %s) / (1 - 0.999)" % (ERR % name, TOT % name)
            want = prom_instant(url, q, t)
            burn[name] = want
            expect(rel_equal(w["burn_rate"], want), "burn %s at %d: lookout %r prometheus %r" %
                  (name, t, w["burn_rate"], want))
            expect(rel_equal(w["error_ratio"], want * B), "ratio %s at %d" % (name, t))
        want_budget = prom_instant(url, "1 - (%s / %s) / (1 - 0.999)" % (ERR_INC % "30d",
                                                                          TOT_INC % "30d"), t)
        expect(rel_equal(slo["budget_remaining"], want_budget),
              "budget at %d: lookout %r prometheus %r" % (t, slo["budget_remaining"], want_budget))
        expect(slo["alert"] == expected_state(burn), "alert at %d: %s want %s" %
              (t, slo["alert"], expected_state(burn)))
        if t == hms(79, 30):
            # burn-down point 118 covers [T0, t - 6h] (data starts at T0)
            hist = slo["budget_history"]
            minutes = (t - 6 * 3600 - T0) // 60
            bad = sum(slo_synth.errors_per_min(m) for m in range(minutes))
            want = 1 - (bad / (6000.0 * minutes)) / B
            expect(len(hist) == 120 and hist[118] is not None and abs(hist[118] - want) < 1e-2,
                  "burn-down from query_range: %r want %r" % (hist[118] if hist else None, want))
            expect(hist[0] is None, "burn-down before the data is no data")
            expect(rel_equal(hist[119], slo["budget_remaining"], 1e-6), "newest burn-down point")
        states[t] = slo["alert"]
        pairs[t] = slo["window_pair"]
        budgets[t] = slo["budget_remaining"]
        b1h = slo["windows"][2]["burn_rate"]
        if slo["exhaustion_s"] is not None and b1h and b1h > 0 and slo["budget_remaining"] > 0:
            expect(rel_equal(slo["exhaustion_s"], slo["budget_remaining"] * 30 * 86400 / b1h, 1e-6),
                  "time to exhaustion at %d" % t)
    # hand-checked anchors: burn 23 over 1h at 72:45:30, page/ticket transitions
    expect(states.get(hms(71, 0)) == "ok", "71:00 ok")
    expect(states.get(hms(72, 30)) == "page", "72:30 page")
    # the 5m window resets the 1h/5m page, but 30m is still over 6 (6h not):
    # burning, and the reason names that pair
    expect(states.get(hms(73, 5)) == "burning", "73:05 page reset by the short window")
    expect(pairs.get(hms(72, 30), "").startswith("1h ") and " and 5m " in pairs[hms(72, 30)],
           "72:30 reason names the 1h/5m pair: %r" % pairs.get(hms(72, 30)))
    expect(pairs.get(hms(73, 5), "").startswith("30m ") and "6h" in pairs[hms(73, 5)],
           "73:05 reason names the burning 30m/6h pair: %r" % pairs.get(hms(73, 5)))
    expect(states.get(hms(76, 25)) == "page", "76:25 page")
    expect(states.get(hms(78, 50)) == "ticket", "78:50 page off, ticket on")
    expect(abs(budgets.get(hms(71, 0), 0) - 0.5) < 1e-9, "budget 0.5 at 71:00")
    expect(budgets.get(hms(77, 0), 1) <= 0, "budget exhausted by 77:00:30")

    # ---- gate exit codes ----
    name = "myservice-requests-availability"
    g = lambda *a: lookout("gate", "--prometheus", url, "--slo-spec", spec,  # noqa: E731
                           "--slo-spec", idle, *a)
    r = g("--slo", name, "--at", str(hms(71, 0)))
    expect(r.returncode == 0 and "allow" in r.stderr, "gate allow: %d %s" % (r.returncode, r.stderr))
    r = g("--slo", name, "--at", str(hms(71, 0)), "--min-budget", "0.6", "--json")
    j = json.loads(r.stdout or "{}")
    expect(r.returncode == 1 and j.get("decision") == "block" and j.get("ok") is False,
          "gate min-budget block: %d %s" % (r.returncode, r.stdout))
    r = g("--slo", name, "--at", str(hms(72, 45)))
    expect(r.returncode == 1 and "page alert firing" in r.stderr, "gate page block: " + r.stderr)
    r = g("--slo", name, "--at", str(hms(74, 0)), "--policy", "ticket")
    expect(r.returncode in (0, 1), "gate ticket policy runs")
    r = g("--slo", name, "--at", str(hms(79, 0)))
    expect(r.returncode == 1 and "below" in r.stderr or "firing" in r.stderr,
          "gate exhausted budget blocks: " + r.stderr)
    r = g("--slo", "idlesvc-availability", "--at", str(hms(75, 0)), "--json")
    j = json.loads(r.stdout or "{}")
    expect(r.returncode == 3 and j.get("decision") == "unknown", "gate no data unknown: %d %s" %
          (r.returncode, r.stderr))
    r = g("--slo", "idlesvc-availability", "--at", str(hms(75, 0)), "--on-unknown", "allow")
    expect(r.returncode == 0, "on-unknown allow")
    r = g("--slo", "idlesvc-availability", "--at", str(hms(75, 0)), "--on-unknown", "block")
    expect(r.returncode == 1, "on-unknown block")
    r = lookout("gate", "--prometheus", url, "--slo-spec", spec)
    expect(r.returncode == 2 and "--slo" in r.stderr, "gate usage error")
    r = g("--slo", "nope")
    expect(r.returncode == 2 and "unknown SLO" in r.stderr, "gate unknown slo")
    bad = os.path.join(work, "bad.yml")
    with open(bad, "w") as f:
        f.write('version: "prometheus/v1"\nservice: x\nslos:\n  - name: a\n    objective: 120\n'
                '    sli: {events: {error_query: a, total_query: b}}\n')
    r = lookout("gate", "--prometheus", url, "--slo-spec", bad, "--slo", "x-a")
    expect(r.returncode == 2 and "bad.yml:5:" in r.stderr, "bad spec file:line: " + r.stderr)
    r = lookout("slo", "check", bad)
    expect(r.returncode == 2 and "bad.yml:5:" in r.stderr, "slo check bad spec")
    # a query without {{.window}} would ask every window the same range: refused at
    # its line before any query, by every command that reads the spec
    nowin = os.path.join(work, "nowin.yml")
    with open(nowin, "w") as f:
        f.write('version: "prometheus/v1"\nservice: x\nslos:\n  - name: a\n    objective: 99.9\n'
                '    sli:\n      raw:\n        error_ratio_query: sum(rate(e[5m])) / sum(rate(t[5m]))\n')
    for args in (("gate", "--prometheus", url, "--slo-spec", nowin, "--slo", "x-a"),
                 ("slo", "status", "--prometheus", url, "--slo-spec", nowin, "--json"),
                 ("slo", "check", nowin)):
        r = lookout(*args)
        expect(r.returncode == 2 and "nowin.yml:8: error_ratio_query: no {{.window}}" in r.stderr,
               "%s: spec without {{.window}} refused at its line: %d %s" % (args[:2], r.returncode, r.stderr))

    # ---- SLO names as people write them, and a service with no error series ----
    for alias in ("requests-availability", 'sloth_id="myservice-requests-availability"'):
        r = g("--slo", alias, "--at", str(hms(71, 0)), "--json")
        j = json.loads(r.stdout or "{}")
        expect(r.returncode == 0 and j.get("slo") == name and j.get("decision") == "allow",
               "gate --slo %s resolves to %s: %d %s" % (alias, name, r.returncode, r.stderr))
    r = lookout("gate", "--prometheus", url, "--slo-spec", quiet, "--slo", "quietsvc-availability",
                "--at", str(hms(74, 0)), "--json")
    j = json.loads(r.stdout or "{}")
    expect(r.returncode == 0 and j.get("decision") == "allow"
           and "no error series: 0 errors" in j.get("reason", ""),
           "empty error vector with traffic is 0 errors, allow: %d %s" % (r.returncode, r.stdout))
    r = lookout("slo", "status", "--prometheus", url, "--slo-spec", alpha, "--at", str(hms(72, 30)),
                "--json")
    ok = r.returncode == 0
    try:
        a0 = json.loads(r.stdout)["slos"][0]
        want = prom_instant(url, "(%s / %s) / (1 - 0.99)" % (ERR % "5m", TOT % "5m"), hms(72, 30))
        ok = ok and rel_equal(a0["windows"][0]["burn_rate"], want)
    except (ValueError, KeyError, IndexError):
        ok = False
    expect(ok, "OpenSLO v1alpha (total - good) burns as Prometheus computes: %s" % r.stdout[:300])

    calendar_checks(work, url)

    # ---- Prometheus stopped mid-test ----
    prom.send_signal(signal.SIGKILL)
    prom.wait()
    r = g("--slo", name, "--at", str(hms(71, 0)), "--json")
    j = json.loads(r.stdout or "{}")
    expect(r.returncode == 3 and j.get("decision") == "unknown" and "unreachable" in j.get("reason", ""),
          "gate with Prometheus down: %d %s" % (r.returncode, r.stderr))
    r = g("--slo", name, "--at", str(hms(71, 0)), "--on-unknown", "block")
    expect(r.returncode == 1, "Prometheus down, on-unknown block")
    r = lookout("slo", "status", "--prometheus", url, "--slo-spec", spec, "--at", str(hms(71, 0)))
    expect(r.returncode == 3 and "budget remaining no data  exhaustion unknown (no data)" in r.stdout
           and "never" not in r.stdout,
           "slo status with Prometheus down: exhaustion unknown, not never: %s" % r.stdout[:300])

    # ---- malformed answers ----
    srv, srv_port = serve_in_thread(BadProm)
    burl = "http://127.0.0.1:%d" % srv_port
    want = {"badjson": "bad JSON", "error": "bad_data", "matrix": "resultType matrix",
            "huge": "larger than", "proxy": "HTTP 502", "notfound": "server root"}
    for mode, text in want.items():
        BadProm.mode = mode
        r = lookout("slo", "status", "--prometheus", burl, "--slo-spec", spec, "--json")
        ok = r.returncode == 3
        try:
            s0 = json.loads(r.stdout)["slos"][0]
            ok = ok and text in s0.get("error", "") and s0["alert"] == "nodata"
            # no data is an unknown time to exhaustion, never "never"
            ok = ok and s0["exhaustion_s"] is None and s0.get("exhaustion") == "unknown"
        except (ValueError, KeyError, IndexError):
            ok = False
        expect(ok, "malformed %s: rc %d %s %s" % (mode, r.returncode, r.stdout[:300], r.stderr[:300]))
        r = lookout("gate", "--prometheus", burl, "--slo-spec", spec, "--slo", name)
        expect(r.returncode == 3, "malformed %s gate unknown: %d" % (mode, r.returncode))
    # a Prometheus that never answers in time: timeout from the config
    BadProm.mode = "hang"
    cfg = os.path.join(work, "timeout.yaml")
    with open(cfg, "w") as f:
        f.write("prometheus:\n  url: %s\n  timeout: 1s\n" % burl)
    start = time.monotonic()
    r = lookout("gate", "--config", cfg, "--slo-spec", spec, "--slo", name, "--json")
    took = time.monotonic() - start
    j = json.loads(r.stdout or "{}")
    expect(r.returncode == 3 and j.get("decision") == "unknown" and took < 4,
          "hanging Prometheus: unknown after the timeout (%.1fs): %d %s" % (took, r.returncode, r.stderr))
    start = time.monotonic()
    r = lookout("gate", "--prometheus", burl, "--timeout", "1s", "--slo-spec", spec, "--slo", name,
                "--json")
    took = time.monotonic() - start
    j = json.loads(r.stdout or "{}")
    expect(r.returncode == 3 and "timed out after 1 s" in j.get("reason", "") and took < 4,
           "--timeout 1s: unknown, says it timed out (%.1fs): %s" % (took, r.stdout))
    # lookout serve --timeout: each query of the served engine, over prometheus.timeout
    cfg = os.path.join(work, "serve-timeout.yaml")
    with open(cfg, "w") as f:
        f.write("prometheus:\n  url: %s\n  timeout: 30s\nslo_specs: [%s]\n" % (burl, spec))
    sp, sport = lookout_serve(work, "--config", cfg, "--timeout", "500ms", "--no-kernel")
    reason, deadline = "", time.monotonic() + 8
    while sport and time.monotonic() < deadline and "timed out after 0.5 s" not in reason:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/v1/gate?slo=%s" % (sport, name),
                                        timeout=5) as resp:
                reason = json.loads(resp.read()).get("data", {}).get("reason", "")
        except (OSError, ValueError):
            pass
        time.sleep(0.2)  # the gate has no event to wait on from here
    rc, err = stop(sp)
    expect("timed out after 0.5 s" in reason, "serve --timeout 500ms: %r (port %d, exit %s: %s)" % (
        reason, sport, rc, err[-300:]))
    sp, _ = lookout_serve(work, "--config", cfg, "--timeout", "5 parsecs")
    rc, err = stop(sp)
    expect(rc == 2 and "--timeout '5 parsecs'" in err, "serve --timeout refused: %d %s" % (rc, err))
    # a typo is refused before any query: no request, no wait, a did-you-mean
    before = BadProm.requests
    start = time.monotonic()
    r = lookout("gate", "--prometheus", burl, "--slo-spec", spec, "--slo",
                "myservice-request-availability", "--json")
    took = time.monotonic() - start
    j = json.loads(r.stdout or "{}")
    expect(r.returncode == 2 and j.get("decision") == "error"
           and "did you mean myservice-requests-availability" in j.get("reason", "")
           and BadProm.requests == before and took < 3,
           "typo: exit 2 before any query (%d requests, %.1fs): %s" % (
               BadProm.requests - before, took, r.stdout))
    # bearer token from the environment (never argv) and the tenant header
    BadProm.mode = "auth"
    r = lookout("slo", "status", "--prometheus", burl, "--slo-spec", spec, "--tenant", "team-a",
                "--json", extra_env={"LOOKOUT_PROMETHEUS_TOKEN": "s3cret"})
    ok = r.returncode == 0
    try:
        ok = ok and abs(json.loads(r.stdout)["slos"][0]["windows"][0]["burn_rate"] - 0.5) < 1e-9
    except (ValueError, KeyError, IndexError, TypeError):
        ok = False
    expect(ok, "bearer + tenant accepted: %d %s %s" % (r.returncode, r.stdout[:200], r.stderr[:200]))
    r = lookout("slo", "status", "--prometheus", burl, "--slo-spec", spec, "--json")
    expect(r.returncode == 3 and "unauthorized" in r.stdout, "no token: 401 reported")
    srv.shutdown()


if __name__ == "__main__":
    sys.exit(main())
