#!/usr/bin/env python3
"""A loopback Kubernetes API server for Lookout's tests (standard library only).

It speaks the list/watch protocol the way kube-apiserver does for what the
client uses: paged LIST (limit/continue, one snapshot per list), WATCH as a
chunked stream of newline-delimited events from a resourceVersion, bookmarks,
an expired resourceVersion answered as HTTP 200 + one ERROR event (Status
code 410), 410 on an expired continue token, 403 Status bodies for RBAC,
bearer tokens and client certificates over TLS (a test CA made with openssl
at start-up). Responses are chunked and split at random byte boundaries so
that objects arrive across several reads.

Objects are built from the real recorded fixtures in tests/fixtures/k8s.
Events are kept in core/v1 shape and served under both APIs the way the
apiserver does: /api/v1/events as stored, /apis/events.k8s.io/v1/events
converted (regarding, note, deprecatedCount, deprecated*Timestamp). Either
API can be forbidden (--forbid events / --forbid events.events.k8s.io) or
absent (--absent, answered 404 as on a server without that group).

Start: fake_apiserver.py --fixtures DIR [--tls CERTDIR] [--token T]...
It prints one JSON line {"port": N, ...} on stdout when ready. Tests steer it
through POST /_ctl/<command> (JSON body) and read GET /_ctl/state.
"""
import argparse
import copy
import json
import os
import random
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESOURCES = {
    # path resource -> (group prefix, kind, list kind, namespaced)
    "nodes": ("/api/v1", "Node", "NodeList", False),
    "pods": ("/api/v1", "Pod", "PodList", True),
    "deployments": ("/apis/apps/v1", "Deployment", "DeploymentList", True),
    "events": ("/api/v1", "Event", "EventList", True),
}


def gen_certs(d):
    """Test CA, a server cert (127.0.0.1, localhost, kubernetes.test) and a client cert."""
    os.makedirs(d, exist_ok=True)

    def run(*args):
        subprocess.run(["openssl", *args], check=True, cwd=d,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "2", "-subj", "/CN=lookout-test-ca")
    with open(os.path.join(d, "san.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.test\n")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=kube-apiserver")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.cnf")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr",
        "-subj", "/CN=cert-user/O=system:masters")
    run("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "client.crt", "-days", "2")


class Store:
    """Objects, the resourceVersion clock, the event history and the watchers."""

    def __init__(self):
        self.lock = threading.Condition()
        self.rv = 1000
        self.objects = {r: {} for r in RESOURCES}   # resource -> key -> (obj, bytes)
        self.history = []                            # (rv, resource, type, bytes, ns, obj)
        self.compacted = 0                           # history at or below this RV is gone
        self.conts = {}                              # continue token -> snapshot
        self.expire_conts = False
        self.watch_fail = {}                         # resource -> HTTP status for its next watch
        self.expire_next_list = None                 # resource whose next list gets 410
        self.generation = 0                          # bumps to end/drop watches
        self.drop_mode = None                        # "drop" or "expire"
        self.raw_lines = []                          # (resource, bytes) injected once
        self.log = []
        self.tokens = set()
        self.forbid = set()                          # "pods", "events", "events.events.k8s.io" ...
        self.absent = set()                          # the same names, answered 404
        self.bookmark_s = 1.0
        self.split = True

    @staticmethod
    def key(obj):
        m = obj["metadata"]
        return (m.get("namespace", "") + "/" + m["name"]) if m.get("namespace") else m["name"]

    def put(self, res, obj, etype=None, notify=True, fresh=False):
        """fresh: the caller built obj for this call alone and gives it away
        (the seeders), so it is stored without a copy."""
        with self.lock:
            self.rv += 1
            if not fresh:
                obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self.rv)
            k = self.key(obj)
            if etype is None:
                etype = "MODIFIED" if k in self.objects[res] else "ADDED"
            data = json.dumps(obj, separators=(",", ":")).encode()
            if etype == "DELETED":
                self.objects[res].pop(k, None)
            else:
                self.objects[res][k] = (obj, data)
            self.history.append((self.rv, res, etype, data, obj["metadata"].get("namespace", ""),
                                 obj))
            if len(self.history) > 200000:
                self.compacted = self.history[100000][0]
                del self.history[:100000]
            if notify:
                self.lock.notify_all()

    def delete(self, res, key):
        with self.lock:
            ent = self.objects[res].get(key)
        if ent:
            self.put(res, json.loads(ent[1]), "DELETED", fresh=True)

    def put_stamped(self, res, stamp, vals, labels):
        """A seeded object written from its stamp (below) without building it:
        only its name, namespace and labels are kept as a dict, enough for the
        selectors; the rest is read back from its bytes when it changes."""
        with self.lock:
            self.rv += 1
            vals["rv"] = str(self.rv)
            data = stamp.fill(vals)
            ns = vals.get("ns", "")
            stub = {"metadata": {"name": vals["name"], "namespace": ns, "labels": labels}}
            self.objects[res][ns + "/" + vals["name"] if ns else vals["name"]] = (stub, data)
            self.history.append((self.rv, res, "ADDED", data, ns, stub))


