#!/usr/bin/env bash
# Soak: `tests/soak.sh SECONDS` runs, side by side under valgrind (memcheck),
# the demo and the replay of a long recording, each headless (--run-for) for
# SECONDS, and asserts: both ran to the end and printed their final state, no
# invalid access (--error-exitcode), nothing definitely or indirectly lost.
# The recording (about 1000 s of demo story) is made first, without valgrind;
# the replay speed spreads it over the soak. Uses the release binary
# ($LOOKOUT_REL, default ./lookout): ASan and valgrind do not mix.
# Prints "N passed, N failed, N skipped" last. `make soak` runs 600 s; t_soak.sh 60 s.
set -u
cd "$(dirname "$0")/.."
secs="${1:-600}"
bin="${LOOKOUT_REL:-$PWD/lookout}"
pass=0 fail=0 skipped=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed -e 's/^/    | /' "$2" | tail -n 40; }
finish() { echo "$pass passed, $fail failed, $skipped skipped"; [ "$fail" -eq 0 ]; exit $?; }

if ! command -v valgrind >/dev/null; then
    skipped=1
    echo "SKIP soak: valgrind is not installed (make deps installs it)"
    finish
fi
[ -x "$bin" ] || { bad "no release binary at $bin (make lookout)"; finish; }
work=$(mktemp -d /tmp/lookout-soak.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME="$work" XDG_CONFIG_HOME="$work/cfg" XDG_STATE_HOME="$work/state"

# ~1000 s of simulated story in 10 s of real time.
"$bin" --demo --no-kernel --demo-speed 100 --run-for 10 --record "$work/long.rec" >/dev/null \
    2>"$work/record.err"
lines=$(wc -l <"$work/long.rec" 2>/dev/null || echo 0)
if [ "$lines" -gt 1000 ]; then ok "recorded $lines lines of demo story"; else bad "recording" "$work/record.err"; fi
speed=$(awk -v s="$secs" 'BEGIN { v = 900 / s; if (v < 1) v = 1; printf "%.2f", v }')

vg=(valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --track-fds=no --num-callers=30)
start=$SECONDS
"${vg[@]}" --log-file="$work/demo.vg" "$bin" --demo --no-kernel --demo-speed 10 \
    --run-for "$secs" --json >"$work/demo.json" 2>"$work/demo.err" &
demo_pid=$!
"${vg[@]}" --log-file="$work/replay.vg" "$bin" replay "$work/long.rec" --speed "$speed" \
    --run-for "$secs" --json >"$work/replay.json" 2>"$work/replay.err" &
replay_pid=$!
wait $demo_pid; demo_rc=$?
wait $replay_pid; replay_rc=$?
took=$((SECONDS - start))
echo "soak: ${secs}s requested, ${took}s under valgrind (replay speed $speed)"

for run in demo replay; do
    rc=demo_rc; [ $run = replay ] && rc=replay_rc
    log="$work/$run.vg"
    if [ "${!rc}" -eq 0 ]; then ok "$run: exit 0 under valgrind"; else bad "$run: exit ${!rc} (99: valgrind errors)" "$log"; fi
    if grep -q "ERROR SUMMARY: 0 errors" "$log"; then ok "$run: no invalid accesses"; else bad "$run: valgrind errors" "$log"; fi
    if grep -q "All heap blocks were freed" "$log" ||
        { grep -q "definitely lost: 0 bytes" "$log" && grep -q "indirectly lost: 0 bytes" "$log"; }; then
        ok "$run: definitely lost: 0, indirectly lost: 0"
    else
        bad "$run: leaks" "$log"
    fi
    if python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s.get("sources") else 1)' \
        "$work/$run.json" 2>/dev/null; then
        ok "$run: ran ${secs}s and printed its final state"
    else
        bad "$run: no final state" "$work/$run.err"
    fi
done
if [ "$took" -ge "$secs" ]; then ok "ran the whole ${secs}s"; else bad "ended after ${took}s of ${secs}s"; fi

# Every config section with only what it requires: each loader reads keys that
# are absent, and must not then read a buffer it never wrote (an absent
# prometheus.tenant was once checked against stale stack bytes, and a good
# config was refused now and then). memcheck flags any such read.
cat >"$work/sections.yaml" <<'YAML'
general: {refresh: 1s}
prometheus: {url: "http://127.0.0.1:9"}
kubernetes: {kubeconfig: /nonexistent/kubeconfig}
gitlab: {url: "http://127.0.0.1:9", projects: [group/app]}
github: {url: "http://127.0.0.1:9", repos: [org/app]}
pipelines: {}
kernel: {}
copilot: {backend: ollama}
aiops: {}
alerting: {}
agents: {}
rules: {}
agent: {}
YAML
# the same with list entries and nested maps, each missing its optional keys
cat >"$work/entries.yaml" <<'YAML'
prometheus: {url: "http://127.0.0.1:9", tenant: team-a}
gitlab: {url: "http://127.0.0.1:9", projects: [{id: group/app}, group/b]}
github: {url: "http://127.0.0.1:9", repos: [{repo: org/app}, org/b]}
pipelines:
  security: [{project: group/app, namespace: shop}, {project: org/app, evidence: /tmp/e*.jsonl}]
copilot: {backend: ollama, redact: [{name: corp, pattern: "CORP-[0-9]+"}]}
agents: [{name: n1, url: "http://127.0.0.1:9"}]
YAML
for cfg in sections entries; do
    GITLAB_TOKEN=t GITHUB_TOKEN=t "${vg[@]}" --log-file="$work/$cfg.vg" "$bin" --once --json \
        --no-kernel --timeout 1 --config "$work/$cfg.yaml" >/dev/null 2>"$work/$cfg.err"
    if grep -q "ERROR SUMMARY: 0 errors" "$work/$cfg.vg"; then
        ok "config ($cfg): loads with no uninitialised read"
    else
        bad "config ($cfg): valgrind errors while loading" "$work/$cfg.vg"
    fi
done
finish
