#!/usr/bin/env python3
"""One engine shared (docs/share.md), end to end without a screen: `lookout
serve --share` on the demo with its copilot on the loopback LLM
(tests/servers/fake_llm.py), headless `lookout --attach` viewers, raw
clients. Checks: --share away from loopback without a token is refused;
the stream wants the token (401, and a viewer says so); what it sends is a
record (every line a record line, the state first, then heartbeats naming
the server and counting viewers; `lookout replay` plays a captured stream
to the same incidents); a viewer shows the server's incidents and copilot
answer and never calls an LLM itself, though configured to; "ask again"
is a POST (405 to GET) that costs the LLM one request; a client that never
reads is cut with a reason while a reading one is not, and the server's RSS
stays bounded. Prints "N passed, N failed, N skipped" last."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import (FIXTURES, check, env_for, finish, read_port_file, start_server,  # noqa: E402
                     wait_for)
from testkit import LOOKOUT  # noqa: E402
from testkit import run_lookout as run  # noqa: E402

TOKEN = "share-test-token-0123456789"
KEY = "sk-proj-E2Etestkey0123456789abcdefghijklmnopqrstuvwxyzABCD"


def http(url, token=None, method="GET", timeout=5):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(65536)
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def capture(port, seconds):
    """The stream's bytes for a while, read as a viewer reads them."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(("GET /v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
               % TOKEN).encode())
    data, end = b"", time.time() + seconds
    while time.time() < end:
        s.settimeout(max(0.05, end - time.time()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def dechunk(data):
    """The body of a chunked response (the last chunk may be cut)."""
    body = data.split(b"\r\n\r\n", 1)[1]
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        n = int(size_line, 16)
        if n == 0 or len(rest) < n:
            out += rest[:n]
            break
        out += rest[:n]
        body = rest[n + 2:]
    return out


def rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def llm_paths(log):
    if not os.path.exists(log):
        return []
    return [json.loads(x).get("path", "") for x in open(log) if x.strip()]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "llm.jsonl")
        llm, lport = start_server("fake_llm.py", "--port", "0", "--log", log,
                                  "--fixtures", os.path.join(FIXTURES, "llm"))
        tok = os.path.join(tmp, "token")
        with open(tok, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(tok, 0o600)
        bad = os.path.join(tmp, "bad")
        with open(bad, "w") as f:
            f.write("not-the-token\n")
        os.chmod(bad, 0o600)
        os.makedirs(os.path.join(tmp, "cfg", "lookout"))
        with open(os.path.join(tmp, "cfg", "lookout", "config.yaml"), "w") as f:
            f.write("copilot:\n  backend: openai\n")
        env = env_for(tmp, OPENAI_BASE_URL="http://127.0.0.1:%d/answer/v1" % lport,
                      OPENAI_API_KEY=KEY)
        # a viewer configured for an LLM of its own, on a path the server never uses
        venv = env_for(tmp, OPENAI_BASE_URL="http://127.0.0.1:%d/viewer/v1" % lport,
                       OPENAI_API_KEY=KEY)
        try:
            p = run(["serve", "--share", "--listen", "0.0.0.0:0"], env, timeout=30)
            check("share_without_token_off_loopback_refused",
                  p.returncode == 2 and "needs a token" in p.stderr, p.stderr[-300:])
            serve_and_check(tmp, env, venv, tok, bad, log)
            check_no_cluster(tmp, venv)
        finally:
            llm.terminate()
            llm.wait()
    return finish()


def serve_and_check(tmp, env, venv, tok, bad, log):
    pf, errf = os.path.join(tmp, "port"), open(os.path.join(tmp, "serve.err"), "w+")
    srv = subprocess.Popen([LOOKOUT, "serve", "--share", "--name", "warroom", "--listen",
                            "127.0.0.1:0", "--port-file", pf, "--token-file", tok,
                            "--share-lag", "64", "--demo", "--no-kernel", "--demo-time", "60"],
                           env=env, stdout=subprocess.DEVNULL, stderr=errf)
    try:
        port = read_port_file(pf, srv)
        check("serve_share_listens", bool(port))
        if not port:
            return
        base = "http://127.0.0.1:%d" % port
        server_asked = wait_for(lambda: llm_paths(log), 15)
        check("server_asked_its_llm", server_asked and all("/answer/" in x for x in server_asked),
              repr(server_asked))
        check_auth(base, venv, bad)
        served = check_stream(tmp, port, env)
        check_viewer(base, venv, tok, log, served)
        check_ask(base, log)
        check_slow_viewer(port, srv, errf)
    finally:
        srv.terminate()
        srv.wait(timeout=20)
        errf.close()


def check_auth(base, venv, bad):
    st, _ = http(base + "/v1/stream", timeout=3)
    check("stream_without_token_401", st == 401, st)
    st, _ = http(base + "/v1/stream", token="wrong", timeout=3)
    check("stream_wrong_token_401", st == 401, st)
    p = run(["--attach", base, "--token-file", bad, "--once", "--json", "--timeout", "3"], venv,
            timeout=30)
    row = {}
    try:
        row = next((s for s in json.loads(p.stdout)["sources"] if s["name"] == "attach"), {})
    except (ValueError, KeyError):
        pass
    check("viewer_says_wrong_token", p.returncode == 1 and "401" in row.get("error", "") and
          "token" in row.get("error", ""), "rc %d row %r %s" % (p.returncode, row, p.stderr[-300:]))
    try:
        summ = json.loads(p.stdout).get("summary") or {}
    except ValueError:
        summ = {}
    check("viewer_never_attached_counts_unknown", summ.get("cluster") == "unknown" and
          summ.get("pods_failing") is None, summ)


def check_no_cluster(tmp, venv):
    """A server with no cluster: its viewer has no counts to show (null,
    cluster none), not 0 nodes and 0 pods failing."""
    cfg, pf = os.path.join(tmp, "nocluster.yaml"), os.path.join(tmp, "port-nocluster")
    open(cfg, "w").close()
    env = {k: v for k, v in venv.items() if k not in ("LOOKOUT_SERVE_TOKEN", "KUBECONFIG")}
    srv = subprocess.Popen([LOOKOUT, "serve", "--share", "--listen", "127.0.0.1:0", "--port-file", pf,
                            "--config", cfg, "--no-kernel"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        port = read_port_file(pf, srv)
        p = run(["--attach", "http://127.0.0.1:%d" % port, "--once", "--json", "--config", cfg,
                 "--timeout", "5"], env, timeout=30)
        try:
            summ = json.loads(p.stdout).get("summary") or {}
        except ValueError:
            summ = {}
        check("viewer_of_a_server_without_cluster_has_no_counts",
              p.returncode == 0 and summ.get("cluster") == "none" and summ.get("pods_failing") is None,
              "rc %d %r %s" % (p.returncode, summ, p.stderr[-300:]))
    finally:
        srv.terminate()
        srv.wait()


def check_stream(tmp, port, env):
    lines = dechunk(capture(port, 2.5)).decode().splitlines()
    parsed = []
    try:
        parsed = [json.loads(x) for x in lines]
    except ValueError as e:
        check("stream_lines_are_json", False, str(e))
    ops = [j.get("op") for j in parsed]
    check("stream_is_record_lines", parsed and all(
        isinstance(j.get("t"), (int, float)) and j.get("op") in ("upsert", "remove", "append", "tick")
        and (j["op"] == "tick" or "table" in j) for j in parsed), repr(ops[:20]))
    check("state_before_heartbeat", ops and ops[0] == "upsert" and "tick" in ops,
          repr(ops[:5]))
    ticks = [j["share"] for j in parsed if j.get("op") == "tick"]
    check("heartbeat_names_server_and_counts", ticks and all(
        t.get("name") == "warroom" and t.get("viewers", 0) >= 1 for t in ticks), repr(ticks[:3]))
    inc = {j["obj"]["id"] for j in parsed if j.get("table") == "incidents" and j.get("op") == "upsert"}
    path = os.path.join(tmp, "captured.jsonl")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    p = run(["replay", path, "--once", "--json"], env, timeout=30)
    got = set()
    try:
        got = {i["id"] for i in json.loads(p.stdout)["incidents"]}
    except (ValueError, KeyError):
        pass
    check("replay_plays_captured_stream", p.returncode == 0 and got and got == inc and
          "skipped" not in p.stderr, "%r vs %r: %s" % (got, inc, p.stderr[-300:]))
    return {j["obj"]["name"] for j in parsed if j.get("table") == "sources"}


def check_viewer(base, venv, tok, log, served):
    before = len(llm_paths(log))
    p = run(["--attach", base, "--token-file", tok, "--copilot", "openai", "--run-for", "2",
             "--json"], venv, timeout=30)
    snap = {}
    try:
        snap = json.loads(p.stdout)
    except ValueError:
        pass
    srcs = {s["name"]: s["state"] for s in snap.get("sources", [])}
    check("viewer_attached", p.returncode == 0 and srcs.get("attach") == "synced",
          "%r %s" % (srcs, p.stderr[-300:]))
    check("viewer_has_no_sources_of_its_own", served and set(srcs) == served | {"attach"},
          "%r vs served %r" % (srcs, served))
    summ = snap.get("summary") or {}
    check("viewer_counts_the_served_cluster", summ.get("cluster") == "known" and
          isinstance(summ.get("pods_failing"), int), summ)
    incs = [i["id"] for i in snap.get("incidents", [])]
    answers = [c for c in snap.get("copilot", []) if c.get("text")]
    check("viewer_shows_incident_and_answer", incs and answers, "%r %d" % (incs, len(answers)))
    paths = llm_paths(log)
    check("viewer_never_calls_an_llm", not any("/viewer/" in x for x in paths) and
          len(paths) == before, "%d -> %r" % (before, paths))


def check_ask(base, log):
    st, _ = http(base + "/v1/copilot/ask?kind=incident&key=INC-1", token=TOKEN)
    check("ask_is_post_only", st == 405, st)
    before = len(llm_paths(log))
    st, body = http(base + "/v1/copilot/ask?kind=incident&key=INC-1", token=TOKEN, method="POST")
    check("ask_again_accepted", st == 202 and b"asked" in body, "%s %r" % (st, body[:200]))
    n = wait_for(lambda: len(llm_paths(log)) > before and len(llm_paths(log)), 15)
    time.sleep(0.5)  # a second request would come at once
    check("ask_again_is_one_llm_request", n == before + 1 and len(llm_paths(log)) == before + 1,
          "%d -> %d" % (before, len(llm_paths(log))))
    st, _ = http(base + "/v1/copilot/ask?kind=incident", token=TOKEN, method="POST")
    check("ask_needs_a_key", st == 400, st)
    st, _ = http(base + "/v1/gate?slo=checkout-availability", token=TOKEN, method="POST")
    check("other_routes_stay_get_only", st == 405, st)


def check_slow_viewer(port, srv, errf):
    """A client with a tiny receive buffer that never reads, beside one that reads."""
    rss0 = rss_kib(srv.pid)
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", port))
    slow.sendall(("GET /v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                  % TOKEN).encode())
    reader = capture_async(port)

    def cut():
        errf.seek(0)
        return "cut: more than 64 KiB behind" in errf.read()
    got = wait_for(cut, 10, step=0.2)
    peak = rss_kib(srv.pid)
    check("slow_viewer_cut", got, open(errf.name).read()[-500:])
    check("server_rss_bounded", peak - rss0 < 24 * 1024, "%d KiB -> %d KiB" % (rss0, peak))
    data = reader.finish()
    check("reading_viewer_not_cut", b'"cut"' not in data and data.count(b'"op":"tick"') >= 2,
          "%d bytes" % len(data))
    slow.close()


class capture_async:
    """A reading viewer in a thread, while the slow one lags."""

    def __init__(self, port):
        import threading
        self.data = b""
        self.t = threading.Thread(target=self.run, args=(port,))
        self.stop = False
        self.t.start()

    def run(self, port):
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
        s.sendall(("GET /v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                   % TOKEN).encode())
        while not self.stop:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            self.data += chunk
        s.close()

    def finish(self):
        self.stop = True
        self.t.join(5)
        return self.data


if __name__ == "__main__":
    sys.exit(main())
