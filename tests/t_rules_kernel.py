#!/usr/bin/env python3
"""Default rules on real kernel events (root only), through `lookout agent`:
each trigger fires its rule and each near miss does not.
  sensitive_file_read      head /etc/shadow           | near miss: head /etc/passwd
  write_below_etc          write /etc/security/<tmp>  | near miss: read /etc/security/limits.conf
  privilege_escalation_uid0 setuid(0) with ruid 1000  | near miss: setuid(0) by root
  unusual_outbound_port    pod connect to host:4444   | near miss: pod connect to host:443
  oom_kill                 a 32 MiB memory cgroup OOM (skipped without the v1 memory controller)
(shell_in_container is checked by t_attribution.py.)"""
import os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from agent_stream import AgentProc, EventStream, cgroup2_root  # noqa: E402
from testkit import LOOKOUT, check, failures, finish, skip  # noqa: E402


def host_ip():
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return next((a for a in out if "." in a and not a.startswith("127.")), None)


def main():
    if os.geteuid() != 0:
        skip("rules_kernel", "needs root for kernel events")
        return finish()
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        skip("rules_kernel", "this kernel has no BTF")
        return finish()
    tmp = tempfile.mkdtemp(prefix="lookout-t-rules-")
    agent = AgentProc(LOOKOUT, tmp, "rules")
    if not agent.port:
        print(agent.tail())
        print("0 passed, 1 failed")
        return 1
    stream = EventStream(agent.port)
    tag = "lkt%d" % os.getpid()
    # A tagged copy of each tool: comm tells our events apart from the host's.
    tools = {}
    for name, src in (("head", "/usr/bin/head"), ("py", sys.executable)):
        dst = os.path.join(tmp, (name + tag)[:15])
        shutil.copy(src, dst)
        tools[name] = dst
    comm_head = os.path.basename(tools["head"])[:15]
    comm_py = os.path.basename(tools["py"])[:15]

    root = cgroup2_root()
    pod_cg = None
    if root:
        pod_cg = os.path.join(root, "lookout-t-rules-%d.slice" % os.getpid(),
                              "kubepods-pod11112222_3333_4444_5555_66667777abcd.slice",
                              "cri-containerd-" + "ab" * 32 + ".scope")
        os.makedirs(pod_cg)
    ip = host_ip()
    etc_file = "/etc/security/lookout-test-%d" % os.getpid()

    mem_cg = "/sys/fs/cgroup/memory/lookout-t-oom-%d" % os.getpid()
    have_memcg = os.path.isdir("/sys/fs/cgroup/memory")

    def triggers():
        subprocess.run([tools["head"], "-c1", "/etc/shadow"], stdout=subprocess.DEVNULL)
        subprocess.run([tools["head"], "-c1", "/etc/passwd"], stdout=subprocess.DEVNULL)
        subprocess.run([tools["py"], "-c", "import os; open(%r, 'w').write('# lookout test\\n'); "
                        "os.unlink(%r)" % (etc_file, etc_file)])
        subprocess.run([tools["head"], "-c1", "/etc/security/limits.conf"], stdout=subprocess.DEVNULL)
        subprocess.run([tools["py"], "-c", "import os; os.setreuid(1000, 0); os.setuid(0)"])
        subprocess.run([tools["py"], "-c", "import os; os.setuid(0)"])
        if pod_cg and ip:
            code = ("import os, socket\n"
                    "open('%s/cgroup.procs','w').write(str(os.getpid()))\n"
                    "for port in (4444, 443):\n"
                    "    s = socket.socket(); s.settimeout(1)\n"
                    "    try: s.connect(('%s', port))\n"
                    "    except OSError: pass\n"
                    "    s.close()\n") % (pod_cg, ip)
            subprocess.run([tools["py"], "-c", code])

    seen = []
    deadline = time.time() + 25
    fired = lambda: {(e.get("kind"), (e.get("rule") or {}).get("name")) for e in seen}
    next_run = 0
    oom_done = False
    while time.time() < deadline:
        if time.time() >= next_run:
            triggers()
            if have_memcg and not oom_done:
                oom_done = True
                os.makedirs(mem_cg, exist_ok=True)
                open(os.path.join(mem_cg, "memory.limit_in_bytes"), "w").write("33554432")
                code = ("import os\nopen('%s/cgroup.procs','w').write(str(os.getpid()))\n"
                        "x = [bytearray(1 << 20) for _ in range(512)]\n") % mem_cg
                subprocess.run([tools["py"], "-c", code], stderr=subprocess.DEVNULL)
            next_run = time.time() + 2
        for ev in stream.events(min(deadline, time.time() + 0.5)):
            comm = ev.get("process", {}).get("comm", "")
            if comm in (comm_head, comm_py) or ev.get("kind") == "oom":
                seen.append(ev)
        want = {("open", "sensitive_file_read"), ("open", "write_below_etc"),
                ("priv", "privilege_escalation_uid0")}
        if pod_cg and ip:
            want.add(("connect", "unusual_outbound_port"))
        if have_memcg:
            want.add(("oom", "oom_kill"))
        if want <= fired():
            break
    stream.close()

    def events(kind, pred):
        return [e for e in seen if e.get("kind") == kind and pred(e)]

    def rule(e):
        return (e.get("rule") or {}).get("name")

    path = lambda e: (e.get("file") or {}).get("path", "")
    ev = events("open", lambda e: path(e) == "/etc/shadow")
    check("head /etc/shadow -> sensitive_file_read", ev and rule(ev[0]) == "sensitive_file_read",
          ev[:1])
    ev = events("open", lambda e: path(e) == "/etc/passwd")
    check("head /etc/passwd seen, no rule", ev and all(not rule(e) for e in ev), ev[:1])
    ev = events("open", lambda e: path(e) == etc_file)
    check("write below /etc -> write_below_etc", ev and rule(ev[0]) == "write_below_etc", ev[:1])
    ev = events("open", lambda e: path(e) == "/etc/security/limits.conf")
    check("read below /etc seen, no rule", ev and all(not rule(e) for e in ev), ev[:1])
    priv = events("priv", lambda e: (e.get("syscall") or {}).get("name") == "setuid")
    esc = [e for e in priv if e["process"].get("uid") == 1000]
    root_ = [e for e in priv if e["process"].get("uid") == 0]
    check("setuid(0) from ruid 1000 -> privilege_escalation_uid0",
          esc and rule(esc[0]) == "privilege_escalation_uid0", priv[:2])
    check("setuid(0) by root: no rule", root_ and all(not rule(e) for e in root_), root_[:1])
    if pod_cg and ip:
        conns = events("connect", lambda e: not (e.get("sock") or {}).get("daddr", "").startswith("127."))
        c4444 = [e for e in conns if e["sock"].get("dport") == 4444]
        c443 = [e for e in conns if e["sock"].get("dport") == 443]
        check("pod -> :4444 -> unusual_outbound_port",
              c4444 and rule(c4444[0]) == "unusual_outbound_port", conns[:2])
        check("pod -> :443 no rule", c443 and all(not rule(e) for e in c443), c443[:1])
    else:
        skip("connect rule", "no cgroup2 mount or no non-loopback address")
    if have_memcg:
        ooms = events("oom", lambda e: True)
        check("OOM kill -> oom_kill", ooms and rule(ooms[0]) == "oom_kill", ooms[:1])
        try:
            os.rmdir(mem_cg)
        except OSError as e:
            print("cleanup:", e)
    else:
        skip("OOM kill rule", "no cgroup v1 memory controller here")

    agent.stop()
    if pod_cg:
        for d in (pod_cg, os.path.dirname(pod_cg), os.path.dirname(os.path.dirname(pod_cg))):
            try:
                os.rmdir(d)
            except OSError as e:
                print("cleanup:", e)
    if failures():
        print(agent.tail())
    shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
