#!/usr/bin/env python3
"""Pipelines through the real binary: `lookout --once --json --config CFG`
against the loopback GitLab and GitHub servers (tests/servers/fake_*.py),
tokens from the environment and from a 0600 token_file, a token_file that
others can read (refused, clearly), a wrong token (401, clearly), and the
demo's pipelines (same parser) with the deploy gate closed. No token may
appear in stdout, stderr, the record, or the process's argv."""
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import LOOKOUT, check, finish, start_server  # noqa: E402

GL_TOKEN = "glpat-E2E-secret-7777"
GH_TOKEN = "ghp_E2Esecret7777abc"


class Server:
    def __init__(self, script, token, per_page_max=2):
        env = dict(os.environ, CI_FAKE_TOKEN=token)
        self.p, self.port = start_server(script, "--per-page-max", str(per_page_max), env=env)

    def control(self, body):
        req = urllib.request.Request("http://127.0.0.1:%d/_control" % self.port,
                                     data=json.dumps(body).encode(), method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=5)


def run_lookout(tmp, cfg_text, env_extra, extra_args=(), name="cfg"):
    cfg = os.path.join(tmp, name + ".yaml")
    with open(cfg, "w") as f:
        f.write(cfg_text)
    rec = os.path.join(tmp, name + ".rec")
    env = dict(os.environ)
    env.pop("GITLAB_TOKEN", None)
    env.pop("GITHUB_TOKEN", None)
    env.update(env_extra)
    args = [LOOKOUT, "--once", "--json", "--no-kernel", "--timeout", "30", "--config", cfg,
            "--record", rec] + list(extra_args)
    r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=90)
    with open(rec) as f:
        record = f.read()
    try:
        snap = json.loads(r.stdout)
    except ValueError:
        snap = None
    return r, snap, record, args


def no_token(name, texts):
    leaked = [i for i, t in enumerate(texts) if GL_TOKEN in t or GH_TOKEN in t]
    check(name, not leaked, "token found in output #%s" % leaked)


