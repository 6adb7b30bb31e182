#!/usr/bin/env python3
"""Agents found through Kubernetes, and filters at the source, through the
real binary: a loopback API server (tests/servers/fake_apiserver.py) lists
three agent pods whose IPs are 127.0.0.2-4, where three `lookout agent
--demo` processes listen on one port; a headless console (`lookout serve
--record`) discovers them. One pod is deleted (its source goes), one pod's
IP changes to 127.0.0.5 (the console moves to the agent there), events
arrive tagged with the pods' node names, and a fourth agent flips the
default filter to warn+ (the streams reconnect with it). Meanwhile three direct streams of
one agent (all events, min_severity=warning, max_rate=1) check that a
filtered stream carries no INFO event and that every heartbeat's per-kind
counts are the node's, the same on every stream and equal to the rows the
unfiltered stream carried."""
import copy, json, os, socket, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from agent_stream import EventStream  # noqa: E402
from testkit import (LOOKOUT, FIXTURES, check, env_for, finish, read_port_file, skip,  # noqa: E402
                     start_server, stop, wait_for)

IPS = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]
LABELS = {"app.kubernetes.io/name": "lookout-agent"}


def free_port():
    """A port free on every address used (each agent binds its own)."""
    for _ in range(20):
        s = socket.socket()
        s.bind((IPS[0], 0))
        port = s.getsockname()[1]
        s.close()
        ok = True
        for ip in IPS:
            t = socket.socket()
            try:
                t.bind((ip, port))
            except OSError:
                ok = False
            t.close()
        if ok:
            return port
    return 0


def start_agent(tmp, ip, port):
    cfg = os.path.join(tmp, "agent.yaml")
    with open(cfg, "w") as f:
        f.write("general: {}\n")
    pf = os.path.join(tmp, ip + ".port")
    log = open(os.path.join(tmp, ip + ".log"), "w")
    p = subprocess.Popen([LOOKOUT, "agent", "--demo", "--no-kernel", "--listen", "%s:%d" % (ip, port),
                          "--node", "self-" + ip, "--port-file", pf, "--config", cfg],
                         stdout=log, stderr=subprocess.STDOUT)
    return p, read_port_file(pf, p)


def ctl(api, cmd, body):
    req = urllib.request.Request("http://127.0.0.1:%d/_ctl/%s" % (api, cmd),
                                 data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)


def agent_pod(template, name, node, ip):
    o = copy.deepcopy(template)
    m = o["metadata"]
    for k in ("managedFields", "selfLink", "resourceVersion", "generateName", "ownerReferences"):
        m.pop(k, None)
    m.update(name=name, namespace="lookout", uid="uid-" + name, labels=dict(LABELS))
    o["spec"]["nodeName"] = node
    o["status"]["podIP"] = ip
    return o


def client_ids(ip, port):
    """The connection numbers of the agent's open streams."""
    ids = set()
    try:
        with urllib.request.urlopen("http://%s:%d/metrics" % (ip, port), timeout=3) as r:
            for line in r.read().decode().splitlines():
                if line.startswith("lookout_agent_stream_client_delivered_total{client="):
                    ids.add(int(line.split('"')[1]))
    except OSError:
        pass
    return ids


def clients(ip, port):
    try:
        with urllib.request.urlopen("http://%s:%d/metrics" % (ip, port), timeout=3) as r:
            for line in r.read().decode().splitlines():
                if line.startswith("lookout_agent_stream_clients "):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


class Record:
    """The console's --record file, read as it grows."""

    def __init__(self, path):
        self.path, self.off, self.lines = path, 0, []

    def poll(self):
        try:
            with open(self.path) as f:
                f.seek(self.off)
                data = f.read()
        except OSError:
            return
        end = data.rfind("\n") + 1
        self.off += len(data[:end].encode())
        for line in data[:end].splitlines():
            try:
                self.lines.append(json.loads(line))
            except ValueError:
                pass

    def source(self, name):
        """The last state of source row name: its dict, or None when removed or never there."""
        self.poll()
        last = None
        for j in self.lines:
            if j.get("table") != "sources":
                continue
            if j["op"] == "remove" and j.get("key") == name:
                last = None
            elif j["op"] == "upsert" and j["obj"].get("name") == name:
                last = j["obj"]
        return last

    def kevent_nodes(self, since=0):
        self.poll()
        return [j["obj"].get("node") for j in self.lines[since:] if j.get("table") == "kevents"]