STORE = Store()


def status_obj(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


EVENTS_V1 = "events.events.k8s.io"  # the resource.group name RBAC and kubectl use


def to_events_v1(data):
    """A stored core/v1 Event as events.k8s.io/v1 serves it (the field mapping of
    Kubernetes' own conversion, for the fields a client reads)."""
    o = json.loads(data)
    v = {"kind": "Event", "apiVersion": "events.k8s.io/v1", "metadata": o["metadata"],
         "eventTime": o.get("eventTime"), "reason": o.get("reason", ""), "type": o.get("type", ""),
         "note": o.get("message", ""), "regarding": o.get("involvedObject", {}),
         "reportingController": o.get("reportingComponent") or o.get("source", {}).get("component", ""),
         "reportingInstance": o.get("reportingInstance") or o.get("source", {}).get("host", ""),
         "action": o.get("action", "")}
    if o.get("count"):
        v["deprecatedCount"] = o["count"]
    for old, new in (("firstTimestamp", "deprecatedFirstTimestamp"),
                     ("lastTimestamp", "deprecatedLastTimestamp")):
        if o.get(old):
            v[new] = o[old]
    if o.get("series"):
        v["series"] = o["series"]
    return json.dumps(v, separators=(",", ":")).encode()


def event_line(etype, data):
    return b'{"type":"' + etype.encode() + b'","object":' + data + b"}\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-apiserver"

    def setup(self):
        ctx = self.server.tls_ctx
        if ctx:
            self.request.settimeout(10)
            self.request = ctx.wrap_socket(self.request, server_side=True)
            self.request.settimeout(None)
        super().setup()

    def log_message(self, fmt, *args):
        pass

    # ---- helpers ----
    def send_chunk(self, data):
        """One chunk per random piece: the client sees objects split anywhere."""
        pieces = []
        if STORE.split and len(data) > 1:
            i = 0
            while i < len(data):
                n = random.randint(1, max(1, min(len(data) - i, random.choice([7, 64, 900, 5000]))))
                pieces.append(data[i:i + n])
                i += n
        else:
            pieces = [data]
        for p in pieces:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(p), p))
        self.wfile.flush()

    def end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def start_chunked(self, code=200):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def user(self):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[7:] in STORE.tokens:
            return "token:" + auth[7:]
        if isinstance(self.request, ssl.SSLSocket):
            cert = self.request.getpeercert()
            if cert:
                for rdn in cert.get("subject", ()):
                    for k, v in rdn:
                        if k == "commonName":
                            return "cert:" + v
        return None

    # ---- routing ----
    def do_POST(self):
        if not self.path.startswith("/_ctl/"):
            return self.send_json(404, status_obj(404, "NotFound", "not found"))
        n = int(self.headers.get("Content-Length", "0") or 0)
        body = json.loads(self.rfile.read(n) or b"{}")
        out = control(self.path[6:], body)
        self.send_json(200, out)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        if u.path == "/_ctl/state":
            with STORE.lock:
                return self.send_json(200, {"rv": STORE.rv, "log": STORE.log[-2000:],
                                            "counts": {r: len(v) for r, v in STORE.objects.items()}})
        if u.path in DISCOVERY:  # what kubectl asks before a get (the bench's baseline)
            return self.send_json(200, DISCOVERY[u.path])
        parts = u.path.strip("/").split("/")
        ns = ""
        if len(parts) >= 2 and parts[-2] == "namespaces":
            pass
        res = parts[-1] if parts else ""
        if "namespaces" in parts:
            i = parts.index("namespaces")
            if i + 2 < len(parts):
                ns = parts[i + 1]
        user = self.user()
        watch = q.get("watch") in ("1", "true")
        api = EVENTS_V1 if res == "events" and u.path.startswith("/apis/events.k8s.io/v1/") else res
        entry = {"verb": "watch" if watch else "list", "res": res, "api": api, "ns": ns,
                 "rv": q.get("resourceVersion"), "limit": q.get("limit"),
                 "continue": bool(q.get("continue")), "user": user,
                 "auth": self.headers.get("Authorization", "")[:7]}
        with STORE.lock:
            STORE.log.append(entry)
        group_ok = u.path.startswith(RESOURCES[res][0] + "/") if res in RESOURCES else False
        if res not in RESOURCES or api in STORE.absent or not (group_ok or api == EVENTS_V1):
            entry["status"] = 404
            return self.send_json(404, status_obj(404, "NotFound", "the server could not find the requested resource"))
        if user is None:
            entry["status"] = 401
            return self.send_json(401, status_obj(401, "Unauthorized", "Unauthorized"))
        if api in STORE.forbid:
            entry["status"] = 403
            scope = ('in the namespace "%s"' % ns) if ns else "at the cluster scope"
            group = "events.k8s.io" if api == EVENTS_V1 else ""
            return self.send_json(403, status_obj(
                403, "Forbidden", '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" %s'
                % (api, user, entry["verb"], res, group, scope)))
        fail = STORE.watch_fail.pop(res, None) if watch else None
        if fail == 200:  # a watch that ends at once with no events
            entry["status"] = 200
            self.start_chunked()
            return self.end_chunks()
        if fail:
            entry["status"] = fail
            return self.send_json(fail, status_obj(fail, "TooManyRequests" if fail == 429 else "ServiceUnavailable",
                                                   "please back off"))
        entry["status"] = 200
        conv = to_events_v1 if api == EVENTS_V1 else (lambda d: d)
        if watch:
            return self.watch(res, ns, q, conv)
        return self.list(res, ns, q, conv)

    def matches(self, res, ns, obj_ns, obj, q):
        if ns and obj_ns != ns:
            return False
        labels = (obj.get("metadata") or {}).get("labels") or {}
        for term in filter(None, q.get("labelSelector", "").split(",")):  # equality terms only
            k, _, v = term.partition("=")
            if labels.get(k.strip()) != v.strip():
                return False
        fs = q.get("fieldSelector", "")
        if fs.startswith("type="):
            return obj.get("type") == fs[5:]
        return True

    def list(self, res, ns, q, conv):
        limit = int(q.get("limit") or 0)
        cont = q.get("continue")
        rv = q.get("resourceVersion")
        with STORE.lock:
            if cont:
                snap = STORE.conts.get(cont)
                if snap is None or STORE.expire_conts:
                    STORE.expire_conts = False
                    return self.send_json(410, status_obj(
                        410, "Expired", "The provided continue parameter is too old to display a consistent list result."))
            else:
                if STORE.expire_next_list == res and rv not in ("",):
                    STORE.expire_next_list = None
                    return self.send_json(410, status_obj(
                        410, "Expired", "too old resource version: %s (%d)" % (rv, STORE.rv)))
                items = [conv(d) for k, (o, d) in sorted(STORE.objects[res].items())
                         if self.matches(res, ns, o["metadata"].get("namespace", ""), o, q)]
                snap = {"rv": str(STORE.rv), "items": items, "pos": 0}
            start = snap["pos"]
            end = len(snap["items"]) if not limit else min(len(snap["items"]), start + limit)
            page = snap["items"][start:end]
            token = ""
            if end < len(snap["items"]):
                token = "c%d-%d" % (random.randint(0, 1 << 30), end)
                STORE.conts[token] = {"rv": snap["rv"], "items": snap["items"], "pos": end}
            if cont:
                STORE.conts.pop(cont, None)
            raw = [line for r, line in STORE.raw_lines if r == res + ":list"]
            STORE.raw_lines = [x for x in STORE.raw_lines if x[0] != res + ":list"]
        group, kind, list_kind, _ = RESOURCES[res]
        version = "events.k8s.io/v1" if conv is to_events_v1 else "apps/v1" if group != "/api/v1" else "v1"
        head = ('{"kind":"%s","apiVersion":"%s","metadata":{"resourceVersion":"%s","continue":"%s"},"items":['
                % (list_kind, version, snap["rv"], token)).encode()
        self.start_chunked()
        self.send_chunk(head + b",".join(raw + page) + b"]}\n")
        self.end_chunks()

    def watch(self, res, ns, q, conv):
        rv = q.get("resourceVersion", "")
        timeout = float(q.get("timeoutSeconds") or 300)
        bookmarks = q.get("allowWatchBookmarks") == "true"
        deadline = time.time() + min(timeout, self.server.max_watch_s)
        self.start_chunked()
        with STORE.lock:
            gen = STORE.generation
            try:
                since = int(rv) if rv not in ("", "0") else STORE.rv
            except ValueError:
                since = -1
            expired = since < STORE.compacted
        if expired:
            err = status_obj(410, "Expired", "too old resource version: %s (%d)" % (rv, STORE.rv))
            self.send_chunk(event_line("ERROR", json.dumps(err).encode()))
            self.end_chunks()
            return
        pos = 0
        with STORE.lock:
            # first history entry after `since`
            lo, hi = 0, len(STORE.history)
            while lo < hi:
                mid = (lo + hi) // 2
                if STORE.history[mid][0] <= since:
                    lo = mid + 1
                else:
                    hi = mid
            pos = lo
        last_sent = time.time()
        while True:
            out = []
            with STORE.lock:
                if STORE.generation != gen:
                    mode = STORE.drop_mode
                    break_mode = mode
                else:
                    break_mode = None
                if break_mode is None:
                    while pos < len(STORE.history):
                        h = STORE.history[pos]
                        pos += 1
                        if h[1] == res and h[2] == "RAW":
                            out.append(h[3] + b"\n")
                        elif h[1] == res and self.matches(res, ns, h[4], h[5], q):
                            out.append(event_line(h[2], conv(h[3])))
                    if not out:
                        wait = min(deadline - time.time(), STORE.bookmark_s - (time.time() - last_sent))
                        if wait > 0:
                            STORE.lock.wait(wait)
                        cur_rv = STORE.rv
            if break_mode == "drop":
                # The connection dies mid-stream: no terminating chunk.
                self.close_connection = True
                try:
                    self.request.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if break_mode == "expire":
                err = status_obj(410, "Expired", "too old resource version: %s (%d)" % (rv, STORE.rv))
                self.send_chunk(event_line("ERROR", json.dumps(err).encode()))
                self.end_chunks()
                return
            if break_mode == "end":
                self.end_chunks()
                return
            try:
                if out:
                    self.send_chunk(b"".join(out))
                    last_sent = time.time()
                elif time.time() >= deadline:
                    self.end_chunks()
                    return
                elif bookmarks and time.time() - last_sent >= STORE.bookmark_s:
                    _, kind, _, _ = RESOURCES[res]
                    bm = {"kind": kind, "apiVersion": "v1", "metadata": {"resourceVersion": str(cur_rv)}}
                    self.send_chunk(event_line("BOOKMARK", json.dumps(bm).encode()))
                    last_sent = time.time()
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                return