def main():
    tmp = tempfile.mkdtemp(prefix="lookout-pipe-")
    gl = Server("fake_gitlab.py", GL_TOKEN)
    gh = Server("fake_github.py", GH_TOKEN)
    try:
        token_file = os.path.join(tmp, "gh-token")
        with open(token_file, "w") as f:
            f.write(GH_TOKEN + "\n")
        os.chmod(token_file, 0o600)
        cfg = ("gitlab:\n  url: http://127.0.0.1:%d\n  projects:\n    - shop/checkout\n"
               "github:\n  url: http://127.0.0.1:%d\n  token_file: %s\n  repos: [o/r]\n"
               "pipelines:\n  last: 10\n  fast: 1s\n  slow: 5s\n"
               % (gl.port, gh.port, token_file))
        r, snap, record, args = run_lookout(tmp, cfg, {"GITLAB_TOKEN": GL_TOKEN})
        check("--once --json exits 0 with both CI sources", r.returncode == 0 and snap,
              r.stderr[-400:])
        snap = snap or {}
        srcs = {s["name"]: s for s in snap.get("sources", [])}
        check("all reporting: summary.sources_not_reporting 0",
              snap.get("summary", {}).get("sources_not_reporting") == 0, snap.get("summary"))
        check("gitlab and github sources synced",
              srcs.get("gitlab", {}).get("state") == "synced" and
              srcs.get("github", {}).get("state") == "synced", srcs)
        check("rate budget shown", "/2000 left" in srcs.get("gitlab", {}).get("detail", "") and
              "/5000 left" in srcs.get("github", {}).get("detail", ""), srcs)
        pipes = {p["key"]: p for p in snap.get("pipelines", [])}
        p104 = pipes.get("gitlab:shop/checkout:104", {})
        check("GitLab stage order as GitLab reports it",
              [s["name"] for s in p104.get("stages", [])] ==
              ["check", "build", "test", "deploy", "experiment-ebpf", "ai-check", "cleanup"],
              p104.get("stages"))
        check("GitLab running pipeline: test stage running, deploy job recognised",
              p104.get("status") == "running" and
              any(j["name"] == "deploy-prod" and j["is_deploy"] for j in p104.get("jobs", [])))
        p103 = pipes.get("gitlab:shop/checkout:103", {})
        check("allow_failure failure is a warning", p103.get("status") == "success" and
              p103.get("warning") is True)
        check("all GitHub runs across 3 pages",
              len([k for k in pipes if k.startswith("github:o/r:")]) == 5, list(pipes))
        projects = {c["key"]: c for c in snap.get("ci_projects", [])}
        gc = projects.get("gitlab:shop/checkout", {})
        check("GitLab failure ratio 1/3 and last deploy v2.4.1",
              abs((gc.get("failure_ratio") or 0) - 1 / 3) < 1e-9 and
              gc.get("last_deploy_version") == "v2.4.1" and gc.get("last_deploy", 0) > 0, gc)
        hc = projects.get("github:o/r", {})
        check("GitHub failure ratio 1/4, running stage test",
              abs((hc.get("failure_ratio") or 0) - 0.25) < 1e-9 and
              hc.get("running_stage") == "test", hc)
        no_token("no token in stdout, stderr, record or argv",
                 [r.stdout, r.stderr, record, " ".join(args)])

        # A token file others can read is refused with a clear message.
        os.chmod(token_file, 0o644)
        r, snap, record, _ = run_lookout(tmp, cfg, {"GITLAB_TOKEN": GL_TOKEN}, name="cfg-mode")
        gh_src = {s["name"]: s for s in (snap or {}).get("sources", [])}.get("github", {})
        check("token_file readable by others: github failed, says chmod 600",
              gh_src.get("state") == "failed" and "chmod 600" in gh_src.get("error", ""), gh_src)
        os.chmod(token_file, 0o600)

        # A wrong token: 401 with a message that says what to check.
        r, snap, record, _ = run_lookout(tmp, cfg, {"GITLAB_TOKEN": "glpat-wrong"},
                                         name="cfg-401")
        gl_src = {s["name"]: s for s in (snap or {}).get("sources", [])}.get("gitlab", {})
        check("wrong GitLab token: failed with 401 and GITLAB_TOKEN named",
              gl_src.get("state") == "failed" and "401 Unauthorized" in gl_src.get("error", "")
              and "GITLAB_TOKEN" in gl_src.get("error", ""), gl_src)
        no_token("no token after a 401 either", [r.stdout, r.stderr, record])

        # No token and private projects: GitLab and GitHub answer 404, never
        # 401. The error says which token to set; with every CI source
        # failed, --once prints the snapshot and exits 1 naming them.
        gl.control({"fail": [404, 1000]})
        gh.control({"fail": [404, 1000]})
        anon = cfg.replace("  token_file: %s\n" % token_file, "")
        r, snap, record, _ = run_lookout(tmp, anon, {}, name="cfg-404")
        gl.control({"fail": [404, 0]})
        gh.control({"fail": [404, 0]})
        srcs = {s["name"]: s for s in (snap or {}).get("sources", [])}
        gl_err = srcs.get("gitlab", {}).get("error", "")
        gh_err = srcs.get("github", {}).get("error", "")
        check("404 with no token says so (GitLab, GitHub)",
              "not found (no token set: private projects need GITLAB_TOKEN or token_file)"
              in gl_err and "need GITHUB_TOKEN or token_file" in gh_err, (gl_err, gh_err))
        check("every CI source failed: --once exits 1 and says which on stderr",
              r.returncode == 1 and snap is not None and
              "every gitlab source failed: gitlab (failed" in r.stderr and
              "every github source failed: github (failed" in r.stderr,
              (r.returncode, r.stderr[-500:]))

        # Nothing listening (GitLab, GitHub and Prometheus): a source that never
        # answered is "failed", never "stale" (which says older data is kept).
        dead = ("gitlab:\n  url: http://127.0.0.1:9\n  projects: [shop/checkout]\n"
                "github:\n  url: http://127.0.0.1:9\n  repos: [o/r]\n"
                "prometheus:\n  url: http://127.0.0.1:9\n  interval: 1s\n"
                "slos:\n  - name: api\n    service: api\n    objective: 99.9\n"
                "    sli:\n      prometheus:\n        error_query: sum(rate(e[{{.window}}]))\n"
                "        total_query: sum(rate(t[{{.window}}]))\n")
        r, snap, record, _ = run_lookout(tmp, dead, {"GITLAB_TOKEN": GL_TOKEN}, name="cfg-dead")
        srcs = {s["name"]: s for s in (snap or {}).get("sources", [])}
        check("closed port from the start: gitlab, github, prometheus failed, not stale",
              r.returncode == 1 and
              all(srcs.get(n, {}).get("state") == "failed" and srcs[n]["last_ok"] == 0 and
                  srcs[n]["error"] for n in ("gitlab", "github", "prometheus")),
              (r.returncode, srcs))
        summ = (snap or {}).get("summary", {})
        check("summary says 3 sources not reporting beside open_incidents 0",
              summ.get("sources_not_reporting") == 3 and summ.get("open_incidents") == 0, summ)

        # token_file as docs/pipelines.md writes it: `~/...`, and a symlink
        # chain the way Kubernetes mounts a Secret key (token -> ..data/token).
        home = os.path.join(tmp, "home")
        secret_dir = os.path.join(home, ".config", "lookout", "..2026_12_05")
        os.makedirs(secret_dir)
        with open(os.path.join(secret_dir, "gh-token"), "w") as f:
            f.write(GH_TOKEN + "\n")
        os.chmod(os.path.join(secret_dir, "gh-token"), 0o600)
        os.symlink("..2026_12_05", os.path.join(home, ".config", "lookout", "..data"))
        os.symlink("..data/gh-token", os.path.join(home, ".config", "lookout", "gh-token"))
        tilde = cfg.replace("token_file: %s" % token_file,
                            "token_file: ~/.config/lookout/gh-token")
        r, snap, record, _ = run_lookout(tmp, tilde, {"GITLAB_TOKEN": GL_TOKEN, "HOME": home,
                                                      "XDG_CONFIG_HOME": ""}, name="cfg-tilde")
        gh_src = {s["name"]: s for s in (snap or {}).get("sources", [])}.get("github", {})
        check("token_file ~/... through a symlink chain: github synced",
              gh_src.get("state") == "synced", gh_src)
        xdg = cfg.replace("token_file: %s" % token_file,
                          "token_file: $XDG_CONFIG_HOME/lookout/nope")
        r, snap, record, _ = run_lookout(tmp, xdg, {"GITLAB_TOKEN": GL_TOKEN, "HOME": home,
                                                    "XDG_CONFIG_HOME": ""}, name="cfg-xdg")
        gh_src = {s["name"]: s for s in (snap or {}).get("sources", [])}.get("github", {})
        check("token_file $XDG_CONFIG_HOME/... expanded: the error names the expanded path",
              os.path.join(home, ".config", "lookout", "nope") in gh_src.get("error", "")
              or os.path.join(home, ".config", "lookout", "nope") in r.stderr, (gh_src, r.stderr[-300:]))

        # A bad section is a config error: exit 2 with file:line.
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("gitlab:\n  url: http://x\n  projects: [a/b]\n  token: glpat-x\n")
        r = subprocess.run([LOOKOUT, "--once", "--json", "--no-kernel", "--config", bad],
                           capture_output=True, text=True, timeout=30)
        check("a token in the config is refused: exit 2, file:line",
              r.returncode == 2 and "bad.yaml:4" in r.stderr and "glpat" not in r.stderr,
              r.stderr)

        # The demo's pipelines come through the same parser; the gate blocks payments.
        empty = os.path.join(tmp, "empty.yaml")
        open(empty, "w").close()
        r = subprocess.run([LOOKOUT, "--demo", "--no-kernel", "--once", "--json",
                            "--demo-time", "120", "--config", empty],
                           capture_output=True, text=True, timeout=90)
        try:
            demo = json.loads(r.stdout)
        except ValueError:
            demo = {}
        dp = {p["key"]: p for p in demo.get("pipelines", [])}
        pay = dp.get("gitlab:shop/payments:978", {})
        dep = [j for j in pay.get("jobs", []) if j["name"] == "deploy-production"]
        check("demo: payments deploy blocked by the closed gate, with the reason",
              pay.get("gate_blocked") is True and pay.get("gate_reason") and dep and
              dep[0]["status"] == "blocked_by_gate" and dep[0]["ci_status"] == "pending",
              (pay.get("gate_reason"), dep))
        dc = {c["key"]: c for c in demo.get("ci_projects", [])}.get("gitlab:shop/checkout", {})
        check("demo: last deploy to production is the bad 2.4.1",
              dc.get("last_deploy_version") == "2.4.1" and dc.get("simulated") is True, dc)
    finally:
        gl.stop()
        gh.stop()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
