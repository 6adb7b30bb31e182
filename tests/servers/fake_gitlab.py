#!/usr/bin/env python3
"""A loopback GitLab REST API (v4) for Lookout's pipeline tests (stdlib only).

Serves GET /api/v4/projects/:id/pipelines, .../pipelines/:pid,
.../pipelines/:pid/jobs, .../pipelines/:pid/bridges and
/projects/:id/deployments with payloads built from the GitLab documentation
examples in tests/fixtures/ci (each object is a copy of a documented one
with its id, names, statuses and times changed; bridges and deployments,
which have no fixture, carry the fields doc/api/jobs.md and
doc/api/deployments.md list: downstream_pipeline, environment, deployable).

Two projects: shop/checkout (id 7), the demo story below, and shop/big
(id 8), pipelines as big teams have them: 201 failed with 126 jobs (a
120-shard test stage, one shard failing among the oldest jobs, so on the
last page; both deploy stages skipped), and 202 passed, with a trigger job
whose child pipeline 301 ran; its deployments name a staging deploy after
the production one. PRIVATE-TOKEN or Bearer
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
BIG = "shop/big"
BIG_ID = "8"
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
        self.bridges = {}  # pipeline id -> [bridge]
        self.deploys = []  # deployments, any order
        self.step = 0
        self.build()
        self.big = BigProject(self)

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

    def deployment(self, job, env, tag, project=PROJECT, project_id=PROJECT_ID, pipelines=None):
        """A deployment as GET /projects/:id/deployments lists it."""
        p = (pipelines or self.pipelines).get(job["pipeline"]["id"]) or {}
        self.deploys.append({
            "id": 500 + len(self.deploys), "iid": 1 + len(self.deploys),
            "ref": tag or p.get("ref", "main"), "sha": p.get("sha", "0" * 40),
            "status": "success" if job["status"] == "success" else job["status"],
            "created_at": job["created_at"], "updated_at": job["finished_at"] or job["created_at"],
            "finished_at": job["finished_at"], "project_id": int(project_id),
            "environment": {"id": 9, "name": env,
                            "external_url": "https://%s.example.com" % env.split("/")[-1]},
            "deployable": {"id": job["id"], "name": job["name"], "stage": job["stage"],
                           "status": job["status"], "ref": tag or p.get("ref", "main"),
                           "tag": bool(tag), "finished_at": job["finished_at"],
                           "pipeline": {"id": job["pipeline"]["id"], "sha": p.get("sha"),
                                        "ref": p.get("ref"), "status": p.get("status")}},
            "_project": project})

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
            if env and status == "success":
                self.deployment(jobs[-1], env, tag)
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
            self.deployment(jobs["deploy-prod"], "production", None)
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


class BigProject:
    """shop/big: pipelines of a size the first page does not hold."""

    def __init__(self, scn):
        self.scn = scn
        self.pipelines, self.jobs, self.bridges = {}, {}, {}
        t0 = scn.t0 + 600
        # 201 failed: check 1, build 2, test 120 shards, deploy-staging 1, deploy-production 2
        self.add_pipeline(201, "failed", t0)
        jobs, t = [], t0 + 5
        plan = [("lint", "check"), ("compile", "build"), ("image", "build")]
        plan += [("shard %d/120" % i, "test") for i in range(1, 121)]
        plan += [("staging", "deploy-staging"), ("release-prod", "deploy-production"),
                 ("smoke-prod", "deploy-production")]
        for name, stage in plan:
            if stage.startswith("deploy"):
                jobs.append(scn.job(201, name, stage, "skipped", None, 0))
                continue
            failed = name == "shard 7/120"  # among the oldest jobs: the last page, newest first
            jobs.append(scn.job(201, name, stage, "failed" if failed else "success", t, 30,
                                reason="script_failure" if failed else None))
        self.jobs[201] = jobs
        # 202 passed; its docs stage triggers child pipeline 301; then deploys
        self.add_pipeline(202, "success", t0 + 1800)
        t = t0 + 1805
        lint = scn.job(202, "lint", "check", "success", t, 20)
        bridge = scn.job(202, "docs-site", "docs", "success", t + 20, 30)
        bridge["downstream_pipeline"] = {
            "id": 301, "sha": self.pipelines[202]["sha"], "ref": "main", "status": "success",
            "created_at": iso(t + 21), "updated_at": iso(t + 50),
            "web_url": "https://gitlab.example.com/shop/docs/-/pipelines/301"}
        for k in ("artifacts", "artifacts_expire_at", "tag_list", "runner"):
            bridge.pop(k, None)
        self.bridges[202] = [bridge]
        self.jobs[202] = [lint,
                          scn.job(202, "release-prod", "deploy-production", "success", t + 60, 30),
                          scn.job(202, "review-app", "deploy-staging", "success", t + 100, 30)]
        scn.deployment(self.jobs[202][1], "production", None, BIG, BIG_ID, self.pipelines)
        scn.deployment(self.jobs[202][2], "review/feature-x", None, BIG, BIG_ID, self.pipelines)

    def list_item(self, p):
        return self.scn.list_item(p)

    def full(self, p):
        return self.scn.full(p)

    def add_pipeline(self, pid, status, created):
        self.pipelines[pid] = dict(id=pid, status=status, created=created, updated=created + 900,
                                   ref="main", tag=False,
                                   sha=hashlib.sha1(b"big%d" % pid).hexdigest())


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
        if len(parts) < 6 or parts[1:4] != ["api", "v4", "projects"]:
            return 404, {"message": "404 Not Found"}, {}
        project = unquote(parts[4])
        if project not in (PROJECT, PROJECT_ID, BIG, BIG_ID):
            return 404, {"message": "404 Project Not Found"}, {}
        name = BIG if project in (BIG, BIG_ID) else PROJECT
        if len(parts) == 6 and parts[5] == "deployments":
            deps = [d for d in self.scn.deploys if d["_project"] == name]
            deps = sorted(deps, key=lambda d: (d["updated_at"], d["id"]), reverse=True)
            return h.page(u, q, [{k: v for k, v in d.items() if k != "_project"} for d in deps])
        if parts[5] != "pipelines":
            return 404, {"message": "404 Not Found"}, {}
        scn = self.scn.big if name == BIG else self.scn
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
        if len(parts) == 8 and parts[7] == "bridges":
            return h.page(u, q, sorted(scn.bridges.get(pid, []), key=lambda j: -j["id"]))
        if len(parts) == 8 and parts[7] == "jobs":
            jobs = sorted(scn.jobs[pid], key=lambda j: -j["id"])  # newest first, as GitLab
            if q.get("include_retried", ["false"])[0] != "true":
                jobs = [j for j in jobs if not j.get("retried")]
            return h.page(u, q, jobs)
        return 404, {"message": "404 Not Found"}, {}


if __name__ == "__main__":
    sys.exit(main(GitLab))
