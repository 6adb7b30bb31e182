#!/usr/bin/env python3
"""Copilot end to end with the real binary: the demo's offline analysis with
no key, the streamed answer from an OpenAI-compatible loopback server
(tests/servers/fake_llm.py) with OPENAI_BASE_URL, `lookout postmortem` from a
--record file (offline, and a failing backend: exit 1, timeline still
written), streams with no answer text (tool calls, /api/generate, blank:
exit 1 with the offline analysis), a hostile answer made inert in the
Markdown, and config errors. Prints "N passed, N failed" last."""
import json
import os
import stat
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testkit import FIXTURES, check, env_for, finish, start_server  # noqa: E402
from testkit import run_lookout as run  # noqa: E402




def demo_answer(out):
    snap = json.loads(out)
    incs = [i for i in snap.get("incidents", []) if i["service"] == "checkout"]
    answers = {a["incident"]: a for a in snap.get("copilot", [])}
    inc = incs[0] if incs else None
    return snap, inc, (answers.get(inc["id"]) if inc else None)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = env_for(tmp)
        # 1. no key, no backend: offline analysis for the demo incident
        p = run(["--once", "--json", "--demo", "--demo-time", "150"], env)
        check("demo_runs", p.returncode == 0, p.stderr[-500:])
        try:
            snap, inc, ans = demo_answer(p.stdout)
        except (ValueError, KeyError) as e:
            snap, inc, ans = {}, None, None
            check("demo_json", False, str(e))
        check("demo_incident_exists", inc is not None)
        check("demo_offline_analysis", ans is not None and ans["backend"] == "offline analysis"
              and ans["state"] == "done", json.dumps(ans)[:300])
        text = ans["text"] if ans else ""
        check("offline_sections", all(s in text for s in
                                      ("## Summary", "## Likely cause", "## Evidence",
                                       "## Next steps", "## Post-mortem draft")))
        # the answer follows the incident to second 150: a rollback of the deploy in either form
        check("offline_suggests_rollback", "rollout undo deployment/checkout" in text
              or "Roll back shop/checkout to the version before 2.4.1" in text, text[:400])

        # 2. OPENAI_BASE_URL at the loopback server: the streamed answer
        log = os.path.join(tmp, "requests.jsonl")
        srv, port = start_server("fake_llm.py", "--port", "0", "--log", log,
                                 "--fixtures", os.path.join(FIXTURES, "llm"))
        try:
            base = "http://127.0.0.1:%d" % port
            key = "sk-proj-E2Etestkey0123456789abcdefghijklmnopqrstuvwxyzABCD"
            oenv = env_for(tmp, OPENAI_BASE_URL=base + "/answer/v1", OPENAI_API_KEY=key)
            p = run(["--once", "--json", "--demo", "--demo-time", "150", "--copilot", "openai"],
                    oenv)
            check("openai_demo_runs", p.returncode == 0, p.stderr[-500:])
            snap, inc, ans = demo_answer(p.stdout)
            check("openai_streamed_answer", ans is not None and ans["backend"] == "openai"
                  and ans["state"] == "done" and not ans["incomplete"], json.dumps(ans)[:300])
            text = ans["text"] if ans else ""
            pods = [x["name"] for x in snap.get("pods", [])]
            check("openai_answer_sections", "## Summary" in text and "## Next steps" in text)
            check("pseudonyms_restored_on_screen", "<pod-" not in text and any(n in text for n in pods),
                  text[:300])
            sent = open(log).read() if os.path.exists(log) else ""
            check("names_pseudonymised_on_the_wire", sent != "" and not any(n in sent for n in pods))
            check("key_not_in_snapshot", key not in p.stdout)
            audit = os.path.join(tmp, "state", "lookout", "copilot-audit.jsonl")
            ok = os.path.exists(audit) and stat.S_IMODE(os.stat(audit).st_mode) == 0o600
            check("audit_log_0600", ok)
            if ok:
                lines = [json.loads(l) for l in open(audit)]
                check("audit_has_sha_no_key", lines and len(lines[-1]["prompt_sha256"]) == 64
                      and key not in open(audit).read())

            # 3. postmortem from a record: offline, then a backend that fails
            rec = os.path.join(tmp, "rec.jsonl")
            p = run(["--once", "--json", "--demo", "--demo-time", "150", "--record", rec], env)
            check("record_written", p.returncode == 0 and os.path.exists(rec), p.stderr[-300:])
            md = os.path.join(tmp, "pm.md")
            p = run(["postmortem", "--from", rec, "-o", md], env)
            doc = open(md).read() if os.path.exists(md) else ""
            check("postmortem_offline_exit_0", p.returncode == 0, p.stderr[-300:])
            check("postmortem_has_timeline_and_draft", "## Timeline" in doc and "deploy" in doc
                  and "## Copilot" in doc and "offline analysis" in doc)
            fenv = env_for(tmp, OPENAI_BASE_URL=base + "/e401/v1", OPENAI_API_KEY=key)
            md2 = os.path.join(tmp, "pm2.md")
            p = run(["postmortem", "--from", rec, "--copilot", "openai", "-o", md2], fenv)
            doc = open(md2).read() if os.path.exists(md2) else ""
            check("postmortem_backend_failure_exit_1", p.returncode == 1, p.stderr[-300:])
            check("postmortem_failure_keeps_timeline", "## Timeline" in doc
                  and "check the API key for openai" in doc and key not in doc)
            aenv = env_for(tmp, OPENAI_BASE_URL=base + "/answer/v1", OPENAI_API_KEY=key)
            p = run(["postmortem", "--from", rec, "--copilot", "openai"], aenv)
            check("postmortem_openai_stdout", p.returncode == 0 and "## Summary" in p.stdout
                  and "AI suggestion" in p.stdout, p.stderr[-300:])

            # 4. empty is not success: a stream with no answer text is an error
            empty = [("openai_toolcalls", "openai", dict(OPENAI_BASE_URL=base + "/toolcalls/v1",
                                                         OPENAI_API_KEY=key), "tool_calls"),
                     ("anthropic_toolcalls", "anthropic",
                      dict(ANTHROPIC_BASE_URL=base + "/toolcalls", ANTHROPIC_API_KEY=key),
                      "tool_use"),
                     ("ollama_toolcalls", "ollama", dict(OLLAMA_HOST="127.0.0.1:%d/toolcalls" % port),
                      "tool calls only"),
                     ("ollama_generate", "ollama", dict(OLLAMA_HOST="127.0.0.1:%d/generate" % port),
                      "/api/generate"),
                     ("openai_blank", "openai", dict(OPENAI_BASE_URL=base + "/blank/v1",
                                                     OPENAI_API_KEY=key), "finish_reason: stop")]
            for name, backend, extra, why in empty:
                md3 = os.path.join(tmp, name + ".md")
                p = run(["postmortem", "--from", rec, "--copilot", backend, "-o", md3],
                        env_for(tmp, **extra))
                doc = open(md3).read() if os.path.exists(md3) else ""
                check("empty_%s_exit_1" % name, p.returncode == 1
                      and "the model returned no text" in p.stderr and why in p.stderr,
                      "rc %d: %s" % (p.returncode, p.stderr[-300:]))
                check("empty_%s_error_with_offline_analysis" % name,
                      "**Copilot error:** the model returned no text" in doc
                      and "Offline analysis follows" in doc and "## Next steps" in doc, doc[-600:])

            # 5. a hostile answer: the Markdown is inert, names stay out of URLs
            names = set(pods) | {x.get("namespace", "") for x in snap.get("pods", [])}
            names.discard("")
            henv = env_for(tmp, OPENAI_BASE_URL=base + "/hostile/v1", OPENAI_API_KEY=key)
            p = run(["postmortem", "--from", rec, "--copilot", "openai"], henv)
            doc = p.stdout
            check("hostile_postmortem_exit_0", p.returncode == 0, p.stderr[-300:])
            check("hostile_html_escaped", "<script" not in doc and "<img" not in doc
                  and "&lt;script&gt;" in doc, doc[:600])
            urls = [w for w in doc.split() if "://" in w or "[:]//" in w or "](" in w]
            check("hostile_links_present_and_inert", any("evil.example" in u for u in urls)
                  and "`![status](https://evil.example/p.png" in doc, "\n".join(urls)[:600])
            check("hostile_no_real_name_in_any_url",
                  urls and not any(n in u for u in urls for n in names), "\n".join(urls)[:600])
            check("hostile_names_restored_in_prose", any(n in doc for n in pods), doc[:400])
            check("hostile_no_bidi_zero_width_c1", not any(c in doc for c in
                                                          ("\u202e", "\u200b", "\u0085"))
                  and "U+202E" in doc, doc[:300])
            mark = "\u26a0 destructive: review before running"
            lines = doc.splitlines()

            def line_with(what):
                return next((x for x in lines if what in x), "")
            check("hostile_destructive_marked", mark in line_with("rm -rf /var/lib/kubelet")
                  and mark in line_with("sudo bash"), doc[-900:])
            check("hostile_harmless_not_marked", line_with("kill the noise") != ""
                  and "destructive" not in line_with("kill the noise")
                  and "destructive" not in line_with("Check:"), doc[-900:])
        finally:
            srv.terminate()
            srv.wait()
        p = run(["postmortem", "--from", os.path.join(tmp, "missing.jsonl")], env)
        check("postmortem_missing_record_exit_2", p.returncode == 2)
        p = run(["postmortem"], env)
        check("postmortem_usage_exit_2", p.returncode == 2 and "usage" in p.stderr)

        # 4. config: validated section, key file must be 0600
        cfg = os.path.join(tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write("copilot:\n  backend: openai\n  max_tokens: 5\n")
        p = run(["--config", cfg, "--once", "--json", "--demo"], env)
        check("config_bad_value_exit_2", p.returncode == 2 and "c.yaml:3" in p.stderr, p.stderr)
        with open(cfg, "w") as f:
            f.write("copilot:\n  backend: gpt\n")
        p = run(["--config", cfg, "--once", "--json", "--demo"], env)
        check("config_unknown_backend", p.returncode == 2 and "unknown" in p.stderr, p.stderr)
        keyf = os.path.join(tmp, "key")
        with open(keyf, "w") as f:
            f.write("sk-xyz\n")
        os.chmod(keyf, 0o644)
        with open(cfg, "w") as f:
            f.write("copilot:\n  backend: openai\n  api_key_file: %s\n" % keyf)
        p = run(["--config", cfg, "--once", "--json", "--demo"], env)
        check("key_file_must_be_0600", p.returncode == 2 and "0600" in p.stderr, p.stderr)
        p = run(["--copilot", "nope", "--once", "--json", "--demo"], env)
        check("cli_unknown_backend_exit_2", p.returncode == 2, p.stderr)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
