#!/usr/bin/env python3
"""A loopback GitLab REST API (v4) for Lookout's pipeline tests (stdlib only).

Serves GET /api/v4/projects/:id/pipelines, .../pipelines/:pid and
.../pipelines/:pid/jobs with payloads built from the GitLab documentation
examples in tests/fixtures/ci (each object is a copy of a documented one
with its id, names, statuses and times changed). PRIVATE-TOKEN or Bearer
auth (401 otherwise), page/per_page with Link, X-Next-Page, X-Total...,
RateLimit-* headers; ETag/304, 429, 5xx and slow answers come from
ci_fake_base.py (see its control endpoint).
"""
import copy
import hashlib
import json
import os
import sys
import time
from urllib.parse import unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ci_fake_base import Api, iso, main  # noqa: E402

PROJECT = "shop/checkout"
PROJECT_ID = "7"
STAGES = ["check", "build", "test", "deploy", "experiment-ebpf", "ai-check", "cleanup"]


class Scenario:
    """The demo story: v2.4.0 deployed, a failed pipeline, v2.4.1 (the bad
    version) deployed with a warning, and a running pipeline whose deploy
    is still to come."""

    def __init__(self, fixtures):
        with open(os.path.join(fixtures, "gitlab-pipelines-list.docs.json")) as f:
            self.list_tpl = json.load(f)[0]
        with open(os.path.join(fixtures, "gitlab-pipeline-get.docs.json")) as f:
            self.get_tpl = json.load(f)
        with open(os.path.join(fixtures, "gitlab-pipeline-jobs-list.docs.json")) as f:
            self.job_tpl = json.load(f)[0]
        self.t0 = int(time.time()) - 7200
        self.next_job_id = 1000
        self.pipelines = {}  # id -> dict(meta)
        self.jobs = {}  # pipeline id -> [job]
        self.step = 0
        self.build()

    def job(self, pid, name, stage, status, start, dur, allow_failure=False, reason=None,
            env=None, retried=False):
        j = copy.deepcopy(self.job_tpl)
        self.next_job_id += 1
        j["id"] = self.next_job_id
        j["name"] = name
        j["stage"] = stage
        j["status"] = status
        j["allow_failure"] = allow_failure
        j["failure_reason"] = reason
        if reason is None:
            j.pop("failure_reason", None)
        j["created_at"] = iso(self.t0)
        j["started_at"] = iso(start) if start else None
        finished = start + dur if start and status in ("success", "failed", "canceled") else None
        j["finished_at"] = iso(finished) if finished else None
        j["duration"] = float(dur) if finished else None
        j["pipeline"]["id"] = pid
        j["web_url"] = "https://gitlab.example.com/%s/-/jobs/%d" % (PROJECT, j["id"])
        if env:
            j["environment"] = {"name": env, "action": "start", "deployment_tier": "production"}
        j["retried"] = retried
        return j

    def pipeline(self, pid, status, created, ref="main", tag=False, sha=None):
        self.pipelines[pid] = dict(id=pid, status=status, created=created, updated=created,
                                   ref=ref, tag=tag, sha=sha or hashlib.sha1(b"%d" % pid).hexdigest())

    def finished_pipeline(self, pid, start, tag, outcome):
        """Seven stages; outcome: success, failed (test), warning (ebpf allowed failure)."""
        self.pipeline(pid, "failed" if outcome == "failed" else "success", start, ref=tag or "main",
                      tag=bool(tag))
        t, jobs = start + 10, []
        plan = [("lint", "check"), ("compile", "build"), ("unit", "test"), ("deploy-prod", "deploy"),
                ("ebpf-probe", "experiment-ebpf"), ("ai-review", "ai-check"), ("gc", "cleanup")]
        failed = False
        for name, stage in plan:
            if failed:
                jobs.append(self.job(pid, name, stage, "skipped", None, 0))
                continue
            status, allow, reason, env = "success", False, None, None
            if outcome == "failed" and stage == "test":
                status, reason, failed = "failed", "script_failure", True
            if stage == "experiment-ebpf":
                allow = True
                if outcome == "warning":
                    status, reason = "failed", "script_failure"
            if stage == "deploy":
                env = "production"
            if stage == "build" and pid == 101:  # a retried job: the first try failed
                jobs.append(self.job(pid, name, stage, "failed", t, 20, reason="runner_system_failure",
                                     retried=True))
                t += 20
            jobs.append(self.job(pid, name, stage, status, t, 60, allow, reason, env))
            t += 60
        self.jobs[pid] = jobs
        self.pipelines[pid]["updated"] = t

    def build(self):
        t0 = self.t0
        self.finished_pipeline(101, t0, "v2.4.0", "success")
        self.finished_pipeline(102, t0 + 1200, None, "failed")
        self.finished_pipeline(103, t0 + 2400, "v2.4.1", "warning")
        # 104: running, in its test stage; deploy and later stages not started
        self.pipeline(104, "running", t0 + 6000)
        s = t0 + 6010
        self.jobs[104] = [
            self.job(104, "lint", "check", "success", s, 30),
            self.job(104, "compile", "build", "success", s + 30, 60),
            self.job(104, "unit", "test", "running", s + 90, 0),
            self.job(104, "integration", "test", "pending", None, 0),
            self.job(104, "deploy-prod", "deploy", "created", None, 0, env="production"),
            self.job(104, "ebpf-probe", "experiment-ebpf", "created", None, 0, True),
            self.job(104, "ai-review", "ai-check", "created", None, 0, True),
            self.job(104, "gc", "cleanup", "created", None, 0),
        ]
        self.pipelines[104]["updated"] = s + 90

    def advance(self):
        """104 moves on: tests pass and the deploy waits (manual), then it runs and succeeds."""
        self.step += 1
        now = time.time()
        jobs = {j["name"]: j for j in self.jobs[104]}
        p = self.pipelines[104]
        if self.step == 1:
            for n in ("unit", "integration"):
                jobs[n].update(status="success", started_at=iso(now - 30), finished_at=iso(now),
                               duration=30.0)
            jobs["deploy-prod"]["status"] = "manual"
            p["status"] = "manual"
        elif self.step == 2:
            jobs["deploy-prod"].update(status="success", started_at=iso(now - 20),
                                       finished_at=iso(now), duration=20.0)
            for n in ("ebpf-probe", "ai-review", "gc"):
                jobs[n].update(status="success", started_at=iso(now), finished_at=iso(now),
                               duration=0.5)
            p["status"] = "success"
        p["updated"] = now

    def list_item(self, p):
        item = copy.deepcopy(self.list_tpl)
        item.update(id=p["id"], iid=p["id"] - 100, project_id=int(PROJECT_ID), status=p["status"],
                    ref=p["ref"], sha=p["sha"], created_at=iso(p["created"]),
                    updated_at=iso(p["updated"]),
                    web_url="https://gitlab.example.com/%s/-/pipelines/%d" % (PROJECT, p["id"]))
        return item

    def full(self, p):
        item = copy.deepcopy(self.get_tpl)
        item.update(self.list_item(p))
        item["tag"] = p["tag"]
        return item