# ---- objects from the recorded fixtures ----
FIX = {}


def load_fixtures(d):
    def j(name):
        with open(os.path.join(d, name)) as f:
            return json.load(f)
    FIX["pod_running"] = j("pod-running.k9s.json")
    FIX["pod_crash"] = j("pod-crashloopbackoff.gitops-engine.derived.json")
    FIX["pod_oom"] = j("pod-oomkilled.is-healthy.derived.json")
    FIX["pod_init_crash"] = j("pod-init-crashloopbackoff.insights-operator.json")
    FIX["node_ready"] = j("node-ready-minikube.k9s.json")
    FIX["node_notready"] = j("node-notready.is-healthy.derived.json")
    FIX["deploy_ok"] = j("deployment-available.k9s.json")
    FIX["deploy_stuck"] = j("deployment-progress-deadline-exceeded.gitops-engine.derived.json")
    FIX["event_normal"] = j("event-normal-pulled-gke.k9s.json")
    FIX["events_warning"] = j("events-warning-reduced.insights-operator.json")["items"]


def uid(i, salt):
    return "%08x-%04x-4%03x-8%03x-%012x" % (salt, i & 0xffff, i % 4096, (i >> 12) % 4096, i)


def clone(template):
    """A fresh copy of a fixture: parsing its JSON text again is several times
    faster than copy.deepcopy, which is what lets 70,000 pods seed in seconds."""
    text = FIX_TEXT.get(template)
    if text is None:
        text = FIX_TEXT[template] = json.dumps(FIX[template])
    return json.loads(text)


