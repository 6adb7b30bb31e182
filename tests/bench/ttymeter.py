#!/usr/bin/env python3
"""Runs commands on fresh ptys side by side and measures what a terminal sees.

For each command: bytes written to the pty (total, steady bytes/s after the
warm-up), CPU % of one core (utime+stime from /proc/PID/stat, steady part
only and including start-up), peak RSS (VmHWM), time to the first byte and
to the first complete frame (the first moment output pauses for 50 ms)
and the CPU time used by then, RSS at the end. Standard library only.

usage: ttymeter.py --cols C --rows R --seconds S [--until-first-frame]
                   --label L -- CMD ... [--label L2 -- CMD2 ...]
--until-first-frame ends the run as soon as every command drew its first
frame (at most S seconds): start-up time alone, without the steady part.
Prints one JSON object per command.
"""
import argparse
import fcntl
import json
import os
import pty
import select
import signal
import struct
import sys
import tempfile
import termios
import time

WARMUP = 2.0
TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except OSError:
        return None


def cpu_ns(pid):
    """Time on a CPU so far (ns, /proc/PID/schedstat): unlike the wall
    clock it does not grow while the machine is busy with others."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def vm_status(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def vm_hwm(pid):
    return vm_status(pid, "VmHWM")


class Run:
    def __init__(self, label, argv, cols, rows, home):
        self.label, self.argv = label, argv
        env = {k: v for k, v in os.environ.items()
               if k not in ("COLORTERM", "NO_COLOR", "TMUX", "LINES", "COLUMNS")}
        env.update(TERM="xterm-256color", HOME=home)
        env.setdefault("LANG", "C.UTF-8")
        self.start = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            try:
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.pid, self.fd = pid, fd
        self.total = 0
        self.steady = 0
        self.first_byte = None
        self.first_frame = None
        self.last_byte = None
        self.cpu_last_byte = None
        self.cpu_first_frame = None
        self.cpu_at_warmup = None
        self.hwm = 0
        self.open = True

    def read(self, now):
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            self.open = False
            return
        if self.first_byte is None:
            self.first_byte = now - self.start
        self.total += len(data)
        if now - self.start >= WARMUP:
            self.steady += len(data)
        self.last_byte = now
        self.cpu_last_byte = cpu_ns(self.pid)
        # Answer a cursor position query so programs that ask do not wait.
        if b"\x1b[6n" in data:
            os.write(self.fd, b"\x1b[1;1R")

    def tick(self, now):
        if self.first_frame is None and self.last_byte and now - self.last_byte >= 0.05:
            self.first_frame = self.last_byte - self.start
            self.cpu_first_frame = self.cpu_last_byte
        if self.cpu_at_warmup is None and now - self.start >= WARMUP:
            self.cpu_at_warmup = cpu_ticks(self.pid)
        h = vm_hwm(self.pid)
        if h and h > self.hwm:
            self.hwm = h

    def finish(self, seconds):
        end_ticks = cpu_ticks(self.pid)
        self.tick(time.monotonic())
        rss_end = vm_status(self.pid, "VmRSS")
        os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            p, _ = os.waitpid(self.pid, os.WNOHANG)
            if p:
                break
            try:
                os.read(self.fd, 65536)
            except OSError:
                pass
            time.sleep(0.02)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)
        steady_s = seconds - WARMUP
        steady_cpu = None
        if end_ticks is not None and self.cpu_at_warmup is not None and steady_s > 0:
            steady_cpu = 100.0 * (end_ticks - self.cpu_at_warmup) / TICK / steady_s
        return {
            "label": self.label,
            "cpu_pct_steady": round(steady_cpu, 3) if steady_cpu is not None else None,
            "cpu_pct_total": round(100.0 * (end_ticks or 0) / TICK / seconds, 3),
            "bytes_total": self.total,
            "bytes_per_s_steady": round(self.steady / steady_s, 1) if steady_s > 0 else None,
            "peak_rss_kb": self.hwm,
            "rss_end_kb": rss_end,
            "first_byte_ms": round(1000 * self.first_byte, 1) if self.first_byte else None,
            "first_frame_ms": round(1000 * self.first_frame, 1) if self.first_frame else None,
            "first_frame_cpu_ms": round(self.cpu_first_frame / 1e6, 1)
            if self.cpu_first_frame else None,
        }


def main():
    args = sys.argv[1:]
    if "--" not in args:
        print(__doc__, file=sys.stderr)
        return 2
    head = args[: args.index("--label")] if "--label" in args else []
    p = argparse.ArgumentParser()
    p.add_argument("--cols", type=int, default=200)
    p.add_argument("--rows", type=int, default=50)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--until-first-frame", action="store_true")
    opts = p.parse_args(head)
    # --label L -- CMD ... repeated
    cmds, rest = [], args[len(head):]
    while rest:
        if rest[0] != "--label" or len(rest) < 3 or rest[2] != "--":
            print("expected --label L -- CMD ...", file=sys.stderr)
            return 2
        label, rest = rest[1], rest[3:]
        n = rest.index("--label") if "--label" in rest else len(rest)
        cmds.append((label, rest[:n]))
        rest = rest[n:]
    homes = [tempfile.mkdtemp(prefix="ttymeter-") for _ in cmds]
    runs = [Run(label, argv, opts.cols, opts.rows, home) for (label, argv), home in zip(cmds, homes)]
    t0 = time.monotonic()
    while time.monotonic() - t0 < opts.seconds:
        fds = [r.fd for r in runs if r.open]
        ready, _, _ = select.select(fds, [], [], 0.05)
        now = time.monotonic()
        for r in runs:
            if r.fd in ready:
                r.read(now)
            r.tick(now)
        if opts.until_first_frame and all(r.first_frame is not None for r in runs):
            break
    seconds = time.monotonic() - t0
    for r in runs:
        print(json.dumps(r.finish(seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
