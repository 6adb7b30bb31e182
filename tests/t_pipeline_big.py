#!/usr/bin/env python3
"""Pipelines as big teams have them, through the real binary (`--once --json`)
against the loopback GitLab and GitHub servers: a 126-job GitLab pipeline
whose one failing shard is on the last page (test failed, both deploy stages
skipped, as GitLab says), a child pipeline under its trigger stage, the last
deploy from GitLab's Deployments API with its environment, a 120-job GitHub
run with a failed shard on the last page, GitHub's last deploy from its
deployments and their statuses (only production candidates asked, newest
first, stopping at the first finished one); and the rate budget: after an
answer with `x-ratelimit-remaining: 0`, no request reaches the server before
the reset (the server's own log), then polling goes on."""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import LOOKOUT, check, finish, start_server, stop  # noqa: E402

GL_TOKEN = "glpat-big-secret-1234"
GH_TOKEN = "ghp_bigsecret1234abc"


def control(port, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                                 method="POST" if data else "GET")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def once(tmp, name, cfg_text):
    cfg = os.path.join(tmp, name + ".yaml")
    with open(cfg, "w") as f:
        f.write(cfg_text)
    env = dict(os.environ, GITLAB_TOKEN=GL_TOKEN, GITHUB_TOKEN=GH_TOKEN)
    r = subprocess.run([LOOKOUT, "--once", "--json", "--no-kernel", "--timeout", "30",
                        "--config", cfg], capture_output=True, text=True, env=env, timeout=60)
    try:
        return r, json.loads(r.stdout)
    except ValueError:
        return r, {}


def stages(p):
    return {s["name"]: s for s in p.get("stages", [])}


def check_gitlab(snap):
    pipes = {p["key"]: p for p in snap.get("pipelines", [])}
    p = pipes.get("gitlab:shop/big:201", {})
    st = stages(p)
    want = {"check": "success", "build": "success", "test": "failed",
            "deploy-staging": "skipped", "deploy-production": "skipped"}
    check("GitLab 126 jobs: stage states equal GitLab's",
          p.get("status") == "failed" and
          {k: st.get(k, {}).get("status") for k in want} == want,
          {k: v.get("status") for k, v in st.items()})
    check("GitLab: every job counted, rows capped",
          st.get("test", {}).get("jobs") == 120 and len(p.get("jobs", [])) <= 32 and
          p.get("jobs_dropped") == 126 - len(p.get("jobs", [])),
          (st.get("test"), len(p.get("jobs", [])), p.get("jobs_dropped")))
    failed = [j for j in p.get("jobs", []) if j["status"] == "failed"]
    check("GitLab: the failed shard from the last page is a kept row",
          [j["name"] for j in failed] == ["shard 7/120"], failed)
    p2 = pipes.get("gitlab:shop/big:202", {})
    docs = [j for j in p2.get("jobs", []) if j["stage"] == "docs"]
    check("GitLab: child pipeline under its trigger stage",
          [s["name"] for s in p2.get("stages", [])][:2] == ["check", "docs"] and
          len(docs) == 1 and docs[0]["name"] == "docs-site" and
          docs[0]["step"] == "child pipeline #301: success" and
          stages(p2).get("docs", {}).get("status") == "success", (p2.get("stages"), docs))
    cp = {c["key"]: c for c in snap.get("ci_projects", [])}.get("gitlab:shop/big", {})
    check("GitLab: last deploy from the Deployments API, with its environment",
          cp.get("last_deploy_env") == "production" and
          cp.get("last_deploy_job") == "release-prod" and
          cp.get("last_deploy_pipeline") == 202 and cp.get("last_deploy_status") == "success",
          cp)


def check_github(snap):
    p = {p["key"]: p for p in snap.get("pipelines", [])}.get("github:o/big:77001", {})
    st = stages(p)
    check("GitHub 120 jobs: the failed shard on the last page fails the test stage",
          p.get("status") == "failed" and st.get("build", {}).get("status") == "success" and
          st.get("test", {}).get("status") == "failed" and
          st.get("test", {}).get("jobs") == 118 and
          st.get("deploy-production", {}).get("status") == "skipped",
          {k: (v.get("status"), v.get("jobs")) for k, v in st.items()})
    check("GitHub: the failed shard is a kept row",
          any(j["name"] == "test (shard 118)" and j["status"] == "failed"
              for j in p.get("jobs", [])), [j["name"] for j in p.get("jobs", [])][-5:])


