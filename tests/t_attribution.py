#!/usr/bin/env python3
"""Pod attribution of real kernel events (root only): a synthetic kubepods
hierarchy is created under the cgroup2 mount (/sys/fs/cgroup, or
/sys/fs/cgroup/unified on hybrid hosts) while `lookout agent` runs; a child
moves itself into the container cgroup and execs a marker. The event must
carry the container id and pod UID parsed from the cgroup names (systemd
driver and cgroupfs driver), and a marker exec'd on the host must not."""
import json, os, shutil, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from agent_stream import cgroup2_root  # noqa: E402
from testkit import LOOKOUT, check, failures, finish, read_port_file, skip  # noqa: E402

CID1 = "4f9a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd"
CID2 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
UID1 = "8d2f6c1e-3b4a-4c5d-9e8f-0a1b2c3d4e5f"
UID2 = "11112222-3333-4444-5555-666677778888"


def main():
    root = cgroup2_root()
    if os.geteuid() != 0 or not root:
        skip("attribution", "needs root and a cgroup2 mount")
        return finish()
    tmp = tempfile.mkdtemp(prefix="lookout-t-attr-")
    with open(os.path.join(tmp, "empty.yaml"), "w") as f:
        f.write("general: {}\n")
    port_file = os.path.join(tmp, "port")
    log = open(os.path.join(tmp, "agent.log"), "w")
    agent = subprocess.Popen([LOOKOUT, "agent", "--listen", "127.0.0.1:0", "--node", "attr",
                              "--port-file", port_file, "--config", os.path.join(tmp, "empty.yaml")],
                             stdout=log, stderr=subprocess.STDOUT)
    port = read_port_file(port_file, agent)
    if not port:
        print(open(os.path.join(tmp, "agent.log")).read()[-2000:])
        print("0 passed, 1 failed")
        return 1

    # the stream first (its backlog ends with an empty line), then the cgroups
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
    buf = b""

    top = os.path.join(root, "lookout-t-%d.slice" % os.getpid())
    systemd_ctr = os.path.join(top, "kubepods-burstable-pod%s.slice" % UID1.replace("-", "_"),
                               "cri-containerd-%s.scope" % CID1)
    cgroupfs_ctr = os.path.join(top, "kubepods", "besteffort", "pod" + UID2, CID2)
    os.makedirs(systemd_ctr)
    os.makedirs(cgroupfs_ctr)
    marker = "lookout-attr-%d" % os.getpid()

    def run_in(cg, tag, prog="/bin/true"):
        move = "echo $$ > %s/cgroup.procs && " % cg if cg else ""
        subprocess.run(["/bin/sh", "-c", move + "exec %s %s-%s" % (prog, marker, tag)], check=True)

    found = {}
    want = {"systemd", "cgroupfs", "host", "shell"}
    deadline = time.time() + 20
    next_run = 0
    while want - set(found) and time.time() < deadline:
        if time.time() >= next_run:  # exec events are cheap: repeat until seen
            run_in(systemd_ctr, "systemd")
            run_in(cgroupfs_ctr, "cgroupfs")
            run_in(None, "host")
            run_in(systemd_ctr, "shell", "/bin/sh -c :")
            next_run = time.time() + 1
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
        for line in buf.split(b"\n"):
            if marker.encode() not in line:
                continue
            start = line.find(b"{")
            try:
                ev = json.loads(line[start:])
            except ValueError:
                continue
            args = ev.get("process", {}).get("arguments", "")
            for tag in ("systemd", "cgroupfs", "host", "shell"):
                if args.endswith("%s-%s" % (marker, tag)) and ev.get("kind") == "exec":
                    found.setdefault(tag, ev)
        buf = buf[buf.rfind(b"\n") + 1:]
    s.close()

    def pod_of(ev):
        return ev.get("process", {}).get("pod", {}) if ev else {}

    check("systemd-driver exec seen", "systemd" in found)
    p = pod_of(found.get("systemd"))
    check("systemd: container id", p.get("container", {}).get("id") == CID1, p)
    check("systemd: pod uid", p.get("uid") == UID1, p)
    check("cgroupfs-driver exec seen", "cgroupfs" in found)
    p = pod_of(found.get("cgroupfs"))
    check("cgroupfs: container id", p.get("container", {}).get("id") == CID2, p)
    check("cgroupfs: pod uid", p.get("uid") == UID2, p)
    check("host exec seen", "host" in found)
    check("host exec has no pod", "host" in found and not pod_of(found.get("host")), pod_of(found.get("host")))
    rule = (found.get("systemd") or {}).get("rule", {}).get("name")
    check("no shell rule for /bin/true in a container", rule in (None, ""), rule)

    rule = (found.get("shell") or {}).get("rule", {}).get("name")
    check("shell in the container -> shell_in_container", rule == "shell_in_container", rule)

    agent.terminate()
    try:
        agent.wait(15)
    except subprocess.TimeoutExpired:
        agent.kill()
    log.close()
    for d in (cgroupfs_ctr, os.path.dirname(cgroupfs_ctr), os.path.dirname(os.path.dirname(cgroupfs_ctr)),
              os.path.join(top, "kubepods"), systemd_ctr, os.path.dirname(systemd_ctr), top):
        try:
            os.rmdir(d)
        except OSError as e:
            print("cleanup:", d, e)
    if failures():
        print(open(os.path.join(tmp, "agent.log")).read()[-2000:])
    shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
