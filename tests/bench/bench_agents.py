#!/usr/bin/env python3
"""Issue 19 item 3: one headless console reading N node agents found through
a Kubernetes-like server, measured (standard library only).

Every agent is a real `lookout agent --demo-rate RATE` process listening on
its own loopback address (127.77.X.Y, one port for all, as pod IPs of a
DaemonSet), RATE made-up kernel events a second, 6% of them warn+. The
agents start once, for the largest N; each scenario lists its first N as
ready pods in tests/servers/fake_apiserver.py and runs one console,
`lookout --run-for S --json` (the whole engine, no terminal) with
`agents: {discover: ...}` over it: the default filter (warn+ above three
agents), or `filter: {}` (every event). After a warm-up (discovery, the
connections, their backlogs) it measures for a window:

  console CPU %     utime+stime from /proc over the window, % of one core
  RSS               VmHWM (peak) and VmRSS at the window's end
  events/s          event rows the agents sent the console in the window
                    (their /metrics), and what the console counted received
  lag p50 / p99     event time to arrival at the console (the console's
                    kstats rows agent:NODE, last heartbeat window): the
                    median agent's p50, the worst agent's p99
  drops             events an agent did not send because the console's
                    stream lagged (agent /metrics), and the events the
                    console was told it lost (its gap rows)
  agents CPU %      every agent process together, % of one core

Prints a table with the targets for N = 200 (warn+) beside it; --json FILE
also writes one JSON object per scenario. tests/bench/bench_agents.sh runs
it for `make bench`; tests/t_bench_agents.py runs it small in `make test`.
"""
import argparse
import concurrent.futures
import copy
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
from testkit import FIXTURES, env_for, start_server, stop  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
LABELS = {"app.kubernetes.io/name": "lookout-agent"}
TARGETS = {"cpu": 5.0, "rss_mb": 96.0, "p99_ms": 1000.0, "drops": 0}


