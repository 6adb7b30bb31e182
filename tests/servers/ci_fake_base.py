"""Shared plumbing of the loopback CI API servers (fake_gitlab.py, fake_github.py).

Standard library only. A server subclass supplies the API (`api(handler, url)`
returning (status, body, headers)) and its rate-limit header style; this
module gives it: token checks, pagination with Link (absolute URLs) and the
extra headers a provider adds, weak ETags with If-None-Match -> 304 (which
costs no rate budget), injected failures (any status, 429 with Retry-After),
slow answers, a control endpoint and statistics.

Control (no auth): POST /_control with JSON
  {"fail": [status, count], "retry_after": s, "delay": [seconds, count],
   "token": "new-token", "remaining": n, "reset_in": s, "no_link": true,
   "advance": true}
The rate window is real: once `remaining` is 0, every request before the
reset gets the provider's rate-limit answer (GitHub 403 "API rate limit
exceeded", GitLab 429), logged like any other; at the reset the budget is
whole again. GET /_stats returns what the server saw (a log of the last
requests with their time, path and status). The server prints "PORT n" when ready
and never prints request headers, so a token cannot reach a log from here.
"""
import argparse
import hashlib
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Api:
    """What a provider defines."""
    limit = 5000

    def __init__(self, args):
        self.token = args.token
        self.per_page_max = args.per_page_max

    def authorized(self, headers):
        raise NotImplementedError

    def unauthorized(self):
        return 401, {"message": "401 Unauthorized"}, {}

    def limited(self):
        return 429, {"message": "Retry later"}

    def rate_headers(self, remaining, reset):
        raise NotImplementedError

    def page_headers(self, page, per_page, total, total_pages):
        return {}

    def route(self, h, u, q):
        raise NotImplementedError

    def advance(self):
        pass


class State:
    def __init__(self, api):
        self.lock = threading.Lock()
        self.api = api
        self.fail = None
        self.retry_after = None
        self.delay = None
        self.remaining = api.limit
        self.reset_at = int(time.time()) + 60  # epoch seconds the rate window resets
        self.no_link = False  # omit Link: only the provider's own page headers
        self.stats = {"requests": 0, "not_modified": 0, "unauthorized": 0, "auth_ok": 0,
                      "by_status": {}, "log": []}


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
        if status == 304:
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.path != "/_control":
            return self.send(404, {"message": "Not Found"})
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
                self.st.api.token = ctl["token"]
            if "remaining" in ctl:
                self.st.remaining = ctl["remaining"]
            if "reset_in" in ctl:
                self.st.reset_at = int(time.time()) + ctl["reset_in"]
            if "no_link" in ctl:
                self.st.no_link = bool(ctl["no_link"])
            if ctl.get("advance"):
                self.st.api.advance()
            reset_at = self.st.reset_at
        self.send(200, {"ok": True, "reset_at": reset_at})

    def rate(self):
        return self.st.api.rate_headers(self.st.remaining, self.st.reset_at)

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
            s["log"] = s["log"][-300:]
        try:
            self.send(status, body, headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def answer(self, u):
        st, api = self.st, self.st.api
        now = time.time()
        if now >= st.reset_at:  # a new window
            st.remaining, st.reset_at = api.limit, int(now) + 60
        if st.fail and st.fail[1] > 0:
            st.fail[1] -= 1
            status = st.fail[0]
            if status == 429:
                st.remaining = 0
                if st.retry_after is not None:
                    st.reset_at = int(now) + st.retry_after
                headers = self.rate()
                if st.retry_after is not None:
                    headers["Retry-After"] = str(st.retry_after)
                return 429, {"message": "Too Many Requests"}, headers
            headers = self.rate()
            if status == 403 and st.retry_after is not None:  # GitHub's secondary limit
                headers["Retry-After"] = str(st.retry_after)
            return status, {"message": "%d error" % status}, headers
        if not api.authorized(self.headers):
            st.stats["unauthorized"] += 1
            return api.unauthorized()
        st.stats["auth_ok"] += 1
        if st.remaining == 0:  # spent, and the window has not reset yet
            status, body = api.limited()
            return status, body, self.rate()
        return api.route(self, u, parse_qs(u.query))

    def page(self, u, q, items, wrap=None):
        api = self.st.api
        per_page = max(1, min(int(q.get("per_page", ["30"])[0]), api.per_page_max, 100))
        page = max(1, int(q.get("page", ["1"])[0]))
        total_pages = max(1, (len(items) + per_page - 1) // per_page)
        chunk = items[(page - 1) * per_page: page * per_page]
        base = "http://%s%s" % (self.headers.get("Host"), u.path)
        others = "&".join("%s=%s" % (k, v[0]) for k, v in q.items()
                          if k not in ("page", "per_page"))

        def link(p):
            return "<%s?%spage=%d&per_page=%d>" % (base, others + "&" if others else "", p,
                                                   per_page)

        rels = []
        if page > 1:
            rels.append('%s; rel="prev"' % link(page - 1))
        if page < total_pages:
            rels.append('%s; rel="next"' % link(page + 1))
        rels.append('%s; rel="first"' % link(1))
        rels.append('%s; rel="last"' % link(total_pages))
        headers = {} if self.st.no_link else {"Link": ", ".join(rels)}
        headers.update(api.page_headers(page, per_page, len(items), total_pages))
        return self.etagged(wrap(chunk, len(items)) if wrap else chunk, headers)

    def etagged(self, body, headers):
        data = json.dumps(body).encode()
        etag = 'W/"%s"' % hashlib.sha256(data).hexdigest()
        headers["ETag"] = etag
        if self.headers.get("If-None-Match") == etag:
            self.st.stats["not_modified"] += 1
            headers.update(self.rate())  # a 304 costs nothing
            return 304, b"", headers
        self.st.remaining = max(0, self.st.remaining - 1)
        headers.update(self.rate())
        return 200, data, headers


def main(api_class):
    """A provider script's entry point: its command line, then serve until interrupted."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", default=os.environ.get("CI_FAKE_TOKEN", ""))
    ap.add_argument("--per-page-max", type=int, default=100)
    ap.add_argument("--fixtures", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       "..", "fixtures", "ci"))
    args = ap.parse_args()
    serve(api_class(args), args.port)


def serve(api, port):
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    srv.state = State(api)
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


def iso(t, millis=True):
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    return s + (".%03dZ" % int((t % 1) * 1000) if millis else "Z")
