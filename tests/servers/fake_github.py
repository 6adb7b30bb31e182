#!/usr/bin/env python3
"""A loopback GitHub Actions REST API for Lookout's pipeline tests (stdlib only).

Serves GET /repos/{owner}/{repo}/actions/runs and .../runs/{id}/jobs from
real recorded api.github.com payloads in tests/fixtures/ci (PyGithub replay
data): the four runs of github-workflow-runs-list-mixed (3 success, 1
failure) plus the in-progress run of github-run-get-in-progress, and jobs
copied from github-run-jobs-completed-with-steps. The failure run gets one
failed job with a failed step (no recording has one; see SOURCES.md), the
running run has a running step and a queued production deploy job.
The repository o/big has one failed run of 120 jobs (build, 118 test
shards, a deploy skipped after the failure) whose failing shard is on the
last page, and deployments as GET /repos/o/big/deployments and
.../deployments/{id}/statuses answer them (shaped after the REST reference,
no recording exists: a preview, an in-progress production deploy, a staging
one, the last finished production deploy v3.1.0 from run 76990, an older
inactive one); other repositories answer 404 there, as a repository
without deployments access does. Bearer/token auth ("Bad credentials" 401 otherwise), Link pagination,
X-RateLimit-* headers; ETag/304, 429, 5xx and slow answers come from
ci_fake_base.py.
"""
import copy
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ci_fake_base import Api, iso, main  # noqa: E402


