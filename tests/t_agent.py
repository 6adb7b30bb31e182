#!/usr/bin/env python3
"""Node agents through the real binary: two `lookout agent` processes on
loopback and a console (`lookout --once --json`) listing both in its config.

As root with kernel events available, the agents serve real kernel events
and the test execs a marker process that both agents must report; otherwise
the agents serve the demo's simulated kernel events (the reason is printed).
Also: bearer token (401 without it, /healthz open), Prometheus /metrics
accepted by promtool when it is installed, a killed agent shows as failed in
a new console while the other still delivers, and an over-long request head
is refused without harming the server."""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request, urllib.error

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from agent_stream import AgentProc, EventStream  # noqa: E402
from testkit import LOOKOUT, check, failures, finish, read_port_file, skip, wait_for  # noqa: E402


def http_get(port, path, token=None, timeout=5, limit=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(limit) if limit else r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def readyz(port, timeout=5):
    """/readyz once it answers 200 (a source may still be starting), else its last answer."""
    last = [(0, b"")]

    def ok():
        last[0] = http_get(port, "/readyz")
        return last[0][0] == 200
    wait_for(ok, timeout)
    return last[0]


class Agent(AgentProc):
    """An agent serving the demo's kernel events (demo) or the real ones, behind a token."""

    def __init__(self, tmp, node, demo, token_file=None, port=0):
        extra = ["--demo", "--no-kernel"] if demo else []
        if token_file:
            extra += ["--token-file", token_file]
        super().__init__(LOOKOUT, tmp, node, extra, port=port)


def console(tmp, agents, token_file):
    cfg = os.path.join(tmp, "console.yaml")
    with open(cfg, "w") as f:
        f.write("agents:\n")
        for a in agents:
            f.write("  - name: %s\n    url: http://127.0.0.1:%d\n" % (a.node, a.port))
            if token_file:
                f.write("    token_file: %s\n" % token_file)
    out = subprocess.run([LOOKOUT, "--once", "--json", "--no-kernel", "--timeout", "10",
                          "--config", cfg], capture_output=True, timeout=60)
    try:
        return json.loads(out.stdout), out
    except ValueError:
        return None, out


def sources(snap):
    rows = snap.get("sources", []) if snap else []
    if isinstance(rows, dict):
        rows = rows.get("rows", [])
    return {r.get("name"): r for r in rows}


def kevents(snap):
    rows = snap.get("kevents", []) if snap else []
    if isinstance(rows, dict):
        rows = rows.get("rows", rows.get("items", []))
    return rows


def kernel_available(tmp):
    """Root and an agent whose kernel source synced."""
    if os.geteuid() != 0:
        return False, "not root"
    probe = Agent(tmp, "probe", demo=False)
    ok = False
    if probe.port:
        def up():
            st, body = http_get(probe.port, "/metrics")
            return st == 200 and b'lookout_source_up{name="kernel",kind="kernel"} 1' in body
        ok = bool(wait_for(up, 15))
    probe.stop()
    return ok, "" if ok else "the kernel source did not sync in an agent (see probe.log)"


def unprivileged_agent(d, name, *args):
    """An agent run as nobody without capabilities: (process, port, log path)."""
    pf, log = os.path.join(d, name + ".port"), os.path.join(d, name + ".log")
    with open(log, "w") as err:
        p = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                              "--inh-caps=-all", LOOKOUT, "agent", "--listen", "127.0.0.1:0",
                              "--port-file", pf, *args], stdout=subprocess.DEVNULL, stderr=err,
                             env=dict(os.environ, HOME=d, XDG_CONFIG_HOME="/nonexistent"))
    return p, read_port_file(pf, p), log


