#!/usr/bin/env python3
"""A loopback GitLab REST API (v4) for Lookout's pipeline tests (stdlib only).

Serves GET /api/v4/projects/:id/pipelines, .../pipelines/:pid and
.../pipelines/:pid/jobs with payloads built from the GitLab documentation
examples in $SHARED/fixtures/ci (each object is a copy of a documented one
with its id, names, statuses and times changed), and speaks the protocol
details the client must handle: PRIVATE-TOKEN / Bearer auth (401 otherwise),
page/per_page with Link and X-Next-Page/X-Total headers, weak ETags with
If-None-Match -> 304 (which costs no rate budget), RateLimit-* headers, and
injectable 429 (Retry-After), 5xx and slow answers.

Control (no auth): POST /_control with JSON
  {"fail": [status, count], "retry_after": s, "delay": [seconds, count],
   "token": "new-token", "advance": true}
GET /_stats returns what the server saw. Prints "PORT n" on stdout when ready.
Never prints headers, so a token cannot reach a log through here.
"""
import argparse
import copy
import hashlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

PROJECT = "shop/checkout"
PROJECT_ID = "7"
STAGES = ["check", "build", "test", "deploy", "experiment-ebpf", "ai-check", "cleanup"]


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


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


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.token = args.token
        self.per_page_max = args.per_page_max
        self.scn = Scenario(args.fixtures)
        self.fail = None  # [status, count]
        self.retry_after = None
        self.delay = None  # [seconds, count]
        self.limit = 2000
        self.remaining = 2000
        self.stats = {"requests": 0, "not_modified": 0, "unauthorized": 0, "by_status": {},
                      "log": [], "auth_ok": 0}