class GitHub(Api):
    limit = 5000

    def __init__(self, args):
        super().__init__(args)
        fx = args.fixtures
        with open(os.path.join(fx, "github-workflow-runs-list-mixed.body.json")) as f:
            self.runs = json.load(f)["workflow_runs"]
        with open(os.path.join(fx, "github-run-get-in-progress.body.json")) as f:
            self.runs.insert(0, json.load(f))
        with open(os.path.join(fx, "github-run-jobs-completed-with-steps.body.json")) as f:
            self.job_tpl = json.load(f)["jobs"]
        self.jobs = {r["id"]: self.make_jobs(r) for r in self.runs}
        self.step = 0
        self.big_runs = [self.make_big_run()]
        self.deploys, self.deploy_statuses = self.make_deploys()

    def make_big_run(self):
        run = copy.deepcopy(self.runs[-1])
        run.update(id=77001, status="completed", conclusion="failure", head_branch="main",
                   name="ci", display_title="120 shards")
        tpl = self.job_tpl[0]
        jobs = []
        names = ["build"] + ["test (shard %d)" % i for i in range(1, 119)] + ["deploy-production"]
        for i, name in enumerate(names):
            j = copy.deepcopy(tpl)
            j.update(id=run["id"] * 1000 + i, run_id=run["id"], name=name, status="completed",
                     conclusion="success", steps=[])
            if name == "test (shard 118)":  # the last page: jobs 101-120
                j["conclusion"] = "failure"
            if name == "deploy-production":
                j.update(conclusion="skipped", started_at=j["completed_at"])
            jobs.append(j)
        self.jobs[run["id"]] = jobs
        return run

    def make_deploys(self):
        base = "https://api.github.com/repos/o/big/deployments"
        runs = "https://github.com/o/big/actions/runs"
        table = [  # id, environment, ref, state, minutes ago, run
            (905, "pr-12-preview", "feature/x", "success", 5, 77002),
            (904, "production", "v3.2.0", "in_progress", 8, 77001),
            (903, "staging", "v3.1.0", "success", 50, 76991),
            (902, "production", "v3.1.0", "success", 60, 76990),
            (901, "production", "v3.0.2", "inactive", 600, 76900),
        ]
        now = time.time()
        deploys, statuses = [], {}
        for did, env, ref, state, ago, run in table:
            t = iso(now - ago * 60, False)
            deploys.append({
                "url": "%s/%d" % (base, did), "id": did, "node_id": "DE_%d" % did,
                "sha": "%040x" % (did * 7919), "ref": ref, "task": "deploy", "payload": {},
                "original_environment": env, "environment": env, "description": None,
                "creator": {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"},
                "created_at": t, "updated_at": t,
                "statuses_url": "%s/%d/statuses" % (base, did),
                "repository_url": "https://api.github.com/repos/o/big",
                "transient_environment": env.startswith("pr-"),
                "production_environment": env == "production"})
            statuses[did] = [{
                "url": "%s/%d/statuses/%d" % (base, did, did * 10), "id": did * 10,
                "node_id": "DES_%d" % did, "state": state,
                "creator": {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"},
                "description": "", "environment": env,
                "target_url": "%s/%d/job/%d" % (runs, run, run * 10 + 1),
                "created_at": iso(now - ago * 60 + 90, False),
                "updated_at": iso(now - ago * 60 + 90, False),
                "deployment_url": "%s/%d" % (base, did),
                "repository_url": "https://api.github.com/repos/o/big",
                "environment_url": "", "log_url": "%s/%d/job/%d" % (runs, run, run * 10 + 1)}]
        return deploys, statuses

    def make_jobs(self, run):
        jobs = copy.deepcopy(self.job_tpl)
        for i, j in enumerate(jobs):
            j["id"] = run["id"] * 10 + i
            j["run_id"] = run["id"]
            j["head_sha"] = run["head_sha"]
        if run["conclusion"] == "failure":
            jobs[1]["conclusion"] = "failure"
            jobs[1]["steps"][4]["conclusion"] = "failure"
            for s in jobs[1]["steps"][5:]:
                s["conclusion"] = "skipped"
        if run["status"] == "in_progress":
            jobs[1]["status"], jobs[1]["conclusion"], jobs[1]["completed_at"] = (
                "in_progress", None, None)
            jobs[1]["steps"][4].update(status="in_progress", conclusion=None, completed_at=None)
            for s in jobs[1]["steps"][5:]:
                s.update(status="queued", conclusion=None, started_at=None, completed_at=None)
            for j in jobs[2:]:
                j.update(status="queued", conclusion=None, started_at=j["created_at"],
                         completed_at=None, steps=[])
            deploy = copy.deepcopy(jobs[-1])
            deploy.update(id=run["id"] * 10 + 9, name="deploy-production", status="queued",
                          conclusion=None, completed_at=None, steps=[])
            jobs.append(deploy)
        return jobs

    def authorized(self, headers):
        auth = headers.get("Authorization", "")
        for prefix in ("Bearer ", "token "):
            if auth.startswith(prefix):
                return auth[len(prefix):] == self.token
        return False

    def unauthorized(self):
        return 401, {"message": "Bad credentials",
                     "documentation_url": "https://docs.github.com/rest"}, {}

    def limited(self):
        return 403, {"message": "API rate limit exceeded for user ID 1.",
                     "documentation_url": "https://docs.github.com/rest/overview/rate-limits"}

    def rate_headers(self, remaining, reset):
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(reset), "X-RateLimit-Used": str(self.limit - remaining),
                "X-RateLimit-Resource": "core"}

    def advance(self):
        """The running run completes successfully."""
        run = self.runs[0]
        now = time.time()
        run.update(status="completed", conclusion="success", updated_at=iso(now, False))
        for j in self.jobs[run["id"]]:
            j.update(status="completed", conclusion="success", completed_at=iso(now, False))
            for s in j["steps"]:
                s.update(status="completed", conclusion="success")

    def route(self, h, u, q):
        parts = u.path.split("/")
        # /repos/o/big/deployments[/<id>/statuses]
        if len(parts) >= 5 and parts[1:5] == ["repos", "o", "big", "deployments"]:
            if len(parts) == 5:
                return h.page(u, q, self.deploys)
            if len(parts) == 7 and parts[6] == "statuses" and parts[5].isdigit():
                st = self.deploy_statuses.get(int(parts[5]))
                if st is not None:
                    return h.page(u, q, st)
            return 404, {"message": "Not Found"}, {}
        # /repos/<o>/<r>/actions/runs[/<id>/jobs]
        if len(parts) < 6 or parts[1] != "repos" or parts[4:6] != ["actions", "runs"]:
            return 404, {"message": "Not Found"}, {}
        if len(parts) == 6:
            runs = sorted(self.big_runs if parts[2:4] == ["o", "big"] else self.runs, key=lambda r: r["created_at"], reverse=True)
            if "branch" in q:
                runs = [r for r in runs if r["head_branch"] == q["branch"][0]]
            return h.page(u, q, runs, lambda chunk, total: {"total_count": total,
                                                             "workflow_runs": chunk})
        if len(parts) == 8 and parts[7] == "jobs" and parts[6].isdigit():
            jobs = self.jobs.get(int(parts[6]))
            if jobs is None:
                return 404, {"message": "Not Found"}, {}
            return h.page(u, q, jobs, lambda chunk, total: {"total_count": total, "jobs": chunk})
        return 404, {"message": "Not Found"}, {}


if __name__ == "__main__":
    sys.exit(main(GitHub))
