#!/usr/bin/env python3
"""End to end: a cluster larger than the pods table's cap is never a silent
`synced` (issue 23). Over TLS with a bearer token, 2,000 pods with
kubernetes.max_pods 1,500: the source is `partial` and says how many were
kept; without the cap every pod is kept and the source is `synced`. The
full-size run (70,000 pods, default caps) is `make bench` (bench_kube).
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import LOOKOUT, FIXTURES, check, finish, start_server, stop  # noqa: E402

PODS = 2000
CAP = 1500


def once(cfg):
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")}
    r = subprocess.run([LOOKOUT, "--once", "--json", "--config", cfg, "--no-kernel", "--timeout", "60"],
                       capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)
    try:
        snap = json.loads(r.stdout)
    except ValueError:
        snap = {}
    return r, snap


def kube_source(snap):
    srcs = [s for s in snap.get("sources", []) if s.get("kind") == "kubernetes"]
    return srcs[0] if srcs else {}


def write_config(tmp, kc, extra, name):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("kubernetes:\n  enabled: true\n  kubeconfig: %s\n%s" % (kc, extra))
    return path


def main():
    tmp = tempfile.mkdtemp(prefix="lookout-t-kube-caps-")
    srv, port = start_server("fake_apiserver.py", "--fixtures", os.path.join(FIXTURES, "k8s"),
                             "--tls", os.path.join(tmp, "certs"), "--bulk", str(PODS),
                             "--token", "caps-token", stderr=subprocess.DEVNULL)
    try:
        kc = os.path.join(tmp, "kubeconfig")
        with open(kc, "w") as f:
            f.write(f"""current-context: big
clusters:
- name: c
  cluster: {{server: 'https://127.0.0.1:{port}', certificate-authority: '{tmp}/certs/ca.crt'}}
contexts:
- name: big
  context: {{cluster: c, user: u}}
users:
- name: u
  user: {{token: caps-token}}
""")
        os.chmod(kc, 0o600)

        r, snap = once(write_config(tmp, kc, "  max_pods: %d\n" % CAP, "capped.yaml"))
        src = kube_source(snap)
        check("capped run exits 0", r.returncode == 0, r.stderr[-400:])
        check("capped: pods table holds the cap", len(snap.get("pods", [])) == CAP,
              len(snap.get("pods", [])))
        check("capped: source is partial, not synced", src.get("state") == "partial", src)
        want = "pods: 1,500 of 2,000 kept (max_pods 1,500)"
        check("capped: source says how many were kept", want in src.get("error", ""), src)
        check("capped: nodes and deployments complete",
              len(snap.get("nodes", [])) == PODS // 20 and len(snap.get("deployments", [])) == PODS // 5,
              (len(snap.get("nodes", [])), len(snap.get("deployments", []))))

        r, snap = once(write_config(tmp, kc, "", "plain.yaml"))
        src = kube_source(snap)
        check("uncapped: every pod kept", len(snap.get("pods", [])) == PODS, len(snap.get("pods", [])))
        check("uncapped: source synced with no warning",
              src.get("state") == "synced" and "kept" not in src.get("error", ""), src)
        check("uncapped: no pod dropped", snap.get("dropped", {}).get("pods") == 0, snap.get("dropped"))

        bad = write_config(tmp, kc, "  max_pods: 0\n", "bad.yaml")
        r, _ = once(bad)
        check("max_pods 0 is a config error", r.returncode == 2 and "bad.yaml:4" in r.stderr,
              (r.returncode, r.stderr[-300:]))
    finally:
        stop(srv)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