def paginate(items, q, per_page_max):
    per_page = max(1, min(int(q.get("per_page", ["20"])[0]), per_page_max, 100))
    page = max(1, int(q.get("page", ["1"])[0]))
    total_pages = max(1, (len(items) + per_page - 1) // per_page)
    return items[(page - 1) * per_page: page * per_page], page, per_page, total_pages


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: never echo requests or headers
        pass

    @property
    def st(self):
        return self.server.state

    def send(self, status, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)) if status != 304 else "0")
        if status != 304:
            self.send_header("Content-Type", "application/json")
        self.end_headers()
        if status != 304:
            self.wfile.write(data)

    def do_POST(self):
        if self.path != "/_control":
            return self.send(404, {"message": "404 Not Found"})
        n = int(self.headers.get("Content-Length", "0"))
        ctl = json.loads(self.rfile.read(n) or b"{}")
        with self.st.lock:
            if "fail" in ctl:
                self.st.fail = list(ctl["fail"])
            if "retry_after" in ctl:
                self.st.retry_after = ctl["retry_after"]
            if "delay" in ctl:
                self.st.delay = list(ctl["delay"])
            if "token" in ctl:
                self.st.token = ctl["token"]
            if "remaining" in ctl:
                self.st.remaining = ctl["remaining"]
            if ctl.get("advance"):
                self.st.scn.advance()
        self.send(200, {"ok": True})

    def rate_headers(self):
        reset = int(time.time()) + 60
        return {"RateLimit-Limit": str(self.st.limit),
                "RateLimit-Observed": str(self.st.limit - self.st.remaining),
                "RateLimit-Remaining": str(self.st.remaining),
                "RateLimit-Reset": str(reset),
                "RateLimit-ResetTime": time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                     time.gmtime(reset))}

    def do_GET(self):
        u = urlparse(self.path)
        if u.path == "/_stats":
            with self.st.lock:
                return self.send(200, self.st.stats)
        with self.st.lock:
            delay = 0
            if self.st.delay and self.st.delay[1] > 0:
                delay = self.st.delay[0]
                self.st.delay[1] -= 1
        if delay:
            time.sleep(delay)  # a slow server: this thread only
        with self.st.lock:
            status, body, headers = self.answer(u)
            s = self.st.stats
            s["requests"] += 1
            s["by_status"][str(status)] = s["by_status"].get(str(status), 0) + 1
            s["log"].append({"t": time.time(), "path": self.path, "status": status})
            s["log"] = s["log"][-200:]
        self.send(status, body, headers)

    def authorized(self):
        tok = self.headers.get("PRIVATE-TOKEN")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            tok = auth[7:]
        return tok == self.st.token

    def answer(self, u):
        st = self.st
        if st.fail and st.fail[1] > 0:
            st.fail[1] -= 1
            status = st.fail[0]
            headers = self.rate_headers()
            if status == 429:
                st.remaining = 0
                headers = self.rate_headers()
                if st.retry_after is not None:
                    headers["Retry-After"] = str(st.retry_after)
                return 429, {"message": "429 Too Many Requests"}, headers
            return status, {"message": "%d Internal Server Error" % status}, headers
        if not self.authorized():
            st.stats["unauthorized"] += 1
            return 401, {"message": "401 Unauthorized"}, {}
        st.stats["auth_ok"] += 1
        if st.remaining == 0:
            st.remaining = st.limit  # the window reset
        parts = u.path.split("/")
        # /api/v4/projects/<id>/pipelines[/<pid>[/jobs]]
        if len(parts) < 6 or parts[1:4] != ["api", "v4", "projects"] or parts[5] != "pipelines":
            return 404, {"message": "404 Not Found"}, {}
        if unquote(parts[4]) not in (PROJECT, PROJECT_ID):
            return 404, {"message": "404 Project Not Found"}, {}
        q = parse_qs(u.query)
        scn = st.scn
        if len(parts) == 6:
            items = [scn.list_item(p) for p in sorted(scn.pipelines.values(),
                                                      key=lambda p: -p["id"])]
            if "ref" in q:
                items = [i for i in items if i["ref"] == q["ref"][0]]
            return self.page(u, q, items)
        pid = int(parts[6]) if parts[6].isdigit() else -1
        if pid not in scn.pipelines:
            return 404, {"message": "404 Not found"}, {}
        if len(parts) == 7:
            return self.etagged(scn.full(scn.pipelines[pid]), {})
        if len(parts) == 8 and parts[7] == "jobs":
            jobs = sorted(scn.jobs[pid], key=lambda j: -j["id"])  # newest first, as GitLab
            if q.get("include_retried", ["false"])[0] != "true":
                jobs = [j for j in jobs if not j.get("retried")]
            return self.page(u, q, jobs)
        return 404, {"message": "404 Not Found"}, {}

    def page(self, u, q, items):
        chunk, page, per_page, total_pages = paginate(items, q, self.st.per_page_max)
        base = "http://%s%s" % (self.headers.get("Host"), u.path)
        others = "&".join("%s=%s" % (k, v[0]) for k, v in q.items() if k not in ("page", "per_page"))

        def link(p):
            return "<%s?%spage=%d&per_page=%d>" % (base, others + "&" if others else "", p, per_page)

        rels = []
        if page > 1:
            rels.append('%s; rel="prev"' % link(page - 1))
        if page < total_pages:
            rels.append('%s; rel="next"' % link(page + 1))
        rels.append('%s; rel="first"' % link(1))
        rels.append('%s; rel="last"' % link(total_pages))
        headers = {"Link": ", ".join(rels), "X-Page": str(page), "X-Per-Page": str(per_page),
                   "X-Next-Page": str(page + 1) if page < total_pages else "",
                   "X-Prev-Page": str(page - 1) if page > 1 else "",
                   "X-Total": str(len(items)), "X-Total-Pages": str(total_pages)}
        return self.etagged(chunk, headers)

    def etagged(self, body, headers):
        data = json.dumps(body).encode()
        etag = 'W/"%s"' % hashlib.sha1(data).hexdigest()
        headers["ETag"] = etag
        headers["Cache-Control"] = "max-age=0, private, must-revalidate"
        if self.headers.get("If-None-Match") == etag:
            self.st.stats["not_modified"] += 1
            headers.update(self.rate_headers())  # a 304 costs nothing
            return 304, b"", headers
        self.st.remaining = max(0, self.st.remaining - 1)
        headers.update(self.rate_headers())
        return 200, data, headers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", default="")
    ap.add_argument("--per-page-max", type=int, default=100)
    shared = os.environ.get("SHARED") or os.path.join(os.path.dirname(__file__), "../../../shared")
    ap.add_argument("--fixtures", default=os.path.join(shared, "fixtures", "ci"))
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.state = State(args)
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