def read_streams(port, out):
    """Three direct streams of one agent for ~11 s: lines per stream, in order."""
    queries = {"all": "", "warn": "?min_severity=warning", "capped": "?max_rate=1"}
    streams = {k: EventStream(port, query=q, host=IPS[0], timeout=8) for k, q in queries.items()}
    threads = []
    for k, s in streams.items():
        out[k] = []

        def run(k=k, s=s):
            for ev in s.events(time.time() + 11.5):
                out[k].append(ev)
        threads.append(threading.Thread(target=run, daemon=True))
    for t in threads:
        t.start()
    return threads, streams


def counters(lines):
    """(index, line) of each counters line."""
    return [(i, ln) for i, ln in enumerate(lines) if "seen" in ln and "stream" in ln]


def check_filters(out):
    allc, warnc, capc = counters(out["all"]), counters(out["warn"]), counters(out["capped"])
    check("three counters lines on each stream (backlog + 2 heartbeats)",
          len(allc) >= 3 and len(warnc) >= 3 and len(capc) >= 3, (len(allc), len(warnc), len(capc)))
    if len(allc) < 3 or len(warnc) < 3 or len(capc) < 3:
        return
    evs = lambda lines: [ln for ln in lines if "kind" in ln and "seen" not in ln]  # noqa: E731
    check("the unfiltered stream carries INFO events (the node has some to filter)",
          any(e.get("severity") == "info" for e in evs(out["all"])))
    check("the warn+ stream carries no INFO event",
          all(e.get("severity") != "info" for e in evs(out["warn"])),
          [e.get("severity") for e in evs(out["warn"])][:20])
    hb_all, hb_warn, hb_cap = allc[2][1]["seen"], warnc[2][1]["seen"], capc[2][1]["seen"]
    check("a heartbeat's per-kind counts are the same on the filtered and unfiltered streams",
          hb_all == hb_warn == hb_cap, (hb_all, hb_warn, hb_cap))
    i1, i2 = allc[1][0], allc[2][0]
    rows = {}
    for e in evs(out["all"][i1 + 1:i2]):
        rows[e["kind"]] = rows.get(e["kind"], 0) + 1
    check("...and equal the rows the unfiltered stream carried between its heartbeats",
          {k: v for k, v in hb_all.items() if v} == rows and rows, (hb_all, rows))
    seen_info = sum(hb_warn.values())
    warn_rows = len(evs(out["warn"][warnc[1][0] + 1:warnc[2][0]]))
    check("the node saw more than the warn+ stream carried", seen_info > warn_rows, (seen_info, warn_rows))
    cap_rows = len(evs(out["capped"][capc[1][0] + 1:capc[2][0]]))
    check("max_rate=1: about one event a second, the rest counted as capped",
          cap_rows <= 7 and capc[2][1]["stream"]["capped"] > 0, (cap_rows, capc[2][1]["stream"]))