FIX_TEXT = {}


class Stamp:
    """An object serialised once with @@field@@ markers where its copies differ
    (name, namespace, uid, node, resourceVersion, ...): each copy's bytes are
    the pieces joined with its values. Seeding 70,000 pods this way takes about
    a second instead of some fifteen (a JSON encode per pod). Values must be
    plain names (nothing JSON would escape)."""

    def __init__(self, obj):
        obj["metadata"]["resourceVersion"] = "@@rv@@"
        self.parts = re.split(r"@@(\w+)@@", json.dumps(obj, separators=(",", ":")))

    def fill(self, vals):
        p = self.parts
        out = [p[0]]
        for i in range(1, len(p), 2):
            out.append(vals[p[i]])
            out.append(p[i + 1])
        return "".join(out).encode()


def make_pod(template, ns, name, i, node=None, labels=None):
    o = clone(template)
    m = o["metadata"]
    for k in ("managedFields", "selfLink", "resourceVersion", "generateName"):
        m.pop(k, None)
    m["name"], m["namespace"], m["uid"] = name, ns, uid(i, 0x0b0d)
    if labels is not None:
        m["labels"] = labels
    if node:
        o.setdefault("spec", {})["nodeName"] = node
    return o


def make_node(template, name, i):
    o = clone(template)
    m = o["metadata"]
    m.pop("managedFields", None)
    m["name"], m["uid"] = name, uid(i, 0x0de5)
    return o


