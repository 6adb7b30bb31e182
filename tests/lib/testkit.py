"""What the Python end-to-end tests share (standard library only): where the
binaries and fixtures are, the pass/fail/skip tally with its closing
"N passed, N failed, N skipped" line, waiting for a condition, and starting the servers a
test talks to (a fake server script that announces its port, `lookout serve`
or `lookout agent` with a port file, an in-process HTTP handler).

A test puts this folder on sys.path and imports what it uses:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
    from testkit import LOOKOUT, check, finish  # noqa: E402
"""
import json
import os
import select
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# tests/run.sh exports these; the defaults serve a test run by hand from the repo.
ROOT = os.environ.get("LOOKOUT_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOOKOUT = os.environ.get("LOOKOUT") or os.path.join(ROOT, "build", "asan", "lookout")
LOOKOUT_REL = os.environ.get("LOOKOUT_REL") or os.path.join(ROOT, "lookout")
# The recorded payloads live in the repository, beside this folder, so a fresh clone has them.
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
SERVERS = os.path.join(ROOT, "tests", "servers")
DETAIL_MAX = 1000  # a failure's detail is cut here: enough to see why, not a whole log

_tally = {"passed": 0, "failed": 0, "skipped": 0}


def lookout_or_release():
    """The ASan binary when it was built, else the release one."""
    return LOOKOUT if os.access(LOOKOUT, os.X_OK) else LOOKOUT_REL


def env_for(tmp, **extra):
    """An environment for a CLI run under tmp: no LLM keys from the caller's
    shell, HOME and the XDG folders inside tmp, then extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "ANTHROPIC_", "OLLAMA_", "AZURE_OPENAI"))}
    env.update(HOME=tmp, XDG_CONFIG_HOME=os.path.join(tmp, "cfg"),
               XDG_STATE_HOME=os.path.join(tmp, "state"))
    env.update(extra)
    return env


def run_lookout(args, env, timeout=120):
    """Runs the sanitizer-built lookout with args, no stdin, output captured."""
    return subprocess.run([LOOKOUT] + list(args), env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def check(name, cond, detail=""):
    """Counts one named check and prints its outcome."""
    if cond:
        _tally["passed"] += 1
        print("ok   " + name, flush=True)
    else:
        _tally["failed"] += 1
        text = str(detail)[:DETAIL_MAX] if detail != "" else ""
        print("FAIL " + name + (": " + text if text else ""), flush=True)


def skip(name, reason):
    """Counts a check that cannot run on this machine (no root, a missing tool): it is
    neither a pass nor a failure, and the closing line says how many there were."""
    _tally["skipped"] += 1
    print("SKIP %s: %s" % (name, reason), flush=True)


def expect(cond, what):
    """Counts one check; only a failure prints (with what was expected)."""
    if cond:
        _tally["passed"] += 1
    else:
        _tally["failed"] += 1
        print("FAIL:", what, flush=True)


def passes():
    return _tally["passed"]


def failures():
    return _tally["failed"]


def skips():
    return _tally["skipped"]


def finish():
    """Prints the closing line tests/run.sh reads; returns the exit status."""
    print("%d passed, %d failed, %d skipped" % (passes(), failures(), skips()), flush=True)
    return 1 if failures() else 0


def wait_for(pred, timeout, step=0.05):
    """pred()'s first true value within timeout seconds, else its last value."""
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def read_port_file(path, proc, timeout=20):
    """The port a server wrote to path once it listens; None if proc exits or time runs out."""
    end = time.time() + timeout
    while True:
        try:
            return int(open(path).read())
        except (OSError, ValueError):
            if proc.poll() is not None or time.time() >= end:
                return None
            time.sleep(0.05)  # the file appears once the server listens


def isolated_env(**extra):
    """The environment without the user's config (no ~/.config/lookout), plus extra."""
    return dict(os.environ, XDG_CONFIG_HOME="/nonexistent", HOME="/nonexistent", **extra)


def lookout_serve(work, *args, env=None):
    """`lookout serve ARGS` on an ephemeral loopback port (port file in work): (process, port),
    port 0 when it never listened (the process is then gone). Its stderr is kept for stop()."""
    pf = os.path.join(work, "port")
    if os.path.exists(pf):
        os.unlink(pf)
    p = subprocess.Popen([lookout_or_release(), "serve", "--listen", "127.0.0.1:0",
                          "--port-file", pf, *args],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=isolated_env() if env is None else env)
    port = read_port_file(pf, p)
    if not port:
        p.kill()
        p.wait()
    return p, port or 0


def start_server(script, *args, env=None, stderr=None):
    """Runs tests/servers/<script> and returns (process, port) once it said its port on its
    first line: "PORT n" (ci_fake_base, fake_llm) or JSON {"port": n} (fake_apiserver)."""
    p = subprocess.Popen([sys.executable, os.path.join(SERVERS, script), *args],
                         stdout=subprocess.PIPE, stderr=stderr, env=env, text=True)
    line = p.stdout.readline()
    port = json.loads(line)["port"] if line.startswith("{") else int(line.split()[1])
    return p, port


def stop(p, timeout=10):
    """Terminates p (killing it if it lingers); returns (exit status, its stderr)."""
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    err = p.stderr.read() if p.stderr else b""
    return p.returncode, err.decode(errors="replace") if isinstance(err, bytes) else err


class QuietHandler(BaseHTTPRequestHandler):
    """A loopback handler that keeps requests out of the test's output."""

    def log_message(self, *a):
        pass


def serve_in_thread(handler):
    """An in-process HTTP server on an ephemeral loopback port: (server, port)."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1]


def in_cgroup(cg, cmd):
    """Runs the shell command cmd inside the cgroup directory cg (as root)."""
    subprocess.run(["sh", "-c", "echo $$ > %s/cgroup.procs && exec %s" % (cg, cmd)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def remove_cgroups(top, cgs):
    """Removes each cgroup path of cgs, its parent slice, then top (all may be gone)."""
    for cg in cgs:
        for d in (cg, os.path.dirname(cg)):
            try:
                os.rmdir(d)
            except OSError:
                pass
    try:
        os.rmdir(top)
    except OSError:
        pass


class Observing:
    """`lookout observe ARGS` running, its stderr read as it goes: it says
    "watching" once its window opens, "cannot observe" when it cannot."""

    def __init__(self, args, env):
        self.p = subprocess.Popen([lookout_or_release(), "observe", *args], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err = ""

    def wait_watching(self, deadline):
        """True once the window opened; stops early when it cannot observe."""
        while time.time() < deadline and "watching" not in self.err and \
                "cannot observe" not in self.err:
            r, _, _ = select.select([self.p.stderr], [], [], 0.5)
            if r:
                line = self.p.stderr.readline()
                if not line:
                    break
                self.err += line
        return "watching" in self.err

    def communicate(self):
        """Waits for the end; its stdout (stderr joins self.err)."""
        out, err = self.p.communicate(timeout=60)
        self.err += err
        return out
