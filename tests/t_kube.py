#!/usr/bin/env python3
"""End to end: `lookout --once --json` against the loopback API server.

Checks the wiring (config section -> kubernetes source), kubeconfig via
$KUBECONFIG and --context/--namespace, the derived problems and header counts
in the snapshot, the service mapping rows, config validation errors
(file:line, exit 2), and that --demo never talks to a cluster.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import LOOKOUT, FIXTURES, check, finish, start_server  # noqa: E402


def start_apiserver(tmp):
    return start_server("fake_apiserver.py", "--fixtures", os.path.join(FIXTURES, "k8s"),
                        "--tls", os.path.join(tmp, "certs"), "--story", "--token", "e2e-token",
                        stderr=subprocess.DEVNULL)


def run(args, env_extra=None, timeout=60):
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    env.pop("KUBERNETES_SERVICE_HOST", None)
    env["HOME"] = env_extra.pop("HOME") if env_extra and "HOME" in env_extra else env.get("HOME", "/")
    env.update(env_extra or {})
    r = subprocess.run([LOOKOUT, *args], capture_output=True, text=True, timeout=timeout, env=env,
                       stdin=subprocess.DEVNULL)
    return r


def rows(snap, table):
    t = snap.get(table)
    if isinstance(t, dict) and "rows" in t:
        return t["rows"]
    return t if isinstance(t, list) else []


def main():
    tmp = tempfile.mkdtemp(prefix="lookout-t-kube-")
    srv, port = start_apiserver(tmp)
    try:
        kc = os.path.join(tmp, "kubeconfig")
        with open(kc, "w") as f:
            f.write(f"""apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:{port}
    certificate-authority: {tmp}/certs/ca.crt
contexts:
- name: prod
  context: {{cluster: c, user: u}}
- name: data only
  context: {{cluster: c, user: u, namespace: data}}
users:
- name: u
  user: {{token: e2e-token}}
""")
        os.chmod(kc, 0o600)
        cfg = os.path.join(tmp, "config.yaml")
        with open(cfg, "w") as f:
            f.write(f"""kubernetes:
  enabled: true
  kubeconfig: {kc}
  pending_after: 5m
services:
  - name: checkout
    namespace: shop
    selector: app=checkout