def make_deploy(template, ns, name, i):
    o = clone(template)
    m = o["metadata"]
    for k in ("managedFields", "selfLink"):
        m.pop(k, None)
    m.get("annotations", {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
    m["name"], m["namespace"], m["uid"] = name, ns, uid(i, 0xde91)
    return o


def make_warning(ns, obj_kind, obj_name, reason, message, i, count=1):
    """A full core/v1 Warning Event: the reduced Insights fields in the shape of the GKE event."""
    o = copy.deepcopy(FIX["event_normal"])
    o["metadata"] = {"name": "%s.%x" % (obj_name, 0x17a000 + i), "namespace": ns,
                     "uid": uid(i, 0xe7e7), "creationTimestamp": "2022-08-24T09:40:44Z"}
    o["type"], o["reason"], o["message"], o["count"] = "Warning", reason, message, count
    o["involvedObject"] = {"apiVersion": "v1", "kind": obj_kind, "name": obj_name, "namespace": ns}
    o["firstTimestamp"] = o["lastTimestamp"] = "2022-08-24T09:40:44Z"
    return o


def seed_story():
    """A small realistic cluster: each problem the client must derive."""
    STORE.put("nodes", make_node("node_ready", "node-a", 1))
    STORE.put("nodes", make_node("node_ready", "node-b", 2))
    STORE.put("nodes", make_node("node_notready", "node-c", 3))
    lab = {"app": "checkout", "pod-template-hash": "7d9f8b6c5d"}
    for i in range(3):
        p = make_pod("pod_running", "shop", "checkout-7d9f8b6c5d-%d" % i, 10 + i, "node-a", dict(lab))
        p["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                             "name": "checkout-7d9f8b6c5d", "uid": uid(i, 1),
                                             "controller": True}]
        STORE.put("pods", p)
    STORE.put("pods", make_pod("pod_crash", "shop", "cart-crash", 20, "node-b", {"app": "cart"}))
    STORE.put("pods", make_pod("pod_oom", "shop", "search-oom", 21, "node-b", {"app": "search"}))
    STORE.put("pods", make_pod("pod_init_crash", "data", "vsystem-init", 22, "node-b", {"app": "vsystem"}))
    STORE.put("deployments", make_deploy("deploy_ok", "shop", "checkout", 30))
    STORE.put("deployments", make_deploy("deploy_stuck", "shop", "guestbook-ui", 31))
    for i, w in enumerate(FIX["events_warning"]):
        STORE.put("events", make_warning("shop", "Pod", "cart-crash", "BackOff",
                                          "Back-off restarting failed container", 40 + i, 5 + i))
        STORE.put("events", make_warning(w["namespace"], "Machine", "worker-%d" % i, w["reason"],
                                          w["message"], 50 + i))
    normal = copy.deepcopy(FIX["event_normal"])
    STORE.put("events", normal)  # filtered out by fieldSelector=type=Warning


def pod_stamp(template, labels, owner=None):
    """A stamp of a fixture pod: @@ns@@, @@name@@, @@uid@@, @@node@@ and the
    markers in labels and owner are filled per copy."""
    o = make_pod(template, "@@ns@@", "@@name@@", 0, "@@node@@", labels)
    o["metadata"]["uid"] = "@@uid@@"
    if owner:
        o["metadata"]["ownerReferences"] = [owner]
    return Stamp(o)


def seed_bulk(pods, nodes, deploys, owned=False):
    """Bench scale: pods spread over nodes/namespaces, mostly healthy; owned:
    each pod's controller is its deployment's ReplicaSet, as in a real cluster."""
    stamps = {}
    node = make_node("node_ready", "@@name@@", 0)
    node["metadata"]["uid"] = "@@uid@@"
    deploy = make_deploy("deploy_ok", "@@ns@@", "@@name@@", 0)
    deploy["metadata"]["uid"] = "@@uid@@"
    node_labels, deploy_labels = node["metadata"].get("labels"), deploy["metadata"].get("labels")
    node, deploy = Stamp(node), Stamp(deploy)
    with STORE.lock:
        for i in range(nodes):
            STORE.put_stamped("nodes", node, {"name": "node-%04d" % i, "uid": uid(i, 0x0de5)},
                              node_labels)
        for i in range(deploys):
            STORE.put_stamped("deployments", deploy, {"ns": "ns-%02d" % (i % 50), "name": "app-%04d" % i,
                                                      "uid": uid(i, 0xde91)}, deploy_labels)
        for i in range(pods):
            t = "pod_crash" if i % 97 == 0 else "pod_oom" if i % 89 == 0 else "pod_running"
            d = i % deploys
            ns = "ns-%02d" % ((d if owned else i) % 50)  # owned: in its deployment's namespace
            app = "app-%04d" % d
            labels = {"app": app, "tier": "web"}
            if owned:
                labels["pod-template-hash"] = "6c4f8d9b7"
            if t not in stamps:
                marked = dict(labels, app="@@app@@")
                owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "@@app@@-6c4f8d9b7",
                         "uid": "@@ownuid@@", "controller": True} if owned else None
                stamps[t] = pod_stamp(t, marked, owner)
            STORE.put_stamped("pods", stamps[t],
                              {"ns": ns, "name": "%s-%05d" % (app, i), "uid": uid(i, 0x0b0d),
                               "node": "node-%04d" % (i % nodes), "app": app, "ownuid": uid(d, 0x7e5e)},
                              labels)


