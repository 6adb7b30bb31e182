#!/usr/bin/env python3
"""The agents bench's machinery (tests/bench/bench_agents.py), small: three
`lookout agent --demo-rate 50` processes on 127.77.0.1-3 found through the
fake API server, one headless console for a few seconds. The table prints,
every agent synced, the figures are sane numbers: about 150 events/s
delivered (3 x 50, every event up to three agents), the console counted
them, lag p50 <= p99 and under a few seconds, no drops, CPU and RSS read."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import ROOT, check, finish, lookout_or_release, skip  # noqa: E402


def main():
    try:
        import socket
        s = socket.socket()
        s.bind(("127.77.0.3", 0))
        s.close()
    except OSError:
        skip("bench_agents machinery", "cannot bind 127.77.0.3 (no loopback /8 here)")
        return finish()
    tmp = tempfile.mkdtemp(prefix="lookout-t-bench-agents-")
    out = os.path.join(tmp, "results.jsonl")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "bench", "bench_agents.py"),
                        "--bin", lookout_or_release(), "--scenarios", "3", "--warm", "4",
                        "--window", "4", "--json", out],
                       capture_output=True, text=True, timeout=90)
    check("the bench runs", p.returncode == 0, p.stderr[-1500:])
    check("the table prints with the targets", "lag p99 ms" in p.stdout and "N=3 all" in p.stdout
          and "targets, N=200 warn+" in p.stdout, p.stdout[-1500:])
    try:
        r = json.loads(open(out).readline())
    except (OSError, ValueError):
        r = {}
    check("three agents synced and answered", r.get("synced") == 3 and r.get("answered") == 3, r)
    rate = r.get("delivered_per_s") or 0
    check("about 3 x 50 events/s delivered", 100 <= rate <= 200, r)
    check("the console counted what it received (backlogs included)",
          (r.get("received") or 0) >= rate * 4 * 0.8, r)
    p50, p99 = r.get("lag_p50_ms"), r.get("lag_p99_ms")
    check("lag p50 <= p99, both measured, under 5 s",
          p50 is not None and p99 is not None and 0 <= p50 <= p99 < 5000 and r.get("agents_with_lag") == 3, r)
    check("no drops on either side", r.get("agent_drops") == 0 and r.get("console_lost") == 0, r)
    check("console CPU and RSS read", r.get("cpu_pct", -1) >= 0 and 5 < r.get("rss_peak_mb", 0) < 200, r)
    os.unlink(out)
    os.rmdir(tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
