#!/usr/bin/env python3
"""The demo without host noise, as root with a fork/exec load and writes
below /etc running beside it: `--demo` loads no BPF and shows only simulated
kernel events (its snapshot is byte for byte the one of --no-kernel);
`--demo --host-kernel` adds this host's real events, each `"real": true`, and
a real critical rule hit (write_below_etc) opens no incident and asks no
question. Skipped when not root or the programs cannot load here. Prints
"N passed, N failed, N skipped" last."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import check, env_for, finish, skip  # noqa: E402
from testkit import run_lookout as run  # noqa: E402


def host_load(target):
    """Execs as fast as the shell can, each loop also writing below /etc."""
    script = 'while :; do /bin/true; echo x > "%s"; done' % target
    return subprocess.Popen(["bash", "-c", script], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def snapshot(p):
    try:
        return json.loads(p.stdout)
    except ValueError:
        return {}


def simulated_only(env):
    p = run(["--demo", "--demo-speed", "10", "--run-for", "2", "--json"], env, timeout=60)
    snap = snapshot(p)
    check("demo_runs", p.returncode == 0 and snap, p.stderr[-300:])
    names = [s["name"] for s in snap.get("sources", [])]
    check("demo_has_no_kernel_source", "kernel" not in names, names)
    kev = snap.get("kevents", [])
    check("demo_kernel_events_all_simulated", kev and all(e["simulated"] and not e["real"]
                                                          for e in kev),
          [e for e in kev if not e["simulated"]][:2])
    a = run(["--once", "--json", "--demo", "--demo-time", "150"], env)
    b = run(["--once", "--json", "--demo", "--demo-time", "150", "--no-kernel"], env)
    check("demo_story_same_as_no_kernel", a.returncode == 0 and a.stdout == b.stdout,
          a.stderr[-300:])


def with_host_kernel(env):
    p = run(["--demo", "--host-kernel", "--demo-speed", "10", "--run-for", "4", "--json"], env,
            timeout=60)
    snap = snapshot(p)
    src = next((s for s in snap.get("sources", []) if s["name"] == "kernel"), None)
    if p.returncode != 0 or not src or src["state"] != "synced":
        skip("host_kernel", "the kernel programs do not load here: %s"
             % (src["error"] if src else p.stderr[-200:]))
        return
    kev = snap.get("kevents", [])
    real = [e for e in kev if not e["simulated"]]
    check("host_kernel_real_events_marked", real and all(e["real"] for e in real),
          [e for e in real if not e["real"]][:2])
    check("host_kernel_simulated_not_marked_real",
          all(not e["real"] for e in kev if e["simulated"]))
    hits = [e for e in real if e["rule"] == "write_below_etc"]
    check("host_kernel_real_critical_hit_seen", hits, len(real))
    incs = json.dumps(snap.get("incidents", []))
    check("host_kernel_hit_in_no_incident", "write_below_etc" not in incs, incs[:300])
    check("host_kernel_hit_asks_no_question",
          not any(a["incident"].startswith("ask:") for a in snap.get("copilot", [])),
          snap.get("copilot", [])[:1])


def main():
    if os.geteuid() != 0:
        skip("demo_kernel", "needs root to show that no BPF is loaded")
        return finish()
    with tempfile.TemporaryDirectory() as tmp:
        env = env_for(tmp)
        target = "/etc/security/lookout-test-write-%d" % os.getpid()  # a watched folder
        load = host_load(target)
        try:
            simulated_only(env)
            with_host_kernel(env)
        finally:
            load.kill()
            load.wait()
            if os.path.exists(target):
                os.unlink(target)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
