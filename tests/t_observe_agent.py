#!/usr/bin/env python3
"""`lookout observe` through node agents (--agent) and by pod labels
(--pod-selector), docs/devsecops.md.

Needs root, a cgroup2 mount and kernel BTF (SKIP otherwise): a real
`lookout agent` on loopback watches the kernel; two pods in
tests/servers/fake_apiserver.py (labels app=payments and app=other) have
UIDs that match synthetic kubepods cgroups made here. The payments pod reads
/etc/shadow, the other one only its own file. Observers run side by side on
one window: by label through the agent (exit 1 with only the payments pod's
events / exit 0), the same with a second agent that is down (the finding
still blocks / clean becomes "cannot tell"), every agent down, a selector
that matches nothing, and by label on the local kernel; and one whose agent
is killed during its window (exit 3). Beside them `lookout serve`, with the
agent and the cluster in its config, answers GET /v1/gate?namespace=shop&
security=...: allow before the read, block after it, unknown once the agent
is gone."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from agent_stream import cgroup2_root  # noqa: E402
from testkit import (FIXTURES, Observing, check, env_for, finish, in_cgroup,  # noqa: E402
                     lookout_or_release, remove_cgroups,
                     lookout_serve, read_port_file, skip, start_server, stop, wait_for)

BIN = lookout_or_release()
UIDS = {"payments": "6a1f0c2e-77aa-4b1b-9c2d-%012d" % (os.getpid() % 10**12),
        "other": "6a1f0c2e-77aa-4b1b-9c2d-%012d" % (os.getpid() % 10**12 + 1)}
CID = "%064x" % (os.getpid() * 104729)
FOR = "3s"


class Observer(Observing):
    def __init__(self, env, name, *args, window=FOR):
        self.name = name
        self.out = os.path.join(env["HOME"], name + ".jsonl")
        super().__init__(["--for", window, "-o", self.out, *args], env)

    def finish(self):
        self.stdout = self.communicate()
        self.rc = self.p.returncode
        self.text = open(self.out).read() if os.path.exists(self.out) else ""
        self.head = json.loads(self.text.split("\n", 1)[0] or "{}")
        return self


def put_agent_pods(api, port):
    """Agent pods for --discover: namespace lookout lists a live one (node-a,
    the agent on 127.0.0.1) and one on 127.0.0.3, where nothing listens on
    the port (node-gone) and a not-ready one (node-b); namespace lookout-live
    only the live one."""
    with open(os.path.join(FIXTURES, "k8s", "pod-running.k9s.json")) as f:
        tmpl = f.read()
    for ns, name, node, ip in (("lookout", "agent-a", "node-a", "127.0.0.1"),
                               ("lookout", "agent-gone", "node-gone", "127.0.0.3"),
                               ("lookout", "agent-b", "node-b", "127.0.0.4"),
                               ("lookout-live", "agent-a", "node-a", "127.0.0.1")):
        o = json.loads(tmpl)
        m = o["metadata"]
        for k in ("managedFields", "selfLink", "resourceVersion", "generateName", "ownerReferences"):
            m.pop(k, None)
        m.update(name=name, namespace=ns, uid="uid-%s-%s" % (ns, name),
                 labels={"app.kubernetes.io/name": "lookout-agent"})
        o["spec"]["nodeName"] = node
        o["status"]["podIP"] = ip
        if node == "node-b":
            for c in o["status"]["conditions"]:
                if c["type"] == "Ready":
                    c["status"] = "False"
        req = urllib.request.Request("http://127.0.0.1:%d/_ctl/put" % api, method="POST",
                                     data=json.dumps({"resource": "pods", "object": o}).encode())
        urllib.request.urlopen(req, timeout=5).read()


def discover_configs(tmp, kc, port):
    """One config per agent-pod namespace (see put_agent_pods)."""
    out = []
    for ns in ("lookout", "lookout-live"):
        path = os.path.join(tmp, "discover-%s.yaml" % ns)
        with open(path, "w") as f:
            f.write("kubernetes: {enabled: false, kubeconfig: %s}\n"
                    "agents: {discover: {namespace: %s, port: %d}}\n" % (kc, ns, port))
        out.append(path)
    return out


def put_pods(api):
    with open(os.path.join(FIXTURES, "k8s", "pod-running.k9s.json")) as f:
        tmpl = f.read()
    for app, uid in UIDS.items():
        o = json.loads(tmpl)
        m = o["metadata"]
        for k in ("managedFields", "selfLink", "resourceVersion", "generateName", "ownerReferences"):
            m.pop(k, None)
        m.update(name=app + "-1", namespace="shop", uid=uid, labels={"app": app})
        req = urllib.request.Request("http://127.0.0.1:%d/_ctl/put" % api, method="POST",
                                     data=json.dumps({"resource": "pods", "object": o}).encode())
        urllib.request.urlopen(req, timeout=5).read()


def make_cgroups(root):
    top = os.path.join(root, "lookout-t-oa-%d.slice" % os.getpid())
    cgs = {}
    for app, uid in UIDS.items():
        cgs[app] = os.path.join(top, "kubepods-burstable-pod%s.slice" % uid.replace("-", "_"),
                                "cri-containerd-%s.scope" % CID)
        os.makedirs(cgs[app])
    return top, cgs


def start_agent(tmp):
    cfg = os.path.join(tmp, "agent.yaml")
    with open(cfg, "w") as f:
        f.write("general: {}\n")
    pf = os.path.join(tmp, "agent.port")
    log = open(os.path.join(tmp, "agent.log"), "w")
    p = subprocess.Popen([BIN, "agent", "--listen", "127.0.0.1:0", "--node", "node-a",
                          "--port-file", pf, "--config", cfg], stdout=log, stderr=subprocess.STDOUT)
    return p, read_port_file(pf, p)


def kernel_attached(port):
    """The agent's kernel programs see a process start (its exec counter moves)."""
    subprocess.run(["/bin/true"])
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=3) as r:
            text = r.read().decode()
    except OSError:
        return False
    return any(line.startswith('lookout_agent_events_total{kind="exec"') and
               not line.endswith(" 0") for line in text.splitlines())


