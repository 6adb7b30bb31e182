#!/usr/bin/env python3
"""A loopback HTTP proxy that injects faults between Lookout and one of its
upstreams (a fake API server, Prometheus, an agent...). Standard library only.

Modes (set_mode, or a line on stdin when run as a script):
  pass        relay requests and responses as they are (streams included)
  refuse      stop listening: connections are refused (ECONNREFUSED)
  reset       relay the response head and a little of the body, then RST
  stall       read the request, answer nothing
  trickle     relay the response one byte per second
  truncate    relay the response head and a little of the body, then close
              (a chunk or a Content-Length body cut short)
  huge        answer 200 with a 100 MB body (JSON-looking, never ending)
  status:N    answer status N (410, 429, 500, 503...) with a JSON error body;
              429 and 503 carry Retry-After: 1
Changing the mode cuts every open connection (a long watch or event stream
sees the outage too) and, from `refuse`, listens again on the same port.

As a script: faultproxy.py --upstream HOST:PORT prints "PORT n" then reads
modes from stdin, one per line.
"""
import argparse
import json
import socket
import struct
import sys
import threading
import time

HUGE_BYTES = 100 * 1024 * 1024
CUT_AFTER = 200  # body bytes relayed before a reset or truncation
MODES = ("pass", "refuse", "reset", "stall", "trickle", "truncate", "huge")


