#!/usr/bin/env python3
"""End to end: a cluster larger than the pods table's cap is never a silent
`synced` (issue 23). Over TLS with a bearer token, 2,000 pods with
kubernetes.max_pods 1,500: the source is `partial` and says how many were
kept; without the cap every pod is kept and the source is `synced`. Then the
size the issue names: 70,000 pods (3,500 nodes, 14,000 deployments) with the
default caps, every one kept and the source `synced`, through the release
binary (the sanitiser build is for correctness at small sizes; at this size it
would only be slow). `make bench` (bench_kube) times the same size beside
kubectl.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import LOOKOUT, LOOKOUT_REL, FIXTURES, SERVERS, check, finish, start_server, stop  # noqa: E402

PODS = 2000
CAP = 1500
BIG = 70000


def once(cfg, binary=LOOKOUT):
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")}
    r = subprocess.run([binary, "--once", "--json", "--config", cfg, "--no-kernel", "--timeout", "60"],
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


def write_kubeconfig(tmp, port, name, certs="certs"):
    kc = os.path.join(tmp, name)
    with open(kc, "w") as f:
        f.write(f"""current-context: big
clusters:
- name: c
  cluster: {{server: 'https://127.0.0.1:{port}', certificate-authority: '{tmp}/{certs}/ca.crt'}}
contexts:
- name: big
  context: {{cluster: c, user: u}}
users:
- name: u
  user: {{token: caps-token}}
""")
    os.chmod(kc, 0o600)
    return kc


def big_cluster(tmp, big):
    """70,000 pods, default caps: all kept, synced, nothing dropped."""
    line = big.stdout.readline()  # the port, once its pods are seeded
    check("70k: fake API server up", line.startswith("{"), line)
    if not line.startswith("{"):
        return
    kc = write_kubeconfig(tmp, json.loads(line)["port"], "kubeconfig-big", "certs-big")
    r, snap = once(write_config(tmp, kc, "", "big.yaml"), LOOKOUT_REL)
    src = kube_source(snap)
    check("70k: run exits 0", r.returncode == 0, r.stderr[-400:])
    check("70k: every pod kept", len(snap.get("pods", [])) == BIG, len(snap.get("pods", [])))
    check("70k: source synced with no warning",
          src.get("state") == "synced" and "kept" not in src.get("error", ""), src)
    check("70k: no pod dropped", snap.get("dropped", {}).get("pods") == 0, snap.get("dropped"))
    check("70k: nodes and deployments complete",
          len(snap.get("nodes", [])) == BIG // 20 and len(snap.get("deployments", [])) == BIG // 5,
          (len(snap.get("nodes", [])), len(snap.get("deployments", []))))
    names = {(p.get("namespace"), p.get("name")) for p in snap.get("pods", [])}
    check("70k: no pod twice, every namespace there",
          len(names) == BIG and len({ns for ns, _ in names}) == 50, (len(names), len({ns for ns, _ in names})))


def main():
    tmp = tempfile.mkdtemp(prefix="lookout-t-kube-caps-")
    # the big server seeds (a few seconds) while the small cases run
    big = subprocess.Popen([sys.executable, os.path.join(SERVERS, "fake_apiserver.py"),
                            "--fixtures", os.path.join(FIXTURES, "k8s"), "--tls", os.path.join(tmp, "certs-big"),
                            "--bulk", str(BIG), "--token", "caps-token"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    srv, port = start_server("fake_apiserver.py", "--fixtures", os.path.join(FIXTURES, "k8s"),
                             "--tls", os.path.join(tmp, "certs"), "--bulk", str(PODS),
                             "--token", "caps-token", stderr=subprocess.DEVNULL)
    try:
        kc = write_kubeconfig(tmp, port, "kubeconfig")

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

        big_cluster(tmp, big)
    finally:
        stop(srv)
        stop(big)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