def dead_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return "dead=http://127.0.0.1:%d" % port


def gate(port, query):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/v1/gate?%s" % (port, query),
                                    timeout=5) as r:
            return json.load(r).get("data", {})
    except (OSError, ValueError) as e:
        return {"error": str(e)}


def gate_until(port, query, decision, timeout=15):
    last = {}

    def poll():
        nonlocal last
        last = gate(port, query)
        return last.get("decision") == decision
    wait_for(poll, timeout, step=0.2)
    return last


def window(env, cfg, url, cgs, own, agent, local, serve, dcfgs):
    dead = dead_url()
    sel = ["--config", cfg, "--pod-selector"]
    dsel = [["--discover", "--config", c, "--pod-selector"] for c in dcfgs]
    deadline = time.time() + 30
    local_ready = local.wait_watching(deadline)
    obs = [Observer(env, "pay", "--agent", url, *sel, "app=payments"),
           Observer(env, "other", "--agent", url, *sel, "app=other", "--json"),
           Observer(env, "pay-dead", "--agent", url, "--agent", dead, *sel, "app=payments"),
           Observer(env, "other-dead", "--agent", url, "--agent", dead, *sel, "app=other"),
           Observer(env, "all-dead", "--agent", dead, "--all"),
           Observer(env, "none", "--agent", url, *sel, "app=nothing"),
           Observer(env, "disc-gone", *dsel[0], "app=other"),
           Observer(env, "disc-live", *dsel[1], "app=payments")]
    # a longer window the agent dies in, after the others are done
    dying = Observer(env, "killed", "--agent", url, *sel, "app=other", window="6s")
    d = gate_until(serve, "namespace=shop&security=warning", "allow")
    check("gate: the live view streams, no match in shop yet: allow",
          d.get("decision") == "allow" and "since the engine started" in d.get("reason", ""), d)
    ready = [o.wait_watching(deadline) for o in obs]
    ready.append(dying.wait_watching(deadline))
    check("observers opened their windows", local_ready and all(ready[:4] + ready[5:]),
          "\n".join(o.name + ": " + o.err for o in obs + [local, dying]))
    in_cgroup(cgs["payments"], "cat /etc/shadow")
    in_cgroup(cgs["other"], "cat " + own)
    # the local window is longer: stop it once the others are done
    done = {o.name: o.finish() for o in obs}
    local.p.send_signal(2)
    done["local"] = local.finish()
    d = gate_until(serve, "namespace=shop&security=warning&since=5m", "block")
    check("gate: the /etc/shadow read in shop's pod blocks",
          d.get("decision") == "block" and "/etc/shadow read by cat in shop/payments-1" in
          d.get("reason", ""), d)
    d = gate(serve, "namespace=shop&security=critical")
    check("gate: nothing critical in shop: allow", d.get("decision") == "allow", d)
    agent.kill()
    agent.wait()
    d = gate_until(serve, "namespace=shop&security=critical", "unknown", timeout=10)
    check("gate: the agent gone: unknown, naming it",
          d.get("decision") == "unknown" and "agent:node-a" in d.get("reason", ""), d)
    done["killed"] = dying.finish()
    return done


