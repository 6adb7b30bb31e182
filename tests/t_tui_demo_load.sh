#!/usr/bin/env bash
# `make demo` on a busy host: as root, with a fork/exec load running beside
# it, `lookout --demo` tells the same story as `--demo --no-kernel`: one
# incident, the same top cause, the same critical beats under the crit filter,
# and no row of this host's own processes in the eBPF panel (issue 15: real
# host events once buried the story and joined its correlation). Needs root:
# without it the demo could not load the kernel programs anyway.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh
trap 'kill $(jobs -p) 2>/dev/null; cleanup' EXIT

if [ "$(id -u)" != 0 ]; then
    skip "demo under host load" "needs root (without it --demo never loads kernel programs)"
    finish
    exit $?
fi
# The host's noise: processes named lookout-noise forking and exiting.
cp /bin/true "$TMPD/lookout-noise"
for i in 1 2; do
    (while :; do "$TMPD/lookout-noise"; done) &
done

# demo ARGS...: the demo at the page, 160x45, until its copilot shows a cause.
demo() {
    end_session lk
    {
        echo "export TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8"
        echo "\"$BIN\" --demo --seed 7 --demo-time 150 $* 2>\"$TMPD/stderr\""
        echo "echo \"LOOKOUT-EXIT=\$?\"; exec sleep 600"
    } >"$TMPD/run.sh"
    tm new-session -d -s lk -x 160 -y 45 "bash $TMPD/run.sh"
    wait_for '1\. Deploy of checkout' 30
}

# facts: the lines that tell the story, one per line, times removed.
facts() {
    local s; s=$(capture)
    grep -oE 'incidents [0-9]+' <<<"$s" | head -n 1
    grep -oE 'INC-[0-9]+ OPEN [a-z]+' <<<"$s" | head -n 1
    grep -oE '1\. Deploy of checkout [0-9.]+' <<<"$s" | head -n 1
}

demo
check "busy host: the demo reaches its cause" "capture | grep -q '1. Deploy of checkout'"
with_load=$(facts)
check "busy host: no row of this host's processes in the eBPF panel" \
    "! capture | grep -Eq 'lookout-noise| host '"
keys s s
check "busy host: the crit filter keeps the story's OOM kill" "wait_for 'CRIT +oom' 10"
keys q
check "busy host: q quits with status 0" "wait_for 'LOOKOUT-EXIT=0' 10"

demo --no-kernel
check "--no-kernel: the demo reaches its cause" "capture | grep -q '1. Deploy of checkout'"
without=$(facts)
check "the same incident, state and top cause with and without the host's kernel" \
    "[ -n \"\$with_load\" ] && [ \"\$with_load\" = \"\$without\" ]"
keys s s
check "--no-kernel: the same OOM kill under crit" "wait_for 'CRIT +oom' 10"
keys q
wait_for 'LOOKOUT-EXIT=' 10
check "no sanitizer report" "! grep -q 'ERROR: AddressSanitizer\\|runtime error' $TMPD/stderr"
finish
