#!/usr/bin/env bash
# Foundation acceptance: deterministic headless snapshots of the demo,
# record/replay, config errors, exit codes, no terminal needed.
set -u
. "$(dirname "$0")/lib/check.sh"
LOOKOUT_ROOT="${LOOKOUT_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
exec </dev/null   # CI has no terminal: neither do we

snap() { "$LOOKOUT" --once --json --demo --seed 7 --no-kernel "$@"; }

snap >"$tmp/a0.json" 2>"$tmp/err"; rc=$?
check "once json exits 0 without a terminal" test "$rc" -eq 0
snap >"$tmp/b0.json" 2>>"$tmp/err"
check "snapshot at t=0 is byte-identical across runs" cmp -s "$tmp/a0.json" "$tmp/b0.json"
snap --demo-time 120 >"$tmp/a.json" 2>>"$tmp/err"
snap --demo-time 120 >"$tmp/b.json" 2>>"$tmp/err"
check "snapshot at t=120 is byte-identical across runs" cmp -s "$tmp/a.json" "$tmp/b.json"
"$LOOKOUT" --once --json --demo --seed 8 --no-kernel --demo-time 120 >"$tmp/seed8.json" 2>>"$tmp/err"
check "another seed gives another story" bash -c "! cmp -s '$tmp/a.json' '$tmp/seed8.json'"

py_check() { python3 - "$@" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
what = sys.argv[2]
def ok(cond):
    sys.exit(0 if cond else 1)
if what == "t0":
    ok(s["simulated"] and len(s["services"]) >= 3 and len(s["slos"]) >= 3
       and any(len(p["stages"]) >= 5 for p in s["pipelines"]) and len(s["pods"]) >= 5
       and len(s["kevents"]) >= 1 and all(p["simulated"] for p in s["pods"]))
if what == "story":
    stages = [st["name"] for p in s["pipelines"] if p["id"] == 1842 for st in p["stages"]]
    problems = {p["problem"] for p in s["pods"]}
    passwd = any(k["path"] == "/etc/passwd" for k in s["kevents"])
    ok(stages == ["check", "build", "test", "deploy", "experiment-ebpf", "ai-check", "cleanup"]
       and {"CrashLoopBackOff", "OOMKilled"} <= problems and passwd)
if what == "incident":
    ok(len(s["incidents"]) >= 1 and any(i["service"] == "checkout" for i in s["incidents"]))
if what == "time":
    ok(s["time"] == 1772460000000 + int(sys.argv[3]) * 1000)
PY
}
check "t=0 has services, SLOs, a staged pipeline, pods, kernel events" py_check "$tmp/a0.json" t0
check "demo story: stages in order, CrashLoopBackOff, OOMKilled, /etc/passwd read" py_check "$tmp/a.json" story
check "demo story at t=120 has an incident for checkout" py_check "$tmp/a.json" incident
check "fast-forward lands on story second 120" py_check "$tmp/a.json" time 120

# Record, then replay: same final state (the sources differ: one is "replay").
snap --demo-time 90 --record "$tmp/rec.jsonl" >"$tmp/live.json" 2>>"$tmp/err"
"$LOOKOUT" replay "$tmp/rec.jsonl" --once --json >"$tmp/replayed.json" 2>>"$tmp/err"; rc=$?
check "replay --once exits 0" test "$rc" -eq 0
same_state() { python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for s in (a, b):
    s.pop("sources")
    s["dropped"].pop("sources", None)
sys.exit(0 if a == b else 1)
PY
}
check "replay reproduces the recorded final state" same_state "$tmp/live.json" "$tmp/replayed.json"
check "record has one JSON object per line" python3 -c "
import json,sys
n=0
for line in open('$tmp/rec.jsonl'):
    o=json.loads(line); assert o['op'] in ('upsert','remove','append'); n+=1
sys.exit(0 if n>100 else 1)"
printf '{"t":1,"op":"upsert","table":"nodes","obj":{"name":"x"}}\nnot json\n' >"$tmp/bad.jsonl"
"$LOOKOUT" replay "$tmp/bad.jsonl" --once --json >"$tmp/badrep.json" 2>"$tmp/badrep.err"
check "a bad record line is reported with file:line and the rest is kept" \
    bash -c "grep -q 'bad.jsonl:2: not valid JSON' '$tmp/badrep.err' && grep -q '\"name\":.*\"x\"' '$tmp/badrep.json'"

# Config errors: exit 2 with file:line: message.
cfg_error() { # NAME CONTENT EXPECTED
    printf '%s' "$2" >"$tmp/c.yaml"
    "$LOOKOUT" --once --json --demo --no-kernel --config "$tmp/c.yaml" >/dev/null 2>"$tmp/c.err"
    local rc=$?
    if [ $rc -eq 2 ] && grep -q "$3" "$tmp/c.err"; then ok "$1"; else
        not_ok "$1" "rc=$rc stderr: $(cat "$tmp/c.err")"; fi
}
cfg_error "YAML syntax error gives file:line" $'general:\n  refresh: [1s\n' "c.yaml:3: "
cfg_error "unknown section gives file:line" $'general:\n  refresh: 1s\nbogus: 1\n' "c.yaml:3: unknown section 'bogus'"
cfg_error "unknown key gives file:line" $'general:\n  refreshh: 1s\n' "c.yaml:2: unknown key 'refreshh'"
cfg_error "wrong type gives file:line" $'general:\n  refresh: soon\n' "c.yaml:2: 'refresh' must be a duration"
"$LOOKOUT" --once --json --demo --no-kernel --config "$tmp/missing.yaml" >/dev/null 2>"$tmp/c.err"
check "an unreadable config file exits 2 and names it" \
    bash -c "[ $? -eq 2 ] && grep -q 'missing.yaml: No such file' '$tmp/c.err'"