def check_window(r):
    pay, other = r["pay"], r["other"]
    check("agent, app=payments: the /etc/shadow read blocks (exit 1)",
          pay.rc == 1 and "/etc/shadow read by cat in shop/payments-1" in pay.stdout,
          pay.stdout + pay.err)
    check("agent, app=payments: the evidence has the finding under the pod's name",
          '"path":"/etc/shadow"' in pay.text and '"name":"payments-1"' in pay.text,
          pay.text[:1500])
    check("agent, app=payments: only the selected pod's events",
          "other-1" not in pay.text and UIDS["other"] not in pay.text and own_marker(pay),
          pay.text[:1500])
    agents = pay.head.get("agents") or [{}]
    check("agent: the header names the node and its counters",
          pay.head.get("nodes") == ["node-a"] and agents[0].get("state") == "observed" and
          agents[0].get("events", 0) >= 2 and "lost" in agents[0] and "ring_drops" in agents[0] and
          pay.head.get("scope") == {"kind": "pods", "value": "app=payments"},
          json.dumps(pay.head))
    j = json.loads(other.stdout or "{}")
    check("agent, app=other: reading its own file is clean (exit 0)",
          other.rc == 0 and j.get("verdict") == "clean" and j.get("events", 0) >= 1 and
          "/etc/shadow" not in other.text, other.stdout + other.err)
    pd, od = r["pay-dead"], r["other-dead"]
    states = {a.get("name"): a.get("state") for a in pd.head.get("agents", [])}
    check("one agent of two down: the finding still blocks (exit 1), the header says so",
          pd.rc == 1 and states == {"node-a": "observed", "dead": "down"} and
          pd.head.get("status") == "partial" and "agent dead" in pd.stdout,
          pd.stdout + json.dumps(pd.head))
    check("one agent of two down, no finding: cannot tell (exit 3), the reason names it",
          od.rc == 3 and "not every node was observed: dead down" in od.stdout,
          od.stdout + od.err)
    ad = r["all-dead"]
    check("every agent down: cannot tell (exit 3) with the reason",
          ad.rc == 3 and "every agent down: dead down: agent http://127.0.0.1:" in ad.stdout and
          ad.head.get("status") == "failed", ad.stdout + ad.err)
    n = r["none"]
    check("a selector that matches no pod: cannot tell (exit 3)",
          n.rc == 3 and "no pod matched app=nothing" in n.stdout, n.stdout + n.err)
    dg, dl = r["disc-gone"], r["disc-live"]
    states = {a.get("name"): a.get("state") for a in dg.head.get("agents", [])}
    check("--discover, agent pods unreachable and not ready: cannot tell (exit 3) naming them",
          dg.rc == 3 and "not every node was observed: " in dg.stdout and
          "node-gone down: " in dg.stdout and
          "node-b down: agent pod lookout/agent-b not ready" in dg.stdout and
          states == {"node-a": "observed", "node-gone": "down", "node-b": "down"} and
          "(3 discovered, 1 not ready)" in dg.err, dg.stdout + dg.err + json.dumps(dg.head))
    check("--discover, the live agent pod: the /etc/shadow read blocks (exit 1), node listed",
          dl.rc == 1 and "/etc/shadow read by cat in shop/payments-1" in dl.stdout and
          dl.head.get("nodes") == ["node-a"] and dl.head.get("status") != "partial",
          dl.stdout + dl.err + json.dumps(dl.head))
    loc = r["local"]
    check("local kernel, app=payments: the read blocks, only that pod's events",
          loc.rc == 1 and "/etc/shadow read by cat in shop/payments-1" in loc.stdout and
          "other-1" not in loc.text and UIDS["other"] not in loc.text,
          loc.stdout + loc.err + loc.text[:800])


