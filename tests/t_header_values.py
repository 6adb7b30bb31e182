#!/usr/bin/env python3
"""Header values are data: a tenant, token or API key holding CR or LF is a
config error (exit 2, the value's name in the message) before any request
is built, so it can never add a header of its own. No server is needed:
the refusal comes first. Prints "N passed, N failed" last."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import LOOKOUT, check, finish, isolated_env  # noqa: E402

SPEC = ("slos:\n  - name: x-a\n    service: x\n    objective: 99.9\n    sli:\n"
        "      prometheus:\n        error_query: sum(rate(e[{{.window}}]))\n"
        "        total_query: sum(rate(t[{{.window}}]))\n")
ONE_LINE = "must be one line"


def run(args, **env):
    return subprocess.run([LOOKOUT] + args, env=isolated_env(**env), capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def refused(name, p, what):
    check(name, p.returncode == 2 and what in p.stderr and ONE_LINE in p.stderr
          and "X: y" not in p.stderr, "rc %d: %s" % (p.returncode, p.stderr[-400:]))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, "spec.yaml")
        with open(spec, "w") as f:
            f.write(SPEC)
        prom = ["--prometheus", "http://127.0.0.1:9", "--config", spec]
        refused("gate --tenant CRLF exits 2",
                run(["gate", "--tenant", "a\r\nX: y", "--slo", "x-a"] + prom), "--tenant")
        refused("slo status --tenant LF exits 2",
                run(["slo", "status", "--tenant", "a\nX: y"] + prom), "--tenant")
        cfg = os.path.join(tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write('prometheus:\n  url: http://127.0.0.1:9\n  tenant: "a\\r\\nX: y"\n' + SPEC)
        p = run(["gate", "--config", cfg, "--slo", "x-a"])
        refused("prometheus.tenant CRLF in the config exits 2", p, "prometheus.tenant")
        check("the config error names file and line", "c.yaml:3" in p.stderr, p.stderr[-300:])
        refused("LOOKOUT_PROMETHEUS_TOKEN with LF exits 2",
                run(["gate", "--slo", "x-a"] + prom, LOOKOUT_PROMETHEUS_TOKEN="tok\nX: y"),
                "LOOKOUT_PROMETHEUS_TOKEN")
        refused("OPENAI_API_KEY with CRLF exits 2",
                run(["--once", "--json", "--demo", "--copilot", "openai"],
                    OPENAI_API_KEY="sk-abc\r\nX: y"), "API key")
        p = run(["gate", "--tenant", "team-a", "--slo", "x-a"] + prom)
        check("a one-line tenant is accepted (no answer: unknown, 3)", p.returncode == 3,
              "rc %d: %s" % (p.returncode, p.stderr[-300:]))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