def _read_head(sock):
    """Reads up to the blank line; returns (head bytes, extra bytes) or (None, b"")."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
        if len(data) > 1 << 20:
            return None, b""
    head, _, rest = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def _header(head, name):
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def _bodiless(head):
    """A response head announcing no body (304, 204, Content-Length: 0)."""
    status = head.split(b" ", 2)[1] if head.count(b" ") >= 1 else b""
    return status in (b"204", b"304") or _header(head, b"content-length") == b"0"


def _set_connection_close(head):
    """The head with Connection: close (one request per connection keeps relaying simple)."""
    lines = [l for l in head.split(b"\r\n") if l and not l.lower().startswith(b"connection:")
             and not l.lower().startswith(b"keep-alive:")]
    return b"\r\n".join(lines + [b"Connection: close"]) + b"\r\n\r\n"


class FaultProxy:
    def __init__(self, upstream_host, upstream_port, port=0):
        self.upstream = (upstream_host, upstream_port)
        self.mode = "pass"
        self.lock = threading.Lock()
        self.conns = set()
        self.generation = 0  # bumps on every mode change: old connections end
        self.requests = 0
        self.listener = None
        self.port = port
        self.closed = False
        self._listen()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    # ---- control ----

    def set_mode(self, mode):
        if mode not in MODES and not mode.startswith("status:"):
            raise ValueError("unknown mode " + mode)
        with self.lock:
            old, self.mode = self.mode, mode
            self.generation += 1
            conns = list(self.conns)
        for c in conns:
            self._abort(c, rst=(mode == "reset"))
        if mode == "refuse" and old != "refuse":
            self._unlisten()
        elif mode != "refuse" and old == "refuse":
            self._listen()

    def close(self):
        self.closed = True
        self.set_mode("refuse")

    # ---- listening ----

    def _listen(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for _ in range(100):  # the port of a closed listener may linger a moment
            try:
                s.bind(("127.0.0.1", self.port))
                break
            except OSError:
                time.sleep(0.05)
        s.listen(128)
        self.port = s.getsockname()[1]
        with self.lock:
            self.listener = s

    def _unlisten(self):
        with self.lock:
            s, self.listener = self.listener, None
        if s:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept_loop(self):
        while not self.closed:
            with self.lock:
                s = self.listener
            if s is None:
                time.sleep(0.05)
                continue
            try:
                c, _ = s.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    # ---- one connection ----

    def _abort(self, c, rst=False):
        try:
            if rst:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _current(self, gen):
        with self.lock:
            return self.generation == gen

    def _serve(self, c):
        with self.lock:
            self.conns.add(c)
            mode, gen = self.mode, self.generation
            self.requests += 1
        try:
            self._serve_mode(c, mode, gen)
        except OSError:
            pass
        finally:
            with self.lock:
                self.conns.discard(c)
            try:
                c.close()
            except OSError:
                pass

    def _serve_mode(self, c, mode, gen):
        head, rest = _read_head(c)
        if head is None:
            return
        n = int(_header(head, b"content-length") or 0)
        while len(rest) < n:
            chunk = c.recv(65536)
            if not chunk:
                return
            rest += chunk
        if mode == "stall":
            while self._current(gen):
                time.sleep(0.1)
            return
        if mode.startswith("status:"):
            return self._answer_status(c, int(mode[7:]))
        if mode == "huge":
            return self._answer_huge(c, gen)
        u = socket.create_connection(self.upstream, timeout=30)
        u.settimeout(None)
        try:
            u.sendall(_set_connection_close(head) + rest)
            self._relay(c, u, mode, gen)
        finally:
            u.close()

    def _answer_status(self, c, code):
        msg = "faultproxy: injected HTTP %d" % code
        body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
                           "reason": "Injected", "message": msg, "errorType": "unavailable",
                           "error": {"message": msg, "type": "server_error"}}).encode()
        extra = b"Retry-After: 1\r\n" if code in (429, 503) else b""
        c.sendall(b"HTTP/1.1 %d Injected\r\nContent-Type: application/json\r\n%s"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                  % (code, extra, len(body), body))

    def _answer_huge(self, c, gen):
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n" % HUGE_BYTES)
        block = b'{"items":[' + b'{"a":"' + b"x" * 65000 + b'"},'
        sent = 0
        while sent < HUGE_BYTES and self._current(gen):
            part = block[:HUGE_BYTES - sent]
            c.sendall(part)  # the client closing early ends this with an OSError
            sent += len(part)

    def _relay(self, c, u, mode, gen):
        """Upstream response to the client, as the mode says."""
        head, body = _read_head(u)
        if head is None:
            return
        head = _set_connection_close(head)
        if mode == "trickle":
            for b in head + body:
                if not self._current(gen):
                    return
                c.sendall(bytes([b]))
                time.sleep(1.0)
            while self._current(gen):
                b = u.recv(1)
                if not b:
                    return
                c.sendall(b)
                time.sleep(1.0)
            return
        if mode in ("reset", "truncate") and _bodiless(head):
            # nothing to cut but the head, and curl takes a cut 304 head as
            # complete: relay none of it (an empty reply)
            self._abort(c, rst=(mode == "reset"))
            return
        c.sendall(head)
        sent, limit = 0, None
        u.settimeout(0.2)
        while self._current(gen):
            if body:
                if mode in ("reset", "truncate"):
                    if limit is None:  # a short body is cut in its middle
                        limit = CUT_AFTER if len(body) >= CUT_AFTER else max(1, len(body) // 2)
                    if sent + len(body) >= limit:
                        c.sendall(body[:limit - sent])
                        self._abort(c, rst=(mode == "reset"))
                        return
                c.sendall(body)
                sent += len(body)
            try:
                body = u.recv(65536)
            except socket.timeout:
                body = b""
                continue
            if not body:
                if mode in ("reset", "truncate"):
                    self._abort(c, rst=(mode == "reset"))
                return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True, help="HOST:PORT")
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    host, _, port = a.upstream.rpartition(":")
    p = FaultProxy(host, int(port), a.port)
    print("PORT %d" % p.port, flush=True)
    for line in sys.stdin:
        line = line.strip()
        if line:
            try:
                p.set_mode(line)
                print("MODE %s" % line, flush=True)
            except ValueError as e:
                print("ERROR %s" % e, flush=True)
    p.close()


if __name__ == "__main__":
    main()