class GitLab(Api):
    limit = 2000

    def __init__(self, args):
        super().__init__(args)
        self.scn = Scenario(args.fixtures)

    def authorized(self, headers):
        tok = headers.get("PRIVATE-TOKEN")
        auth = headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            tok = auth[7:]
        return tok == self.token

    def rate_headers(self, remaining, reset):
        return {"RateLimit-Limit": str(self.limit),
                "RateLimit-Observed": str(self.limit - remaining),
                "RateLimit-Remaining": str(remaining),
                "RateLimit-Reset": str(reset),
                "RateLimit-ResetTime": time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                     time.gmtime(reset))}

    def page_headers(self, page, per_page, total, total_pages):
        return {"X-Page": str(page), "X-Per-Page": str(per_page),
                "X-Next-Page": str(page + 1) if page < total_pages else "",
                "X-Prev-Page": str(page - 1) if page > 1 else "",
                "X-Total": str(total), "X-Total-Pages": str(total_pages)}

    def advance(self):
        self.scn.advance()

    def route(self, h, u, q):
        parts = u.path.split("/")
        # /api/v4/projects/<id>/pipelines[/<pid>[/jobs]]
        if len(parts) < 6 or parts[1:4] != ["api", "v4", "projects"] or parts[5] != "pipelines":
            return 404, {"message": "404 Not Found"}, {}
        if unquote(parts[4]) not in (PROJECT, PROJECT_ID):
            return 404, {"message": "404 Project Not Found"}, {}
        scn = self.scn
        if len(parts) == 6:
            items = [scn.list_item(p) for p in sorted(scn.pipelines.values(),
                                                      key=lambda p: -p["id"])]
            if "ref" in q:
                items = [i for i in items if i["ref"] == q["ref"][0]]
            return h.page(u, q, items)
        pid = int(parts[6]) if parts[6].isdigit() else -1
        if pid not in scn.pipelines:
            return 404, {"message": "404 Not found"}, {}
        if len(parts) == 7:
            return h.etagged(scn.full(scn.pipelines[pid]), {})
        if len(parts) == 8 and parts[7] == "jobs":
            jobs = sorted(scn.jobs[pid], key=lambda j: -j["id"])  # newest first, as GitLab
            if q.get("include_retried", ["false"])[0] != "true":
                jobs = [j for j in jobs if not j.get("retried")]
            return h.page(u, q, jobs)
        return 404, {"message": "404 Not Found"}, {}


if __name__ == "__main__":
    sys.exit(main(GitLab))