""")
        r = run(["--once", "--json", "--config", cfg, "--no-kernel", "--timeout", "30"])
        check("once exits 0", r.returncode == 0, r.stderr[-500:])
        try:
            snap = json.loads(r.stdout)
        except ValueError:
            snap = {}
            check("snapshot is JSON", False, r.stdout[:300])
        pods = {p["key"]: p for p in rows(snap, "pods")}
        check("pods synced", len(pods) == 6, list(pods)[:8])
        # Pod rows hold interned strings now: each row's JSON must be what the
        # char-array rows gave. The golden came from the build before
        # (LOOKOUT=<that build> LOOKOUT_WRITE_GOLDEN=1 tests/t_kube.py), less
        # one bug it had: the three running checkout pods showed the crashed
        # pod's last_reason "Error", exit 1 (test_kube.c keeps_nothing).
        golden = os.path.join(FIXTURES, "k8s", "pods-snapshot.golden.json")
        got = "\n".join(json.dumps(pods[k]) for k in sorted(pods)) + "\n"
        if os.environ.get("LOOKOUT_WRITE_GOLDEN"):
            with open(golden, "w") as f:
                f.write(got)
        with open(golden) as f:
            want = f.read()
        check("pod rows JSON as before interning", got == want,
              [(a, b) for a, b in zip(got.splitlines(), want.splitlines()) if a != b][:1])
        check("crashloop derived", pods.get("shop/cart-crash", {}).get("problem") == "CrashLoopBackOff")
        check("oomkilled derived", pods.get("shop/search-oom", {}).get("problem") == "OOMKilled")
        nodes = {n["name"]: n for n in rows(snap, "nodes")}
        check("notready node", nodes.get("node-c", {}).get("problem") == "NotReady")
        deps = {d["key"]: d for d in rows(snap, "deployments")}
        check("stuck rollout", deps.get("shop/guestbook-ui", {}).get("problem") == "ProgressDeadlineExceeded")
        check("warning events", len(rows(snap, "k8s_events")) == 4)
        summ = snap.get("summary") or {}
        if isinstance(summ, list):
            summ = summ[0] if summ else {}
        check("header counts", summ.get("nodes_ready") == 2 and summ.get("nodes_total") == 3
              and summ.get("pods_failing") == 3, summ)
        check("header context", summ.get("context") == "prod", summ.get("context"))
        check("cluster counts known", summ.get("cluster") == "known", summ)

        # Every Kubernetes source failed: the counts are unknown (null), never
        # "0 failing" (issue 16's rule, in the JSON as on the screen).
        dead_kc = os.path.join(tmp, "kubeconfig-dead")
        with open(kc) as f, open(dead_kc, "w") as g:
            g.write(f.read().replace("127.0.0.1:%d" % port, "127.0.0.1:9"))
        os.chmod(dead_kc, 0o600)
        dead_cfg = os.path.join(tmp, "dead.yaml")
        with open(dead_cfg, "w") as f:
            f.write("kubernetes:\n  enabled: true\n  kubeconfig: %s\n" % dead_kc)
        r = run(["--once", "--json", "--config", dead_cfg, "--no-kernel", "--timeout", "3"])
        try:
            summ = json.loads(r.stdout).get("summary") or {}
        except ValueError:
            summ = {}
        check("dead cluster: exit 1", r.returncode == 1, (r.returncode, r.stderr[-300:]))
        check("dead cluster: counts unknown, not 0",
              summ.get("cluster") == "unknown" and "pods_failing" in summ
              and summ.get("pods_failing") is None and summ.get("nodes_total") is None, summ)
        # a headless run that ends with every kubernetes source failed says so, as --once does
        r = run(["--run-for", "1", "--json", "--config", dead_cfg, "--no-kernel"])
        check("dead cluster: --run-for exits 1 and names the kind",
              r.returncode == 1 and "every kubernetes source failed" in r.stderr,
              (r.returncode, r.stderr[-300:]))
        nocluster = os.path.join(tmp, "nocluster.yaml")
        with open(nocluster, "w") as f:
            f.write("kubernetes:\n  enabled: false\n")
        r = run(["--once", "--json", "--config", nocluster, "--no-kernel", "--timeout", "3"])
        try:
            summ = json.loads(r.stdout).get("summary") or {}
        except ValueError:
            summ = {}
        check("no cluster: counts left out (null), cluster none",
              summ.get("cluster") == "none" and summ.get("pods_failing") is None, (r.returncode, summ))
        svcs = {s["name"]: s for s in rows(snap, "services")}
        check("service mapping row", svcs.get("checkout", {}).get("selector") == "app=checkout")
        srcs = [s for s in rows(snap, "sources") if s.get("kind") == "kubernetes"]
        check("source synced", srcs and srcs[0].get("state") in ("synced", 1), srcs)
        check("no token in output", "e2e-token" not in r.stdout and "e2e-token" not in r.stderr)

        # $KUBECONFIG + --context with a space + --namespace override, no config section.
        empty = os.path.join(tmp, "empty.yaml")
        open(empty, "w").close()
        r = run(["--once", "--json", "--config", empty, "--no-kernel", "--context", "data only",
                 "--timeout", "30"], {"KUBECONFIG": "/nonexistent:" + kc})
        snap = json.loads(r.stdout) if r.returncode == 0 else {}
        keys = sorted(p["key"] for p in rows(snap, "pods"))
        check("KUBECONFIG list + --context with spaces", keys == ["data/vsystem-init"], (r.returncode, keys, r.stderr[-300:]))

        # --demo never starts the kubernetes source, even with KUBECONFIG set.
        r = run(["--once", "--json", "--demo", "--no-kernel", "--config", empty, "--timeout", "30"],
                {"KUBECONFIG": kc})
        snap = json.loads(r.stdout) if r.returncode == 0 else {}
        check("demo has no kubernetes source",
              r.returncode == 0 and not [s for s in rows(snap, "sources") if s.get("kind") == "kubernetes"],
              r.stderr[-300:])

        # Config errors: file:line and exit 2.
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("kubernetes:\n  enabled: true\n  resoruces: [pods]\n")
        r = run(["--once", "--config", bad, "--no-kernel"])
        check("unknown key is a config error", r.returncode == 2 and "bad.yaml:3" in r.stderr, r.stderr)
        with open(bad, "w") as f:
            f.write("services:\n  - name: a\n    selector: app in (x,y)\n")
        r = run(["--once", "--config", bad, "--no-kernel"])
        check("bad selector is a config error", r.returncode == 2 and "bad.yaml:3" in r.stderr, r.stderr)

        # A missing context: the source fails with a clear message, the rest goes on.
        r = run(["--once", "--json", "--config", cfg, "--no-kernel", "--context", "nope", "--timeout", "20"])
        snap = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {}
        srcs = [s for s in rows(snap, "sources") if s.get("kind") == "kubernetes"]
        check("missing context reported", srcs and "'nope' not found" in srcs[0].get("error", ""),
              (r.returncode, srcs, r.stderr[-300:]))
    finally:
        srv.terminate()
        srv.wait()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
