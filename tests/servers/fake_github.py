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
last page. Bearer/token auth ("Bad credentials" 401 otherwise), Link pagination,
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