MASS_OWNERS = (("shop", "cart", 3), ("shop", "search", 2), ("data", "ingest", 1))


def seed_mass(pods, twin=0):
    """A mass failure by owner: pods of 3 deployments through their ReplicaSets,
    in shares 3:2:1 over 5 nodes. cart all CrashLoopBackOff; search 4 in 5
    CrashLoopBackOff, 1 in 5 OOMKilled; ingest healthy. twin: that many more
    crash-looping pods of a deployment also named cart, in namespace staging."""
    owners = MASS_OWNERS + ((("staging", "cart", 0),) if twin else ())
    with STORE.lock:
        for i in range(5):
            STORE.put("nodes", make_node("node_ready", "mass-node-%d" % i, 900 + i), notify=False, fresh=True)
        start = 0
        for d, (ns, name, share) in enumerate(owners):
            n = twin if ns == "staging" else \
                pods * share // 6 if d < len(MASS_OWNERS) - 1 else pods - start
            rs = "%s-5d8f7c9b6a" % name
            labels = {"app": name, "pod-template-hash": "5d8f7c9b6a"}
            owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": uid(d, 0x3a55),
                     "controller": True}
            stamps = {}
            for j in range(n):
                t = "pod_running"
                if name == "cart" or (name == "search" and j % 5):
                    t = "pod_crash"
                elif name == "search":
                    t = "pod_oom"
                if t not in stamps:
                    stamps[t] = pod_stamp(t, dict(labels), dict(owner))
                STORE.put_stamped("pods", stamps[t],
                                  {"ns": ns, "name": "%s-%05d" % (rs, j), "uid": uid(100000 + start + j, 0x0b0d),
                                   "node": "mass-node-%d" % (j % 5)}, labels)
            start += n