def blind_agent_not_ready():
    """Readiness says whether the agent delivers the events it was asked for.
    Without privileges its kernel source cannot run: alive, not ready (/healthz
    200, /readyz 503 naming the kernel, the log says why). The demo simulates
    the kernel: ready once its stream runs, root or not. --no-kernel asked for
    no kernel: nothing is missing, ready."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        skip("blind agent not ready", "needs root and setpriv(1) to run one without privileges")
        return
    d = tempfile.mkdtemp(prefix="lookout-t-agent-blind-")
    os.chmod(d, 0o777)  # the unprivileged agents write their port files here
    procs = []
    try:
        p, port, log = unprivileged_agent(d, "blind")
        procs.append(p)
        live = http_get(port, "/healthz") if port else (0, b"")
        ready = http_get(port, "/readyz") if port else (0, b"")
        check("blind agent: /healthz 200 (alive), /readyz 503 naming the kernel",
              live[0] == 200 and ready == (503, b"not ready: kernel (disabled)\n"), (live, ready))
        said = wait_for(lambda: "kernel source unavailable: " in open(log).read(), 5)
        check("blind agent: the log says why it is not ready", said, open(log).read())
        for name, args in (("demo", ("--demo",)), ("nokernel", ("--no-kernel",))):
            p, port, _ = unprivileged_agent(d, name, *args)
            procs.append(p)
            ready = readyz(port) if port else None
            check("unprivileged agent %s: /readyz 200 ready" % " ".join(args),
                  ready == (200, b"ready\n"), ready)
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        shutil.rmtree(d, ignore_errors=True)


def main():
    blind_agent_not_ready()
    tmp = tempfile.mkdtemp(prefix="lookout-t-agent-")
    with open(os.path.join(tmp, "empty.yaml"), "w") as f:
        f.write("general: {}\n")
    token_file = os.path.join(tmp, "token")
    token = "t0ken-" + os.urandom(8).hex()
    with open(token_file, "w") as f:
        f.write(token + "\n")
    os.chmod(token_file, 0o600)

    # rule files are checked with file:line messages; a broken rule is skipped, not the file
    rf = os.path.join(tmp, "local-rules.yaml")
    with open(rf, "w") as f:
        f.write("rules:\n  - rule: mine\n    kind: exec\n    match: {comm: '^evil$'}\n"
                "  - rule: broken\n    kind: exec\n    match:\n      comm: '(x'\n")
    cf = os.path.join(tmp, "rules-cfg.yaml")
    with open(cf, "w") as f:
        f.write("rules:\n  files: [%s]\n" % rf)
    p = subprocess.run([LOOKOUT, "agent", "--check-rules", "--config", cf], capture_output=True, text=True)
    check("--check-rules reports file:line and exits 2",
          p.returncode == 2 and "%s:8: field 'comm': bad regex" % rf in p.stderr and "8 rules loaded" in p.stdout,
          (p.returncode, p.stdout, p.stderr))
    p = subprocess.run([LOOKOUT, "agent", "--check-rules", "--config", os.path.join(tmp, "empty.yaml")],
                       capture_output=True, text=True)
    check("--check-rules on the defaults is clean", p.returncode == 0 and "7 rules loaded" in p.stdout,
          (p.returncode, p.stderr))

    real, why = kernel_available(tmp)
    print("mode:", "real kernel events" if real else "demo kernel events (%s)" % why)
    if not real:  # the agents still run, on simulated events; the real-kernel path is not covered
        skip("real kernel events", why)
    a = Agent(tmp, "node-a", demo=not real, token_file=token_file)
    b = Agent(tmp, "node-b", demo=not real, token_file=token_file)
    check("agents listen", a.port and b.port)
    if not (a.port and b.port):
        return finish()

    # auth: token needed everywhere but /healthz
    st, _ = http_get(a.port, "/metrics")
    check("no token -> 401", st == 401, st)
    st, _ = http_get(a.port, "/metrics", token="wrong")
    check("wrong token -> 401", st == 401, st)
    st, body = http_get(a.port, "/healthz")
    check("healthz open", st == 200 and body == b"ok\n", (st, body))
    # its kernel source (or the demo simulating it) delivers: ready, and the probe
    # needs no token either
    st, body = readyz(a.port)
    check("readyz open and ready", st == 200 and body == b"ready\n", (st, body))

    marker = "lookout-agent-marker-%d" % os.getpid()
    if real:
        # both agents watch this host's kernel: each must report the marker exec
        def marked(agent):
            subprocess.run(["/bin/sh", "-c", "exec /bin/true " + marker])
            st, body = http_get(agent.port, "/metrics", token=token)
            return st == 200 and b'lookout_agent_events_total{kind="exec",severity="info"} 0' not in body
        wait_for(lambda: marked(a) and marked(b), 15)
    else:
        def has_events(agent):
            st, body = http_get(agent.port, "/metrics", token=token)
            return st == 200 and any(l.startswith("lookout_agent_events_total") and not l.endswith(" 0")
                                     for l in body.decode().splitlines())
        wait_for(lambda: has_events(a) and has_events(b), 20)

    snap, out = console(tmp, [a, b], token_file)
    check("console snapshot parses", snap is not None, out.stderr[-500:])
    src = sources(snap)
    check("both agent sources synced",
          src.get("agent:node-a", {}).get("state") == "synced" and
          src.get("agent:node-b", {}).get("state") == "synced",
          {k: v.get("state") for k, v in src.items()})
    ev = kevents(snap)
    nodes = {e.get("node") for e in ev}
    check("events from both nodes, tagged", {"node-a", "node-b"} <= nodes, nodes)
    if real:
        ks = snap.get("kstats", []) if snap else []
        if isinstance(ks, dict):
            ks = ks.get("rows", [])
        names = {k.get("name") for k in ks}
        check("agents' kernel counters as kstats rows", {"agent:node-a", "agent:node-b"} <= names, names)
        # The console got a backlog; on a busy host the marker may be older than
        # that, so each agent's own exec stream is read until the marker shows.
        for agent in (a, b):
            st = EventStream(agent.port, token=token, query="?kinds=exec")
            hit = None
            deadline = time.time() + 15
            while hit is None and time.time() < deadline:
                subprocess.run(["/bin/sh", "-c", "exec /bin/true " + marker])
                for e in st.events(min(deadline, time.time() + 1)):
                    if marker in e.get("process", {}).get("arguments", ""):
                        hit = e
                        break
            st.close()
            check("marker exec from %s, tagged" % agent.node, hit is not None and hit.get("node_name") == agent.node,
                  hit)

    # metrics: Prometheus text format
    st, body = http_get(a.port, "/metrics", token=token)
    text = body.decode()
    check("metrics served", st == 200 and "lookout_agent_events_total{kind=" in text, st)
    check("metrics count stream clients", "lookout_agent_stream_clients" in text)
    if shutil.which("promtool"):
        p = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
        bad = [l for l in (p.stdout + p.stderr).decode().splitlines() if "error" in l.lower()]
        check("promtool accepts /metrics", not bad and p.returncode in (0, 3), (p.returncode, bad[:3]))
    else:
        skip("promtool accepts /metrics", "no promtool (it comes with the prometheus package)")

    # the deploy gate route (JSON over the engine): an unknown SLO is a 404 with a JSON body
    st, body = http_get(a.port, "/v1/gate?slo=no-such-slo", token=token)
    try:
        gate = json.loads(body)
    except ValueError:
        gate = None
    check("GET /v1/gate answers JSON", st == 404 and isinstance(gate, dict), (st, body[:200]))
    st, _ = http_get(a.port, "/v1/gate?slo=x")
    check("GET /v1/gate needs the token", st == 401, st)

    # a raw event stream: JSON lines with Tetragon-style names
    s = socket.create_connection(("127.0.0.1", b.port), timeout=5)
    s.sendall(("GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % token).encode())
    data = b""
    end = time.time() + 10
    while b'"node_name"' not in data and time.time() < end:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    check("events stream is chunked", b"Transfer-Encoding: chunked" in data.split(b"\r\n\r\n")[0])
    line = next((l for l in data.split(b"\n") if l.startswith(b"{")), b"")
    try:
        obj = json.loads(line)
    except ValueError:
        obj = {}
    check("event line has process + node_name", "process" in obj and obj.get("node_name") == "node-b", line[:200])

    # filters: ?kinds=...&severity=...; a bad filter is a 400
    s = socket.create_connection(("127.0.0.1", b.port), timeout=5)
    s.sendall(("GET /events?kinds=exec&severity=info HTTP/1.1\r\nHost: x\r\n"
               "Authorization: Bearer %s\r\n\r\n" % token).encode())
    data = b""
    end = time.time() + 8
    while data.count(b'"kind"') < 3 and time.time() < end:
        if real:
            subprocess.run(["/bin/true", marker])
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    s.close()
    kinds = set()
    for l in data.split(b"\n"):
        if l.startswith(b"{") and b'"kind"' in l:
            try:
                kinds.add(json.loads(l).get("kind"))
            except ValueError:
                pass
    check("kinds filter", kinds and kinds <= {"exec", "gap"}, kinds)
    st, body = http_get(b.port, "/events?kinds=teleport", token=token)
    check("bad filter -> 400", st == 400, (st, body[:80]))

    # hostile request heads: too long, garbage; the server survives
    s = socket.create_connection(("127.0.0.1", b.port), timeout=5)
    s.sendall(b"GET /" + b"A" * 9000 + b" HTTP/1.1\r\n")
    resp = s.recv(4096)
    s.close()
    check("over-long head -> 431", resp.startswith(b"HTTP/1.1 431"), resp[:40])
    s = socket.create_connection(("127.0.0.1", b.port), timeout=5)
    s.sendall(b"BREW /coffee HTCPCP/1.0\r\n\r\n")
    resp = s.recv(4096)
    s.close()
    check("garbage request -> 4xx", resp.startswith(b"HTTP/1.1 4"), resp[:40])
    st, _ = http_get(b.port, "/healthz")
    check("server alive after bad requests", st == 200)

    # kill A: a fresh console sees it failed, B still delivers
    a.stop(signal.SIGKILL)
    snap, out = console(tmp, [a, b], token_file)
    src = sources(snap)
    check("killed agent not synced", src.get("agent:node-a", {}).get("state") in ("failed", "stale"),
          src.get("agent:node-a"))
    check("other agent still synced", src.get("agent:node-b", {}).get("state") == "synced")
    check("other agent's events arrive", any(e.get("node") == "node-b" for e in kevents(snap)))

    # restart A on its port: a console gets it again
    a2 = Agent(tmp, "node-a", demo=not real, token_file=token_file, port=a.port)
    check("agent restarts on its port", a2.port == a.port, (a2.port, a.port))
    if not real:
        wait_for(lambda: has_events(a2), 20)
    else:
        subprocess.run(["/bin/sh", "-c", "exec /bin/true " + marker])
    snap, out = console(tmp, [a2, b], token_file)
    src = sources(snap)
    check("restarted agent synced again", src.get("agent:node-a", {}).get("state") == "synced",
          src.get("agent:node-a"))

    rc_b = b.stop()
    check("agent exits cleanly on SIGTERM", rc_b == 0, rc_b)
    a2.stop()
    if failures():
        for n in ("node-a", "node-b", "probe"):
            p = os.path.join(tmp, n + ".log")
            if os.path.exists(p):
                print("--- %s.log" % n)
                print(open(p).read()[-2000:])
    shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