def agent_ip(i):
    return "127.77.%d.%d" % (i // 250, i % 250 + 1)


def free_port(n):
    """A port free on all n agent addresses, or 0."""
    for _ in range(20):
        s = socket.socket()
        s.bind((agent_ip(0), 0))
        port = s.getsockname()[1]
        s.close()
        ok = True
        for i in range(n):
            t = socket.socket()
            try:
                t.bind((agent_ip(i), port))
            except OSError:
                ok = False
            t.close()
            if not ok:
                break
        if ok:
            return port
    return 0


def cpu_ticks(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, IndexError, ValueError):
        return 0


def status_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def scrape(ip, port):
    """(delivered, drops) of the agent's event streams, from its /metrics."""
    got = {}
    try:
        with urllib.request.urlopen("http://%s:%d/metrics" % (ip, port), timeout=5) as r:
            for line in r.read().decode().splitlines():
                name, _, value = line.partition(" ")
                if name in ("lookout_agent_stream_delivered_total", "lookout_agent_stream_drops_total"):
                    got[name] = int(float(value))
    except (OSError, ValueError):
        return None
    return (got.get("lookout_agent_stream_delivered_total", 0),
            got.get("lookout_agent_stream_drops_total", 0))


def scrape_all(pool, n, port):
    """Sums of (delivered, drops) over agents 0..n-1 and the time in the middle of the scrape."""
    t0 = time.monotonic()
    res = list(pool.map(lambda i: scrape(agent_ip(i), port), range(n)))
    mid = (t0 + time.monotonic()) / 2
    ok = [r for r in res if r]
    return sum(r[0] for r in ok), sum(r[1] for r in ok), mid, len(ok)


def ctl(api, cmd, body):
    req = urllib.request.Request("http://127.0.0.1:%d/_ctl/%s" % (api, cmd),
                                 data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def agent_pod(template, i):
    o = copy.deepcopy(template)
    m = o["metadata"]
    for k in ("managedFields", "selfLink", "resourceVersion", "generateName", "ownerReferences"):
        m.pop(k, None)
    name = "agent-node-%03d" % i
    m.update(name=name, namespace="lookout", uid="uid-" + name, labels=dict(LABELS))
    o["spec"]["nodeName"] = "node-%03d" % i
    o["status"]["podIP"] = agent_ip(i)
    return o


class Fleet:
    """The agents, the API server listing them, and the console's config."""

    def __init__(self, tmp, binary, nmax, rate):
        self.tmp, self.bin, self.nmax, self.rate = tmp, binary, nmax, rate
        self.agents, self.listed, self.api_proc = [], 0, None
        self.port = free_port(nmax)
        if not self.port:
            raise RuntimeError("cannot bind %d addresses in 127.77.0.0/16" % nmax)

    def start(self):
        self.api_proc, self.api = start_server(
            "fake_apiserver.py", "--fixtures", os.path.join(FIXTURES, "k8s"), "--token", "bench-token",
            stderr=subprocess.DEVNULL)
        cfg = os.path.join(self.tmp, "agent.yaml")
        with open(cfg, "w") as f:
            f.write("general: {}\n")
        log = open(os.path.join(self.tmp, "agents.log"), "a")
        env = env_for(self.tmp)
        for i in range(self.nmax):
            self.agents.append(subprocess.Popen(
                [self.bin, "agent", "--demo-rate", str(self.rate), "--listen",
                 "%s:%d" % (agent_ip(i), self.port), "--node", "node-%03d" % i, "--config", cfg],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env))
        with open(os.path.join(FIXTURES, "k8s", "pod-running.k9s.json")) as f:
            self.template = json.load(f)
        # up when each answers /healthz (an agent binds before it serves)
        end = time.time() + 60
        for i in range(self.nmax):
            while True:
                try:
                    urllib.request.urlopen("http://%s:%d/healthz" % (agent_ip(i), self.port), timeout=2)
                    break
                except OSError:
                    if self.agents[i].poll() is not None or time.time() > end:
                        raise RuntimeError("agent %d did not start (see %s/agents.log)" % (i, self.tmp))
                    time.sleep(0.05)

    def list_pods(self, n):
        """The first n agents as ready pods, the others not listed."""
        for i in range(self.listed, n):
            ctl(self.api, "put", {"resource": "pods", "object": agent_pod(self.template, i)})
        for i in range(n, self.listed):
            ctl(self.api, "delete", {"resource": "pods", "key": "lookout/agent-node-%03d" % i})
        self.listed = n

    def console_config(self, every_event):
        kc = os.path.join(self.tmp, "kubeconfig")
        with open(kc, "w") as f:
            f.write("apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: c\n"
                    "  cluster: {server: 'http://127.0.0.1:%d'}\ncontexts:\n- name: t\n"
                    "  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: bench-token}\n"
                    % self.api)
        os.chmod(kc, 0o600)
        cfg = os.path.join(self.tmp, "console.yaml")
        with open(cfg, "w") as f:
            f.write("kubernetes: {enabled: false, kubeconfig: %s}\n"
                    "agents:\n  discover: {namespace: lookout, port: %d}\n" % (kc, self.port))
            if every_event:
                f.write("  filter: {}\n")
        return cfg

    def stop(self):
        """Stops everything; the number of agents that did not exit cleanly (a
        sanitizer report, a crash) on SIGTERM."""
        for p in self.agents:
            if p.poll() is None:
                p.terminate()
        bad = 0
        for p in self.agents:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            bad += p.returncode != 0
        if self.api_proc:
            stop(self.api_proc)
        return bad


def agents_ticks(fleet):
    return sum(cpu_ticks(p.pid) for p in fleet.agents)


def run_scenario(fleet, pool, n, every_event, warm, window):
    fleet.list_pods(n)
    cfg = fleet.console_config(every_event)
    name = "console-%d-%s" % (n, "all" if every_event else "default")
    out = open(os.path.join(fleet.tmp, name + ".json"), "w+")
    err = open(os.path.join(fleet.tmp, name + ".log"), "w")
    _, drops_before, _, _ = scrape_all(pool, n, fleet.port)  # agents outlive scenarios
    t_start = time.monotonic()
    con = subprocess.Popen([fleet.bin, "--run-for", str(warm + window + 1), "--json", "--no-kernel",
                            "--config", cfg], stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                           env=env_for(fleet.tmp))
    time.sleep(warm)
    tc0 = time.monotonic()
    c0, a0 = cpu_ticks(con.pid), agents_ticks(fleet)
    d0, x0, m0, answered0 = scrape_all(pool, n, fleet.port)
    time.sleep(max(0.0, window - (time.monotonic() - tc0)))
    tc1 = time.monotonic()
    c1, a1 = cpu_ticks(con.pid), agents_ticks(fleet)
    hwm, rss = status_kb(con.pid, "VmHWM"), status_kb(con.pid, "VmRSS")
    d1, x1, m1, answered = scrape_all(pool, n, fleet.port)
    try:
        con.wait(timeout=warm + window + 30)
    except subprocess.TimeoutExpired:
        con.kill()
        con.wait()
    out.seek(0)
    try:
        state = json.load(out)
    except ValueError:
        state = {}
    rows = [k for k in state.get("kstats", []) if k.get("name", "").startswith("agent:")]
    synced = sum(1 for s in state.get("sources", [])
                 if s.get("name", "").startswith("agent:") and s.get("state") == "synced")
    p50s = [r["lag_p50_ms"] for r in rows if r.get("lag_p50_ms") is not None]
    p99s = [r["lag_p99_ms"] for r in rows if r.get("lag_p99_ms") is not None]
    secs = tc1 - tc0
    return {
        "agents": n,
        "filter": "all" if every_event else "default",
        "rate_per_agent": fleet.rate,
        "synced": synced,
        "answered": min(answered0, answered),
        "exit": con.returncode,
        "warmup_cpu_s": round(c0 / TICK, 2),
        "warmup_s": round(tc0 - t_start, 1),
        "window_s": round(secs, 1),
        "cpu_pct": round(100.0 * (c1 - c0) / TICK / secs, 2),
        "rss_peak_mb": round(hwm / 1024, 1),
        "rss_mb": round(rss / 1024, 1),
        # only when every agent answered both scrapes (a machine too loaded to answer: "-")
        "delivered_per_s": round((d1 - d0) / (m1 - m0), 1) if answered0 == answered == n else None,
        "received": sum(r.get("received", 0) for r in rows),
        "lag_p50_ms": statistics.median(p50s) if p50s else None,
        "lag_p99_ms": max(p99s) if p99s else None,
        "agents_with_lag": len(p99s),
        "agent_drops": x1 - drops_before,
        "console_lost": sum(r.get("lost", 0) for r in rows),
        "agents_cpu_pct": round(100.0 * (a1 - a0) / TICK / secs, 1),
        "agents_running": len(fleet.agents),
    }


def fmt(v, spec="%.1f"):
    return "-" if v is None else spec % v


def print_table(results):
    print("%-13s %7s %7s %13s %9s %11s %11s %12s %9s" % (
        "scenario", "synced", "CPU%", "RSS peak/now", "events/s", "lag p50 ms", "lag p99 ms",
        "drops ag/con", "agents%"))
    for r in results:
        print("%-13s %3d/%-3d %7.2f %6.1f/%-6.1f %9s %11s %11s %7d/%-4d %9.1f" % (
            "N=%d %s" % (r["agents"], "all" if r["filter"] == "all" else "warn+" if r["agents"] > 3 else "all"),
            r["synced"], r["agents"], r["cpu_pct"], r["rss_peak_mb"], r["rss_mb"],
            fmt(r["delivered_per_s"]), fmt(r["lag_p50_ms"], "%.0f"), fmt(r["lag_p99_ms"], "%.0f"),
            r["agent_drops"], r["console_lost"], r["agents_cpu_pct"]))
    print("targets, N=200 warn+: CPU < %.0f%% of one core, RSS < %.0f MB, lag p99 < %.0f ms, drops %d"
          % (TARGETS["cpu"], TARGETS["rss_mb"], TARGETS["p99_ms"], TARGETS["drops"]))
    for r in results:
        if r["agents"] == 200 and r["filter"] == "default":
            miss = [k for k, bad in (
                ("CPU", r["cpu_pct"] >= TARGETS["cpu"]),
                ("RSS", r["rss_peak_mb"] >= TARGETS["rss_mb"]),
                ("lag", r["lag_p99_ms"] is None or r["lag_p99_ms"] >= TARGETS["p99_ms"]),
                ("drops", r["agent_drops"] + r["console_lost"] > 0),
                ("sync", r["synced"] < r["agents"])) if bad]
            print("N=200 warn+: %s" % ("all targets met" if not miss else "MISSED " + ", ".join(miss)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.environ.get("LOOKOUT_REL") or
                    os.path.join(os.path.dirname(os.path.dirname(HERE)), "lookout"))
    ap.add_argument("--scenarios", default="10,50,200,200:all",
                    help="N or N:all, comma-separated (N:all asks every agent for every event)")
    ap.add_argument("--rate", type=int, default=50, help="events a second per agent")
    ap.add_argument("--warm", type=float, default=10, help="seconds before the window")
    ap.add_argument("--window", type=float, default=12, help="seconds measured")
    ap.add_argument("--json", help="write one JSON object per scenario here")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (logs, console output)")
    a = ap.parse_args()
    scen = []
    for s in a.scenarios.split(","):
        n, _, mode = s.partition(":")
        scen.append((int(n), mode == "all"))
    tmp = tempfile.mkdtemp(prefix="lookout-bench-agents-")
    fleet = Fleet(tmp, a.bin, max(n for n, _ in scen), a.rate)
    results = []
    t = time.monotonic()
    try:
        fleet.start()
        print("%d agents at %d events/s each started in %.1f s (%s)" % (
            fleet.nmax, a.rate, time.monotonic() - t, tmp), flush=True)
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            for n, every in scen:
                results.append(run_scenario(fleet, pool, n, every, a.warm, a.window))
                print(json.dumps(results[-1]), flush=True)
    finally:
        bad = fleet.stop()
        if bad:
            print("%d agents did not exit cleanly; the end of their log:" % bad)
            with open(os.path.join(tmp, "agents.log"), errors="replace") as f:
                print(f.read()[-3000:])
        for r in results:
            if r["exit"] != 0:
                bad += 1
                print("the console of N=%d (%s) exited with %s; the end of its log:"
                      % (r["agents"], r["filter"], r["exit"]))
                with open(os.path.join(tmp, "console-%d-%s.log" % (r["agents"], r["filter"])),
                          errors="replace") as f:
                    print(f.read()[-3000:])
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print_table(results)
    if a.json:
        with open(a.json, "w") as f:
            for r in results:
                f.write(json.dumps(r) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