def main():
    tmp = tempfile.mkdtemp(prefix="lookout-t-discover-")
    port = free_port()
    if not port:
        skip("agent discovery", "cannot bind 127.0.0.2-5 (no loopback /8 here)")
        return finish()
    api_proc, api = start_server("fake_apiserver.py", "--fixtures", os.path.join(FIXTURES, "k8s"),
                                 "--token", "disc-token")
    agents = [start_agent(tmp, ip, port) for ip in IPS]
    rec = None
    console = None
    try:
        check("four agents listen on one port at 127.0.0.2-5", all(p for _, p in agents),
              [p for _, p in agents])
        out = {}
        threads, streams = read_streams(port, out)
        try:
            urllib.request.urlopen("http://%s:%d/events?min_severity=loud" % (IPS[0], port), timeout=3)
            bad = 200
        except urllib.error.HTTPError as e:
            bad = e.code
        check("a bad filter is a 400", bad == 400, bad)

        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("agents:\n  discover: {}\n  filter: {kinds: [exec, bogus]}\n")
        p = subprocess.run([LOOKOUT, "--once", "--no-kernel", "--config", bad], env=env_for(tmp),
                           capture_output=True, text=True, timeout=30)
        check("a bad agents.filter is a config error with its line",
              p.returncode == 2 and "bad.yaml:3: agents.filter.kinds: unknown kind 'bogus'" in p.stderr,
              (p.returncode, p.stderr[-300:]))

        with open(os.path.join(FIXTURES, "k8s", "pod-running.k9s.json")) as f:
            tmpl = json.load(f)
        for i, node in enumerate(["n1", "n2", "n3"]):
            ctl(api, "put", {"resource": "pods", "object": agent_pod(tmpl, "agent-" + node, node, IPS[i])})
        other = agent_pod(tmpl, "not-an-agent", "n9", "127.0.0.9")
        other["metadata"]["labels"] = {"app": "web"}
        ctl(api, "put", {"resource": "pods", "object": other})

        kc = os.path.join(tmp, "kubeconfig")
        with open(kc, "w") as f:
            f.write("apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: c\n"
                    "  cluster: {server: 'http://127.0.0.1:%d'}\ncontexts:\n- name: t\n"
                    "  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: disc-token}\n" % api)
        os.chmod(kc, 0o600)
        cfg = os.path.join(tmp, "console.yaml")
        with open(cfg, "w") as f:
            f.write("kubernetes: {enabled: false, kubeconfig: %s}\n"
                    "agents:\n  discover: {namespace: lookout, port: %d}\n" % (kc, port))
        recpath = os.path.join(tmp, "rec.jsonl")
        log = open(os.path.join(tmp, "console.log"), "w")
        console = subprocess.Popen([LOOKOUT, "serve", "--listen", "127.0.0.1:0", "--no-kernel", "--config", cfg,
                                    "--record", recpath], env=env_for(tmp), stdout=log, stderr=subprocess.STDOUT)
        rec = Record(recpath)
        synced = lambda n: (rec.source("agent:" + n) or {}).get("state") == "synced"  # noqa: E731
        ok = wait_for(lambda: all(synced(n) for n in ("n1", "n2", "n3")), 10)
        check("three discovered agents synced, named after their nodes", ok,
              {n: rec.source("agent:" + n) for n in ("n1", "n2", "n3")})
        check("the pod without the agent label is not dialled", rec.source("agent:n9") is None)
        check("the discovery source is synced", (rec.source("agents:discover") or {}).get("state") == "synced",
              rec.source("agents:discover"))
        ok = wait_for(lambda: {"n1", "n2", "n3"} <= set(rec.kevent_nodes()), 8)
        check("events arrive tagged with the node names", ok, set(rec.kevent_nodes()))

        ctl(api, "delete", {"resource": "pods", "key": "lookout/agent-n2"})
        ok = wait_for(lambda: rec.source("agent:n2") is None and clients(IPS[1], port) == 0, 8)
        check("a deleted pod's agent source goes and its stream closes", ok,
              (rec.source("agent:n2"), clients(IPS[1], port)))

        moved = agent_pod(tmpl, "agent-n3", "n3", IPS[3])
        ctl(api, "put", {"resource": "pods", "object": moved})
        ok = wait_for(lambda: clients(IPS[3], port) == 1 and clients(IPS[2], port) == 0, 8)
        check("a pod's new IP: the console moves its stream there", ok,
              (clients(IPS[2], port), clients(IPS[3], port)))
        mark = len(rec.lines)
        ok = wait_for(lambda: "n3" in rec.kevent_nodes(mark) and synced("n3"), 8)
        check("...and the node's events still arrive, synced", ok, rec.source("agent:n3"))

        # n2 back and a fourth node: the default filter becomes warn+, and every stream follows
        # at its next heartbeat (a new connection, so a new connection number at the agent)
        before = max(client_ids(IPS[0], port) or {0})
        ctl(api, "put", {"resource": "pods", "object": agent_pod(tmpl, "agent-n2", "n2", IPS[1])})
        ctl(api, "put", {"resource": "pods", "object": agent_pod(tmpl, "agent-n4", "n4", IPS[2])})
        ok = wait_for(lambda: synced("n4") and max(client_ids(IPS[0], port) or {0}) > before, 9)
        check("a fourth agent: the first ones reconnect with the warn+ default", ok,
              (before, client_ids(IPS[0], port), rec.source("agent:n4")))
        mark = len(rec.lines)
        time.sleep(1)
        sev = [j["obj"].get("severity") for j in rec.lines[mark:] if j.get("table") == "kevents"]
        check("...after which no INFO event arrives", "info" not in sev, sev[:20])

        for t in threads:
            t.join(14)
        for s in streams.values():
            s.close()
        check_filters(out)
    finally:
        if console:
            rc, _ = stop(console)
            check("the console exits cleanly", rc == 0, open(os.path.join(tmp, "console.log")).read()[-2000:])
        for p, _ in agents:
            stop(p)
        stop(api_proc)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