printf 'general:\n  refresh: 500ms\n  environment: prod-eu\n' >"$tmp/good.yaml"
"$LOOKOUT" --once --json --demo --no-kernel --config "$tmp/good.yaml" >/dev/null 2>"$tmp/e"
check "a valid config is accepted" test $? -eq 0
"$LOOKOUT" --once --json --no-kernel --config "$tmp/good.yaml" >"$tmp/env.json" 2>/dev/null
check "the environment name reaches the header summary" grep -q '"context":.*"prod-eu"' "$tmp/env.json"

# Exit codes and help.
"$LOOKOUT" --help >"$tmp/help" 2>&1; rc=$?
check "--help exits 0 and lists exit codes" bash -c "[ $rc -eq 0 ] && grep -q 'exit codes' '$tmp/help'"
# `lookout COMMAND --help`, as --help promises: the usage on stdout, exit 0
# (slo check once opened a file named --help).
cmds=$(sed -n '/^commands:/,$p' "$tmp/help" | awk 'NF {print $1}' | grep -v '^commands:')
bad_help=""
for c in $cmds "slo check" "slo status"; do
    $LOOKOUT $c --help >"$tmp/ch" 2>/dev/null && grep -q '^usage: lookout' "$tmp/ch" || bad_help="$bad_help $c"
done
check "every command's --help prints its usage and exits 0 (${bad_help:-all})" test -z "$bad_help"
# The man page documents every option and command --help lists.
undoc=""
for o in $(sed -n '/^options:/,/^exit codes/p' "$tmp/help" | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
    grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$LOOKOUT_ROOT/docs/lookout.1" || undoc="$undoc $o"
done
for c in $cmds; do grep -qx "\.B $c" "$LOOKOUT_ROOT/docs/lookout.1" || undoc="$undoc $c"; done
check "docs/lookout.1 has every option and command of --help (${undoc:-all})" test -z "$undoc"
"$LOOKOUT" --version | grep -q '^lookout [0-9]'
check "--version prints the version" test $? -eq 0
"$LOOKOUT" --once --attach http://127.0.0.1:9 --timeout 3 >/dev/null 2>"$tmp/e"; rc=$?
check "--once without --json: a usage error at once, before any wait" \
    bash -c "[ $rc -eq 2 ] && grep -q 'add --json' '$tmp/e' && ! grep -q 'first sync' '$tmp/e'"
HOME="$tmp" KUBECONFIG="" "$LOOKOUT" --once --json --no-kernel --context x --timeout 3 >/dev/null 2>"$tmp/e"
rc=$?
check "no kubeconfig: exit 1 and the message says what to set" \
    bash -c "[ $rc -eq 1 ] && grep -q 'no kubeconfig found.*set \\\$KUBECONFIG' '$tmp/e'"
# --timeout of postmortem and check: seconds or a duration, whole ("5m" was 5 s)
"$LOOKOUT" postmortem --from "$tmp/none.jsonl" --timeout 5x >/dev/null 2>"$tmp/e"
"$LOOKOUT" check --evidence "$tmp/none.jsonl" --timeout 5m >/dev/null 2>"$tmp/e2"
check "--timeout: '5x' is refused, '5m' is a duration" \
    bash -c "grep -q \"bad --timeout '5x'\" '$tmp/e' && ! grep -q 'bad --timeout' '$tmp/e2'"
"$LOOKOUT" --no-such-flag >/dev/null 2>&1
check "an unknown option exits 2" test $? -eq 2
"$LOOKOUT" --seed banana >/dev/null 2>"$tmp/e"
check "a bad option value exits 2 with a message" bash -c "[ $? -eq 2 ] && grep -q 'seed' '$tmp/e'"
"$LOOKOUT" --refresh 5 >/dev/null 2>"$tmp/e"
check "the message says what a valid value is" grep -q "refresh: not a valid value: '5' (milliseconds, 10 to 60000)" "$tmp/e"

# The field reference is generated from the code: it must be current.
bash "$LOOKOUT_ROOT/docs/gen-snapshot-doc.sh" "$LOOKOUT" >"$tmp/snapshot.md" 2>/dev/null
check "docs/snapshot.md matches the schemas (make docs)" cmp -s "$tmp/snapshot.md" "$LOOKOUT_ROOT/docs/snapshot.md"

# Every C file as the project's .clang-format writes it (one second): a file
# that drifted once stayed unnoticed through several sessions.
if command -v clang-format >/dev/null; then
    check "make check-format: every C file clang-formatted" make -s -C "$LOOKOUT_ROOT" check-format
else
    skip "make check-format" "clang-format is not installed (make deps installs it)"
fi

# make install puts the binary, themes and man page under DESTDIR.
make -s -C "$LOOKOUT_ROOT" install DESTDIR="$tmp/root" PREFIX=/usr >/dev/null 2>&1
check "make install: binary, themes and man page" bash -c "[ -x '$tmp/root/usr/bin/lookout' ] && ls '$tmp/root/usr/share/lookout/themes/'*.theme >/dev/null && [ -f '$tmp/root/usr/share/man/man1/lookout.1' ]"
finish