def _resources(names):
    return [{"name": n, "singularName": n[:-1], "namespaced": n != "nodes",
             "kind": n[:1].upper() + n[1:-1], "verbs": ["get", "list", "watch"]} for n in names]


DISCOVERY = {
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
         "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}]},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1",
                "resources": _resources(["pods", "nodes", "events"])},
    "/apis/apps/v1": {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1",
                      "resources": _resources(["deployments"])},
}

CHURN = {"stop": None}


def crash(o, on):
    """The first container in CrashLoopBackOff (on) or running again."""
    cs = o.get("status", {}).get("containerStatuses") or []
    if not cs:
        return
    if on:
        cs[0]["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off restarting"}}
        cs[0]["ready"] = False
    else:
        cs[0]["state"] = {"running": {"startedAt": "2026-01-01T00:00:00Z"}}
        cs[0]["ready"] = True


def churn(rate, seconds, crash_pct=0):
    """MODIFIED events on existing pods (restart counts move), `rate` per second;
    crash_pct of them put the pod in CrashLoopBackOff (the others run again)."""
    stop = threading.Event()
    CHURN["stop"] = stop

    def run():
        with STORE.lock:
            keys = list(STORE.objects["pods"].keys())
        t0 = time.time()
        n = 0
        while not stop.is_set() and time.time() - t0 < seconds:
            batch = max(1, rate // 100)
            for _ in range(batch):
                k = keys[n % len(keys)]
                n += 1
                with STORE.lock:
                    ent = STORE.objects["pods"].get(k)
                if not ent:
                    continue
                o = json.loads(ent[1])  # a fresh copy, whether stored whole or stamped
                cs = o.get("status", {}).get("containerStatuses") or []
                if cs:
                    cs[0]["restartCount"] = cs[0].get("restartCount", 0) + 1
                if crash_pct:
                    crash(o, n % 100 < crash_pct)
                STORE.put("pods", o, fresh=True)
            target = t0 + n / rate
            d = target - time.time()
            if d > 0:
                time.sleep(d)
        CHURN["sent"] = n

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th


def control(cmd, b):
    if cmd == "seed_story":
        seed_story()
    elif cmd == "seed_bulk":
        seed_bulk(b.get("pods", 10000), b.get("nodes", 500), b.get("deployments", 2000))
    elif cmd == "put":
        STORE.put(b["resource"], b["object"])
    elif cmd == "put_fixture_pod":
        STORE.put("pods", make_pod(b["template"], b["namespace"], b["name"], b.get("i", 999),
                                   b.get("node"), b.get("labels")))
    elif cmd == "delete":
        STORE.delete(b["resource"], b["key"])
    elif cmd == "raw":
        # a raw line for the next watch (resource) or list (resource + ":list") of resource
        with STORE.lock:
            if b["resource"].endswith(":list"):
                STORE.raw_lines.append((b["resource"], b["line"].encode()))
            else:  # every open watch of the resource gets it, in order
                STORE.history.append((STORE.rv, b["resource"], "RAW", b["line"].encode(), "", None))
            STORE.lock.notify_all()
    elif cmd == "raw_big":
        with STORE.lock:
            line = b'{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"huge","namespace":"x"},"pad":"' \
                + b"x" * int(b["bytes"]) + b'"}}'
            STORE.history.append((STORE.rv, b["resource"], "RAW", line, "", None))
            STORE.lock.notify_all()
    elif cmd in ("drop", "expire", "end"):
        with STORE.lock:
            if cmd == "expire":
                STORE.compacted = STORE.rv + 1
            STORE.drop_mode = cmd
            STORE.generation += 1
            STORE.lock.notify_all()
    elif cmd == "compact":
        with STORE.lock:
            STORE.compacted = STORE.rv + 1
    elif cmd == "expire_next_list":
        STORE.expire_next_list = b["resource"]
    elif cmd == "watch_fail":
        with STORE.lock:
            STORE.watch_fail[b["resource"]] = int(b["status"])
    elif cmd == "expire_continue":
        STORE.expire_conts = True
    elif cmd == "tokens":
        STORE.tokens = set(b["tokens"])
    elif cmd == "forbid":
        STORE.forbid = set(b["resources"])
    elif cmd == "absent":
        STORE.absent = set(b["resources"])
    elif cmd == "split":
        STORE.split = bool(b["on"])
    elif cmd == "churn":
        churn(int(b["rate"]), float(b["seconds"]), int(b.get("crash_pct", 0)))
    elif cmd == "churn_stop":
        if CHURN["stop"]:
            CHURN["stop"].set()
        return {"sent": CHURN.get("sent", 0)}
    elif cmd == "clear_log":
        with STORE.lock:
            STORE.log = []
    else:
        return {"error": "unknown command " + cmd}
    with STORE.lock:
        return {"ok": True, "rv": STORE.rv}


class QuietServer(ThreadingHTTPServer):
    """Clients that hang up mid-stream are normal here (drops, cancels)."""

    def handle_error(self, request, client_address):
        err = sys.exc_info()[1]
        if isinstance(err, (ConnectionError, ssl.SSLError, OSError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--tls", help="directory for the generated test CA and certificates")
    ap.add_argument("--token", action="append", default=[])
    ap.add_argument("--forbid", action="append", default=[],
                    help="answer 403 for a resource: pods, events (core/v1), events.events.k8s.io")
    ap.add_argument("--absent", action="append", default=[], help="answer 404 for a resource, as --forbid")
    ap.add_argument("--bookmark-seconds", type=float, default=1.0)
    ap.add_argument("--max-watch-seconds", type=float, default=600)
    ap.add_argument("--story", action="store_true", help="seed the realistic story objects")
    ap.add_argument("--bulk", type=int, default=0, help="seed N pods (N/20 nodes, N/5 deployments)")
    ap.add_argument("--nodes", type=int, default=0, help="with --bulk: this many nodes")
    ap.add_argument("--deployments", type=int, default=0, help="with --bulk: this many deployments")
    ap.add_argument("--owned", action="store_true",
                    help="with --bulk: pods owned by their deployment's ReplicaSet")
    ap.add_argument("--mass", type=int, default=0,
                    help="seed N pods of 3 deployments, most in CrashLoopBackOff")
    ap.add_argument("--twin", type=int, default=0,
                    help="with --mass: N crash-looping pods of staging/cart (a second cart)")
    ap.add_argument("--no-split", action="store_true")
    a = ap.parse_args()
    load_fixtures(a.fixtures)
    STORE.tokens = set(a.token)
    STORE.forbid = set(a.forbid)
    STORE.absent = set(a.absent)
    STORE.bookmark_s = a.bookmark_seconds
    STORE.split = not a.no_split
    if a.story:
        seed_story()
    if a.mass:
        seed_mass(a.mass, a.twin)
    if a.bulk:
        seed_bulk(a.bulk, a.nodes or max(1, a.bulk // 20), a.deployments or max(1, a.bulk // 5),
                  a.owned)
    srv = QuietServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.max_watch_s = a.max_watch_seconds
    srv.tls_ctx = None
    if a.tls:
        gen_certs(a.tls)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(a.tls, "server.crt"), os.path.join(a.tls, "server.key"))
        ctx.load_verify_locations(os.path.join(a.tls, "ca.crt"))
        ctx.verify_mode = ssl.CERT_OPTIONAL
        srv.tls_ctx = ctx
    print(json.dumps({"port": srv.server_address[1], "tls": bool(a.tls)}), flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
