#!/usr/bin/env python3
"""The DevSecOps stages (docs/devsecops.md): `lookout observe` writes the
evidence of what a workload did, `lookout check` judges it (offline or with
the copilot against tests/servers/fake_llm.py) and `lookout gate --evidence`
joins it to an SLO verdict served by a small fake Prometheus.

The check and gate parts run everywhere on an evidence file made here; the
observe parts need root, a cgroup2 mount and kernel BTF (SKIP otherwise): a
process in a cgroup named like a kubepods pod slice reads /etc/shadow (exit
1), another only its own file (exit 0), and an observer with kernel events
off cannot tell (exit 3)."""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from agent_stream import cgroup2_root  # noqa: E402
from testkit import (Observing, QuietHandler, check, env_for, finish, in_cgroup,  # noqa: E402
                     lookout_or_release, remove_cgroups,
                     serve_in_thread, skip, start_server, stop)

BIN = lookout_or_release()
UID = "5f7c9d8b-6600-4a1b-9c2d-%011d" % (os.getpid() % 10**11)  # + one digit per pod
CID = "%064x" % (os.getpid() * 7919)
SECRET = "hunter2-s3cr3t-passw0rd"


def run(args, env, timeout=60):
    return subprocess.run([BIN, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


# ---- an evidence file made here, as observe would write it ----

def event(kind, comm, path="", flags="", rule=None, sev="info", args="", title=""):
    ev = {"time": "2026-12-05T10:00:01.000Z", "node_name": "ci-runner-1", "kind": kind,
          "severity": sev, "seq": 1,
          "process": {"pid": 4242, "ppid": 1, "uid": 1000, "comm": comm, "cgroup_id": 77,
                      "pod": {"namespace": "shop", "name": "payments-5f7c9d8b66-9x7bn",
                              "container": {"id": CID}}}, "ret": 3}
    if kind == "exec":
        ev["process"].update(binary=path, arguments=args)
    else:
        ev["file"] = {"path": path, "flags": flags}
    if rule:
        ev["rule"] = {"name": rule, "title": title}
    return ev


def write_evidence(path, events, fail_on="warning", status="observed", error=None, lost=0):
    body = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events)
    head = {"lookout_evidence": 1, "scope": {"kind": "namespace", "value": "shop"},
            "window": {"start": "2026-12-05T10:00:00Z", "end": "2026-12-05T10:01:00Z",
                       "seconds": 60},
            "nodes": ["ci-runner-1"], "rules": {"count": 7, "sha256": "0" * 64},
            "counters": {"seen": 100, "events": len(events), "lost": lost, "omitted": 0},
            "events_sha256": hashlib.sha256(body.encode()).hexdigest(),
            "fail_on": fail_on, "status": status}
    if error:
        head["error"] = error
    with open(path, "w") as f:
        f.write(json.dumps(head) + "\n" + body)


def made_files(tmp):
    bad = os.path.join(tmp, "made-bad.jsonl")
    clean = os.path.join(tmp, "made-clean.jsonl")
    write_evidence(bad, [event("exec", "python3", "/usr/bin/python3", args="python3 app.py"),
                         event("open", "python3", "/etc/shadow", "O_RDONLY",
                               rule="sensitive_file_read", sev="warning",
                               title="Sensitive file read by a non-allowlisted process"),
                         event("exec", "python3", "/bin/sh", rule="shell_in_container",
                               sev="warning", args="sh -c deploy --password=" + SECRET,
                               title="Shell spawned in a container")])
    write_evidence(clean, [event("exec", "python3", "/usr/bin/python3", args="python3 app.py"),
                           event("open", "python3", "/app/config.json", "O_RDONLY")])
    return bad, clean


# ---- check ----

def check_files(tmp, env, bad, clean, tag):
    rep = os.path.join(tmp, tag + "-bad.md")
    r = run(["check", "--evidence", bad, "-o", rep], env)
    text = open(rep).read() if os.path.exists(rep) else ""
    check(tag + ": check blocks on the finding (exit 1)", r.returncode == 1, r.stderr)
    check(tag + ": report starts with the findings table",
          "| warning | sensitive_file_read | /etc/shadow read by " in text and
          text.index("## Findings") < text.index("## Offline analysis"), text[:800])
    check(tag + ": offline analysis gives the rule's remediation",
          "**Remediation:** Credential files" in text, text[-800:])
    r = run(["check", "--evidence", clean, "--json"], env)
    j = json.loads(r.stdout or "{}")
    check(tag + ": check allows the clean file (exit 0)",
          r.returncode == 0 and j.get("decision") == "allow" and j.get("findings") == [],
          r.stdout + r.stderr)


def check_copilot(tmp, bad):
    log = os.path.join(tmp, "llm.jsonl")
    srv, port = start_server("fake_llm.py", "--port", "0", "--log", log)
    try:
        env = env_for(tmp, OPENAI_BASE_URL="http://127.0.0.1:%d/fine/v1" % port,
                      OPENAI_API_KEY="sk-test-evidence")
        rep = os.path.join(tmp, "copilot.md")
        r = run(["check", "--evidence", bad, "--copilot", "openai", "-o", rep, "--timeout", "30"],
                env)
        text = open(rep).read() if os.path.exists(rep) else ""
        check("copilot: a 'looks fine' answer does not change exit 1", r.returncode == 1,
              r.stderr)
        check("copilot: the answer lands in the report after the findings",
              "looks fine" in text and text.index("## Findings") < text.index("looks fine"),
              text[:1500])
        reqs = [json.loads(line) for line in open(log)] if os.path.exists(log) else []
        body = reqs[0]["body"] if reqs else ""
        check("copilot: the prompt carries the findings and asks for a security review",
              "sensitive_file_read" in body and "/etc/shadow" in body and
              "security reviewer" in body, body[:1500])
        check("copilot: the prompt is pseudonymised and redacted",
              "payments-5f7c9d8b66-9x7bn" not in body and SECRET not in body and
              "REDACTED:password_flag" in body, body[:3000])
    finally:
        stop(srv)


# ---- gate: a fake Prometheus with a 50% error ratio, so the SLO pages ----

class FakeProm(QuietHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        q = urllib.parse.parse_qs(self.rfile.read(n).decode())
        query = q.get("query", [""])[0]
        v = "0.5" if 'code="5' in query else "1"
        now = time.time()
        if self.path.endswith("/query_range"):
            data = {"resultType": "matrix",
                    "result": [{"metric": {}, "values": [[now - 60 * i, v] for i in range(5, 0, -1)]}]}
        else:
            data = {"resultType": "vector", "result": [{"metric": {}, "value": [now, v]}]}
        out = json.dumps({"status": "success", "data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


SPEC = """version: "prometheus/v1"
service: "payments"
slos:
  - name: "availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="payments",code="500"}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="payments"}[{{.window}}]))
"""


def check_gate(tmp, env, bad, clean):
    srv, port = serve_in_thread(FakeProm)
    spec = os.path.join(tmp, "slo.yaml")
    with open(spec, "w") as f:
        f.write(SPEC)
    g = ["gate", "--prometheus", "http://127.0.0.1:%d" % port, "--slo-spec", spec,
         "--slo", "payments-availability"]
    try:
        r = run(g + ["--evidence", bad, "--json"], env)
        j = json.loads(r.stdout or "{}")
        kinds = [p.get("kind") for p in j.get("parts", [])]
        check("gate: SLO and evidence both block, the reason names both",
              r.returncode == 1 and kinds == ["slo", "evidence"] and
              all(p.get("decision") == "block" for p in j["parts"]) and
              "page alert firing" in r.stderr and "/etc/shadow" in r.stderr, r.stdout + r.stderr)
        r = run(["gate", "--evidence", clean, "--evidence", bad], env)
        check("gate: the stricter of two evidence files wins",
              r.returncode == 1 and "block" in r.stderr, r.stderr)
        r = run(["gate", "--evidence", clean, "--json"], env)
        check("gate: a clean evidence file alone allows",
              r.returncode == 0 and json.loads(r.stdout or "{}").get("decision") == "allow",
              r.stdout + r.stderr)
    finally:
        srv.shutdown()


def check_tampered(tmp, env, bad):
    lines = open(bad).read().splitlines(True)
    cases = {
        "header": ("x" + lines[0],) + tuple(lines[1:]),
        "line": (lines[0], "{\"kind\": oops\n") + tuple(lines[2:]),
        "edit": (lines[0],) + tuple(ln.replace("shadow", "hosts") for ln in lines[1:]),
        "cut": tuple(lines[:-1]),
    }
    want = {"header": ":1:", "line": ":2:", "edit": ":1:", "cut": ":%d:" % (len(lines) - 1)}
    for name, content in cases.items():
        p = os.path.join(tmp, "tampered-%s.jsonl" % name)
        with open(p, "w") as f:
            f.write("".join(content))
        r = run(["check", "--evidence", p], env)
        check("tampered (%s): check exit 2 with file:line" % name,
              r.returncode == 2 and (p + want[name]) in r.stderr, r.stderr)
    r = run(["gate", "--evidence", os.path.join(tmp, "tampered-line.jsonl")], env)
    check("tampered: gate exit 2 with file:line",
          r.returncode == 2 and "tampered-line.jsonl:2:" in r.stderr, r.stderr)
    failed = os.path.join(tmp, "failed.jsonl")
    write_evidence(failed, [], status="failed", error="kernel events need root")
    r = run(["check", "--evidence", failed], env)
    check("a failed observation is unknown (exit 3)", r.returncode == 3, r.stderr)
    check("its report does not read as a clean result",
          "**Verdict: unknown**" in r.stdout and "this is not a clean result" in r.stdout and
          "No rule matched at or above the policy" not in r.stdout and
          "Nothing to explain: no finding" not in r.stdout, r.stdout[-600:])


# ---- observe (root) ----

class Observer(Observing):
    def __init__(self, env, *args):
        super().__init__(list(args), env)

    def wait_watching(self, timeout=30):
        return super().wait_watching(time.time() + timeout)

    def finish(self):
        out = self.communicate()
        return self.p.returncode, out


def observe_runs(tmp, env):
    root = cgroup2_root()
    if os.geteuid() != 0 or not root or not os.path.exists("/sys/kernel/btf/vmlinux"):
        skip("observe", "needs root, a cgroup2 mount and kernel BTF")
        return None
    top = os.path.join(root, "lookout-t-ev-%d.slice" % os.getpid())
    cgs = []
    for i in (1, 2):
        cg = os.path.join(top, "kubepods-burstable-pod%s%d.slice" % (UID.replace("-", "_"), i),
                          "cri-containerd-%s.scope" % CID)
        os.makedirs(cg)
        cgs.append(cg)
    own = os.path.join(tmp, "own.txt")
    with open(own, "w") as f:
        f.write("mine\n")
    bad, clean = os.path.join(tmp, "bad.jsonl"), os.path.join(tmp, "clean.jsonl")
    try:
        # both at once: each sees every event and keeps its own cgroup's
        # the default --fail-on (warning) blocks the seed's sensitive-file read
        ob = Observer(env, "--for", "3s", "--cgroup", os.path.dirname(cgs[0]), "-o", bad)
        oc = Observer(env, "--for", "3s", "--cgroup", os.path.dirname(cgs[1]), "-o", clean,
                      "--json")
        ready = ob.wait_watching() and oc.wait_watching()
        check("observe: attached", ready, ob.err + oc.err)
        in_cgroup(cgs[0], "cat /etc/shadow -- --password=%s" % SECRET)
        in_cgroup(cgs[1], "cat " + own)
        rb, outb = ob.finish()
        rc, outc = oc.finish()
    finally:
        remove_cgroups(top, cgs)
    text = open(bad).read() if os.path.exists(bad) else ""
    check("observe: /etc/shadow read in the pod cgroup -> exit 1", rb == 1, outb + ob.err)
    check("observe: the finding is in the summary",
          "warning: /etc/shadow read by cat in uid:" in outb, outb)
    check("observe: the finding is in the evidence",
          '"path":"/etc/shadow"' in text and '"sensitive_file_read"' in text, text[:1500])
    check("observe: the evidence is redacted", SECRET not in text and "REDACTED" in text,
          text[:1500])
    j = json.loads(outc or "{}")
    check("observe: a process reading its own file -> exit 0",
          rc == 0 and j.get("verdict") == "clean" and j.get("by_kind", {}).get("exec", 0) >= 1,
          outc + oc.err)
    off = os.path.join(tmp, "off.yaml")
    with open(off, "w") as f:
        f.write("kernel:\n  enabled: false\n")
    nothing = os.path.join(tmp, "nothing.jsonl")
    r = run(["observe", "--for", "1s", "--all", "-o", nothing, "--config", off], env)
    check("observe: kernel source unavailable -> exit 3", r.returncode == 3, r.stdout + r.stderr)
    r = run(["check", "--evidence", nothing], env)
    check("check: the failed observation's file is unknown (exit 3)", r.returncode == 3,
          r.stderr)
    if shutil.which("setpriv"):
        os.chmod(tmp, 0o777)
        r = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                            "--inh-caps=-all", BIN, "observe", "--for", "1s", "--all", "-o",
                            os.path.join(tmp, "nobody.jsonl")], env=env, capture_output=True,
                           text=True, timeout=60)
        check("observe: as nobody -> exit 3", r.returncode == 3, r.stdout + r.stderr)
    else:
        skip("observe as nobody", "no setpriv")
    return bad, clean


def check_discover_usage(tmp, env):
    """--discover: refused with --cgroup, without --config or agents.discover
    (exit 2); an API server that does not answer the list: exit 3."""
    out = os.path.join(tmp, "d.jsonl")
    r = run(["observe", "--for", "1s", "--cgroup", "x", "--discover", "-o", out], env)
    check("observe --discover --cgroup: usage (exit 2)",
          r.returncode == 2 and "--cgroup names a cgroup" in r.stderr, r.stderr)
    r = run(["observe", "--for", "1s", "--all", "--discover", "-o", out], env)
    check("observe --discover without --config: usage (exit 2)",
          r.returncode == 2 and "--discover needs --config" in r.stderr, r.stderr)
    cfg = os.path.join(tmp, "nodisc.yaml")
    with open(cfg, "w") as f:
        f.write("general: {}\n")
    r = run(["observe", "--for", "1s", "--all", "--discover", "--config", cfg, "-o", out], env)
    check("observe --discover, no agents.discover: usage (exit 2)",
          r.returncode == 2 and "no agents.discover" in r.stderr, r.stderr)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()
    kc = os.path.join(tmp, "dead-kubeconfig")
    with open(kc, "w") as f:
        f.write("apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: c\n"
                "  cluster: {server: 'http://127.0.0.1:%d'}\ncontexts:\n- name: t\n"
                "  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: t}\n" % dead)
    os.chmod(kc, 0o600)
    with open(cfg, "w") as f:
        f.write("kubernetes: {enabled: false, kubeconfig: %s}\nagents: {discover: {}}\n" % kc)
    r = run(["observe", "--for", "1s", "--all", "--discover", "--config", cfg, "-o", out], env)
    check("observe --discover, the API server down: cannot tell (exit 3) with the reason",
          r.returncode == 3 and "agent pods in lookout (app.kubernetes.io/name=lookout-agent) "
          "not listed" in r.stdout + r.stderr, r.stdout + r.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="lookout-t-evidence-")
    env = env_for(tmp)
    try:
        r = run(["observe", "--all", "-o", os.path.join(tmp, "x.jsonl")], env)
        check("observe: usage error exit 2", r.returncode == 2 and "--for" in r.stderr, r.stderr)
        check_discover_usage(tmp, env)
        bad, clean = made_files(tmp)
        check_files(tmp, env, bad, clean, "made")
        check_copilot(tmp, bad)
        check_gate(tmp, env, bad, clean)
        check_tampered(tmp, env, bad)
        real = observe_runs(tmp, env)
        if real:
            check_files(tmp, env, real[0], real[1], "observed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