def own_marker(o):
    return '"comm":"cat"' in o.text


def check_killed(ob):
    state = ((ob.head.get("agents") or [{}])[0]).get("state")
    check("the agent killed during the window: cannot tell (exit 3)",
          ob.rc == 3 and state == "partial" and "not every node was observed: node-a" in
          ob.stdout, ob.stdout + ob.err)


def main():
    root = cgroup2_root()
    if os.geteuid() != 0 or not root or not os.path.exists("/sys/kernel/btf/vmlinux"):
        skip("observe through agents", "needs root, a cgroup2 mount and kernel BTF")
        return finish()
    tmp = tempfile.mkdtemp(prefix="lookout-t-oagent-")
    os.chmod(tmp, 0o755)
    env = env_for(tmp)
    api_proc, api = start_server("fake_apiserver.py", "--fixtures", os.path.join(FIXTURES, "k8s"),
                                 "--token", "oa-token")
    agent, port = start_agent(tmp)
    top, cgs = make_cgroups(root)
    local = srv = None
    try:
        put_pods(api)
        put_agent_pods(api, port)
        kc = os.path.join(tmp, "kubeconfig")
        with open(kc, "w") as f:
            f.write("apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: c\n"
                    "  cluster: {server: 'http://127.0.0.1:%d'}\ncontexts:\n- name: t\n"
                    "  context: {cluster: c, user: u}\nusers:\n- name: u\n"
                    "  user: {token: oa-token}\n" % api)
        os.chmod(kc, 0o600)
        cfg = os.path.join(tmp, "observe.yaml")
        with open(cfg, "w") as f:
            f.write("kubernetes: {enabled: false, kubeconfig: %s}\n" % kc)
        own = os.path.join(tmp, "own.txt")
        with open(own, "w") as f:
            f.write("mine\n")
        # the local observer loads its kernel programs while the agent does;
        # its window outlasts the others' (they take a while to open)
        local = Observer(env, "local", "--config", cfg, "--pod-selector", "app=payments",
                         window="30s")
        scfg = os.path.join(tmp, "serve.yaml")
        with open(scfg, "w") as f:
            f.write("kubernetes: {kubeconfig: %s}\nagents:\n- {name: node-a, url: 'http://127.0.0.1:%d'}\n"
                    % (kc, port or 1))
        srv, sport = lookout_serve(tmp, "--config", scfg, env=env)
        up = port and wait_for(lambda: kernel_attached(port), 20, step=0.3)
        check("the agent listens with its kernel programs attached, serve too", up and sport,
              open(os.path.join(tmp, "agent.log")).read()[-1500:])
        if up:
            url = "node-a=http://127.0.0.1:%d" % port
            r = window(env, cfg, url, cgs, own, agent, local, sport,
                       discover_configs(tmp, kc, port))
            check_window(r)
            check_killed(r["killed"])
    finally:
        remove_cgroups(top, cgs.values())
        if local and local.p.poll() is None:
            local.p.kill()
            local.p.wait()
        if agent.poll() is None:
            agent.kill()
            agent.wait()
        if srv:
            stop(srv)
        stop(api_proc)
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