def check_github_deploys(snap, log):
    cp = {c["key"]: c for c in snap.get("ci_projects", [])}.get("github:o/big", {})
    check("GitHub: last deploy from the deployments API (finished production, not the "
          "newer in-progress one)",
          cp.get("last_deploy_env") == "production" and cp.get("last_deploy_version") == "v3.1.0" and
          cp.get("last_deploy_pipeline") == 76990 and cp.get("last_deploy_status") == "success" and
          cp.get("last_deploy_job") == "deploy", cp)
    asked = sorted({e["path"].split("/")[5] for e in log if e["path"].endswith("/statuses") or
                    "/statuses?" in e["path"]})
    check("GitHub: statuses asked only for production candidates, down to the first finished",
          asked == ["902", "904"], asked)
    src = {s["name"]: s for s in snap.get("sources", [])}.get("github", {})
    check("GitHub: no fallback note when the deployments API answered",
          "deploys from job names" not in src.get("detail", ""), src.get("detail"))


def check_rate_limit(tmp):
    """Two requests of budget, the reset 3 s ahead: the cycle stops where the
    budget ends and goes on after the reset, in the same --once run."""
    gh, port = start_server("fake_github.py", "--per-page-max", "2",
                            env=dict(os.environ, CI_FAKE_TOKEN=GH_TOKEN))
    try:
        reset_at = control(port, "/_control", {"remaining": 2, "reset_in": 3})["reset_at"]
        cfg = ("github:\n  url: http://127.0.0.1:%d\n  repos: [o/r]\n"
               "pipelines:\n  last: 10\n  fast: 1s\n  slow: 5s\n" % port)
        r, snap = once(tmp, "rate", cfg)
        log = control(port, "/_stats")["log"]
    finally:
        stop(gh)
    src = {s["name"]: s for s in snap.get("sources", [])}.get("github", {})
    times = [e["t"] for e in log]
    statuses = [e["status"] for e in log]
    check("rate limit: synced in one --once run", r.returncode == 0 and
          src.get("state") == "synced", (r.returncode, src, r.stderr[-300:]))
    check("GitHub without deployments (404): job names, and the source line says so",
          "deploys from job names (deployments API: HTTP 404)" in src.get("detail", ""),
          src.get("detail"))
    check("rate limit: no request answered 403/429", 403 not in statuses and
          429 not in statuses, statuses)
    early = [t for t in times[2:] if t < reset_at]
    check("rate limit: after remaining 0, no request before the reset (server log)",
          len(times) > 2 and not early and times[1] < reset_at,
          [round(t - reset_at, 2) for t in times[:5]])


def main():
    tmp = tempfile.mkdtemp(prefix="lookout-bigpipe-")
    gl, gl_port = start_server("fake_gitlab.py", "--per-page-max", "100",
                               env=dict(os.environ, CI_FAKE_TOKEN=GL_TOKEN))
    gh, gh_port = start_server("fake_github.py", "--per-page-max", "100",
                               env=dict(os.environ, CI_FAKE_TOKEN=GH_TOKEN))
    try:
        cfg = ("gitlab:\n  url: http://127.0.0.1:%d\n  projects: [shop/big]\n"
               "github:\n  url: http://127.0.0.1:%d\n  repos: [o/big]\n"
               "pipelines:\n  last: 10\n  fast: 1s\n  slow: 5s\n" % (gl_port, gh_port))
        t0 = time.time()
        r, snap = once(tmp, "big", cfg)
        check("--once --json with the big pipelines exits 0", r.returncode == 0 and snap,
              r.stderr[-400:])
        check_gitlab(snap)
        check_github(snap)
        check("big pipelines within 15 s", time.time() - t0 < 15, time.time() - t0)
        check_github_deploys(snap, control(gh_port, "/_stats")["log"])
    finally:
        stop(gl)
        stop(gh)
    check_rate_limit(tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
