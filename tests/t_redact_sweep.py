#!/usr/bin/env python3
"""Redaction at the door, end to end with the real binary: a demo --record
is seeded with every secret type at cut positions of every fixed field
(timeline text 159, evidence 255, event message 255, kernel args 127, path
255, labels 255), then `lookout postmortem --copilot openai` runs against the
loopback LLM server (tests/servers/fake_llm.py, which logs every request)
with the full-text audit on, and `lookout replay --once --json --record`
re-records it. A proxy's 401 echoing each self-identifying key type (a
prefix or a JWT) after 200 bytes covers the error path. No 7-byte run of any secret may reach the server, the audit
log, the record, the snapshot, stdout or the Markdown. The C sweep
(test_redact_sweep) covers every cut position; this covers the wiring.
Prints "N passed, N failed" last."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import FIXTURES, check, env_for, finish, start_server  # noqa: E402
from testkit import run_lookout as run  # noqa: E402

# (type, context, synthetic secret, public prefix length)
SECRETS = [
    ("aws_access_key", "key ", "AKIAQ7RZ2XKDWJ3MF5TB", 4),
    ("aws_secret_key", "aws_secret_access_key=", "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", 0),
    ("github_token", "token ", "ghp_R8fK2mQ9xWv3LzT7nB4cY6hJ1dS5gA0eP2uV", 4),
    ("gitlab_token", "PRIVATE-TOKEN: ", "glpat-Xk3vQ9rT2mW8zL5nB7cY", 6),
    ("slack_token", "slack ", "xoxb-40417738211-4930215674120-Qm3kR8vT2xW9zL5nB7cYpD4f", 5),
    ("openai_key", "OPENAI_API_KEY=", "sk-proj-Zx8Qm2Kv7Rt3Wn9LpT3BlbkFJ4Hc6Ys1Ud5Gf8Jb2Nq0Ve", 8),
    ("google_api_key", "maps ", "AIzaSyB7xQm2Kv9Rt4Wn8Lp3Hc6Ys1Ud5Gf0J-b", 4),
    ("stripe_key", "stripe ", "sk_live_51Hq7Xm2Kv9Rt4Wn8Lp3Hc6Ys", 8),
    ("npm_token", "_authToken=", "npm_Tq7Xm2Kv9Rz4Wn8Lp3Hc6Ys1Ud5Gf0Jb2NxY", 4),
    ("vault_token", "VAULT_TOKEN=", "hvs.CAESIJq7Xm2Kv9Rt4Wn8Lp3Hc6Ys1Ud5Gf0Jb2Nq7Ve4Ba9", 4),
    ("sendgrid_key", "mailer ", "SG.Tq7Xm2Kv9Rz4Wn8Lp3Hc6.Ys1Ud5Gf0Jb2Nq7Ve4Ba9Cd3Ef6Gh1Ij8Kl5Mn2Op7Qr", 3),
    ("jwt", "session ", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJUcTdYbTJLdjlSejQifQ.Wn8Lp3Hc6Ys1Ud5Gf0Jb2Nq7Ve4Ba9Cd3", 0),
    ("bearer_token", "Authorization: Bearer ", "Tq7Xm2Kv9Rz4Wn8Lp3Hc6Ys1Ud5Gf0Jb", 0),
    ("url_password", "redis://:", "Tq7Xm2@Kv9Rz4Wn", 0),
    ("password_flag", "mysql -u root -p", "Tq7Xm2Kv9Rz!4Wn", 0),
    ("generic_secret", "DB_PASSWORD=", "Tq7Xm2Kv9Rz4Wn8L", 0),
]
MARK = "seedmark"


def tail(typ):
    return "@db.internal:5432/app" if typ == "url_password" else " rest"


def seeded(size, k, cut):
    """A text whose cut at size-1 bytes falls `cut` bytes into secret k."""
    typ, before, value, _ = SECRETS[k % len(SECRETS)]
    cut = max(1, min(cut, len(value) - 1))
    head = MARK + " "
    pad = size - 1 - len(before) - cut - len(head)
    return head + ("w" * 7 + " ") * (pad // 8) + " " * (pad % 8) + before + value + tail(typ)


def fragments(value, prefix):
    v = value[prefix:]
    return {v[i:i + 7] for i in range(len(v) - 6)}


ALL_FRAGS = set()
for _, _, v, p in SECRETS:
    ALL_FRAGS |= fragments(v, p)


def leaked(text):
    return sorted(f for f in ALL_FRAGS if f in text)[:5]




def seed_record(src, dst):
    lines = [json.loads(l) for l in open(src)]
    inc = [o for o in lines if o.get("table") == "incidents"][-1]
    pod = [o for o in lines if o.get("table") == "pods"][-1]
    t = inc["t"]
    extra = []
    n = len(SECRETS)
    obj = json.loads(json.dumps(inc["obj"]))
    obj["timeline"] = [{"time": obj["opened"] - 1000 * (32 - i), "kind": "kernel",
                        "text": seeded(160, i, 1 + (i * 5) % 40)} for i in range(32)]
    for i, c in enumerate(obj.get("causes", [])[:6]):
        c["evidence"] = seeded(256, i + 7, 2 + i * 6)
    extra.append({"t": t, "op": "upsert", "table": "incidents", "obj": obj})
    ns = obj["service"] and "shop"
    for k in range(n * 3):
        cut = (1, 9, 17)[k // n]
        extra.append({"t": t, "op": "upsert", "table": "k8s_events", "obj": {
            "key": "shop/seed-%d" % k, "namespace": ns, "type": "Warning", "reason": "Seeded",
            "message": seeded(256, k, cut), "object_kind": "Pod", "object_name": pod["obj"]["name"],
            "count": 1, "first_seen": t, "last_seen": t, "simulated": True}})
        extra.append({"t": t, "op": "append", "table": "kevents", "obj": {
            "seq": 100000 + k, "time": t, "kind": "exec", "severity": "warning", "node": "",
            "pid": 4000 + k, "ppid": 1, "uid": 0, "comm": "sh", "path": seeded(256, k + 3, cut),
            "args": seeded(128, k, cut), "saddr": "", "daddr": "", "sport": 0, "dport": 0,
            "ret": 0, "cgroup_id": 0, "container": "", "pod": "shop/" + pod["obj"]["name"],
            "rule": "", "title": "", "lost": 0, "simulated": True}})
    p = json.loads(json.dumps(pod["obj"]))
    p["labels"] = seeded(256, 5, 11)
    extra.append({"t": t, "op": "upsert", "table": "pods", "obj": p})
    # the seeded rows go in just after the incident's last upsert
    at = lines.index(inc) + 1
    with open(dst, "w") as f:
        for o in lines[:at] + extra + lines[at:]:
            f.write(json.dumps(o) + "\n")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = env_for(tmp)
        rec, seed = os.path.join(tmp, "rec.jsonl"), os.path.join(tmp, "seeded.jsonl")
        p = run(["--once", "--json", "--demo", "--demo-time", "150", "--record", rec], env)
        check("demo_record_written", p.returncode == 0 and os.path.exists(rec), p.stderr[-300:])
        seed_record(rec, seed)
        check("seeded_record_holds_the_secrets", len(leaked(open(seed).read())) == 5)

        # the record read back: snapshot and a new record hold redacted text
        out = os.path.join(tmp, "out.jsonl")
        p = run(["replay", seed, "--speed", "0", "--once", "--json", "--record", out], env)
        check("replay_runs", p.returncode == 0, p.stderr[-300:])
        check("snapshot_redacted", MARK in p.stdout and not leaked(p.stdout), leaked(p.stdout))
        rtext = open(out).read() if os.path.exists(out) else ""
        check("re_record_redacted", MARK in rtext and "<REDACTED:" in rtext and not leaked(rtext),
              leaked(rtext))

        cfgdir = os.path.join(tmp, "cfg", "lookout")
        os.makedirs(cfgdir, exist_ok=True)
        with open(os.path.join(cfgdir, "config.yaml"), "w") as f:
            f.write("copilot:\n  audit_full_text: true\n")
        log = os.path.join(tmp, "requests.jsonl")
        srv, port = start_server("fake_llm.py", "--port", "0", "--log", log,
                                 "--fixtures", os.path.join(FIXTURES, "llm"))
        audit = os.path.join(tmp, "state", "lookout", "copilot-audit.jsonl")
        try:
            base = "http://127.0.0.1:%d" % port
            key = "sk-proj-E2Etestkey0123456789abcdefghijklmnopqrstuvwxyzABCD"
            aenv = env_for(tmp, OPENAI_BASE_URL=base + "/answer/v1", OPENAI_API_KEY=key)
            md = os.path.join(tmp, "pm.md")
            p = run(["postmortem", "--from", seed, "--copilot", "openai", "-o", md], aenv)
            check("postmortem_openai_ok", p.returncode == 0, p.stderr[-300:])
            sent = open(log).read() if os.path.exists(log) else ""
            check("seeded_text_reached_the_server", MARK in sent)
            check("nothing_secret_reached_the_server", sent and not leaked(sent), leaked(sent))
            doc = open(md).read() if os.path.exists(md) else ""
            check("markdown_redacted", MARK in doc and not leaked(doc + p.stdout + p.stderr),
                  leaked(doc + p.stdout + p.stderr))
            atext = open(audit).read() if os.path.exists(audit) else ""
            check("audit_full_text_redacted", MARK in atext and not leaked(atext), leaked(atext))

            # error path: a proxy's 401 echoes each key type after 200 bytes
            bad = []
            for typ, _, value, prefix in SECRETS:
                if not prefix and typ != "jwt":
                    continue  # a bare password names no rule: only key shapes do
                fenv = env_for(tmp, OPENAI_BASE_URL=base + "/e401proxy200/v1",
                               OPENAI_API_KEY=value)
                md2 = os.path.join(tmp, "pm-%s.md" % typ)
                p = run(["postmortem", "--from", seed, "--copilot", "openai", "-o", md2], fenv)
                seen = (open(md2).read() if os.path.exists(md2) else "") + p.stdout + p.stderr
                seen += open(audit).read() if os.path.exists(audit) else ""
                if p.returncode != 1 or leaked(seen):
                    bad.append((typ, p.returncode, leaked(seen)))
            check("proxy_401_echo_redacted_for_every_key_type", not bad, bad)
        finally:
            srv.terminate()
            srv.wait()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
