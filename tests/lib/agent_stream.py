"""Helpers for tests that run `lookout agent` and read its /events stream
(standard library only)."""
import json, os, signal, socket, subprocess, time

from testkit import read_port_file


def cgroup2_root():
    """Where the cgroup2 hierarchy is mounted (/sys/fs/cgroup, or .../unified on hybrid hosts)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[0] == "cgroup2":
                return left.split()[4]
    return None


class AgentProc:
    """`lookout agent` on 127.0.0.1 (an ephemeral port unless port is given), a scratch
    config; its output goes to <tmp>/<node>.log."""

    def __init__(self, lookout, tmp, node="t", extra=(), port=0):
        cfg = os.path.join(tmp, "agent-empty.yaml")
        with open(cfg, "w") as f:
            f.write("general: {}\n")
        self.node = node
        self.port_file = os.path.join(tmp, node + ".port")
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)  # a restart on the same node must not read the old port
        self.log_path = os.path.join(tmp, node + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([lookout, "agent", "--listen", "127.0.0.1:%d" % port,
                                      "--node", node, "--port-file", self.port_file,
                                      "--config", cfg, *extra],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.port = read_port_file(self.port_file, self.proc)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def tail(self, n=2000):
        try:
            return open(self.log_path).read()[-n:]
        except OSError:
            return ""


class EventStream:
    """GET /events; yields parsed events (chunk-size lines are skipped)."""

    def __init__(self, port, token=None, timeout=15, query="", host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        auth = "Authorization: Bearer %s\r\n" % token if token else ""
        self.sock.sendall(("GET /events%s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (query, auth)).encode())
        self.buf = b""

    def events(self, deadline):
        while time.time() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return
            if not chunk:
                return
            self.buf += chunk
            lines = self.buf.split(b"\n")
            self.buf = lines.pop()
            for line in lines:
                start = line.find(b"{")
                if start < 0:
                    continue
                try:
                    yield json.loads(line[start:])
                except ValueError:
                    continue

    def close(self):
        self.sock.close()
