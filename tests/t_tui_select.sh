#!/usr/bin/env bash
# The eBPF event stream selects events, not rows: on the demo with events
# streaming, moving off the newest row freezes the list (PAUSED +N new),
# and after several seconds of new events Enter still opens the event that
# was selected; G follows again. The severity filter (s) cycles all, warn+,
# crit and says so in the title and in ?. A replayed demo record with a
# real (host) event and 5000 INFO events after the story's OOM kill shows the
# host badge, and the OOM kill is still listed under the crit filter (the
# longer CRIT/WARN ring). Waits poll the pane with a deadline.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh

# The row `n` of the list (0 = newest): pane line 5 + n when zoomed at
# 160x45 (header, title, rate sparklines per kind and per severity, then
# the rows).
row() { capture | sed -n "$((5 + $1))p"; }

# ---- selection by event ----
session fg 160 45 "" --demo-time 50
wait_for 'Copilot suggestions' 20
keys 3
check "the zoomed event stream follows the newest event" "wait_for 'eBPF event stream  FOLLOWING' 10"
keys j j j
check "moving off the newest row freezes the list" "wait_for 'PAUSED \\+[0-9]+ new' 5"
picked=$(row 3)
when=$(awk '{print $1}' <<<"$picked")
kind=$(awk '{print $3}' <<<"$picked")
who=$(awk '{print $4}' <<<"$picked")
# Three seconds of demo events or more (about 1.5 a second) behind the bar.
check "new events are counted while the list is frozen" "wait_for 'PAUSED \\+([5-9]|[1-9][0-9]+) new' 20"
check "the frozen list has not moved under the bar" "[ \"\$(row 3)\" = \"\$picked\" ]"
keys Enter
check "Enter opens the selected event ($when $kind $who)" \
    "wait_for 'Kernel event #[0-9]+ at $when UTC' 5 && capture | grep -q 'kind $kind ' &&
     capture | grep -Fq -- '$who'"
check "a simulated event is not said to come from this host" \
    "capture | grep -q '^ node: (simulated)' && ! capture | grep -q 'this host'"
keys Escape G
check "G follows the newest event again" "wait_for 'eBPF event stream  FOLLOWING' 5"

# ---- severity filter ----
keys s
check "s: warn+ in the title" "wait_for 'eBPF event stream  \\[warn\\+\\] FOLLOWING' 5"
check "warn+ lists WARN and CRIT rows only" \
    "capture | sed -n '4,44p' | grep -Eq '^[0-9:]+ CRIT oom' &&
     ! capture | sed -n '4,44p' | grep -Eq '^[0-9:]+ INFO'"
keys s
check "s again: crit in the title, CRIT rows only" \
    "wait_for '\\[crit\\] FOLLOWING' 5 && ! capture | sed -n '4,44p' | grep -Eq '^[0-9:]+ (INFO|WARN)'"
keys s
check "s a third time: all events again" \
    "wait_for 'eBPF event stream  FOLLOWING' 5 && capture | sed -n '4,44p' | grep -Eq '^[0-9:]+ INFO'"
keys '?'
check "? lists the severity filter" "wait_for 'eBPF severity filter: all, warn\\+, crit' 5"
keys q q
check "q quits the demo" "wait_for 'LOOKOUT-EXIT=0' 10"
check "no sanitizer report (demo)" "! grep -q 'ERROR: AddressSanitizer\\|runtime error' $TMPD/stderr"

# ---- host badge and the longer CRIT/WARN ring, on a replayed record ----
rec="$TMPD/host.jsonl"
"$BIN" --demo --no-kernel --seed 7 --demo-time 55 --run-for 0.1 --record "$rec" >/dev/null \
    2>"$TMPD/stderr"
python3 - "$rec" <<'PY'
import json, sys
path = sys.argv[1]
lines = open(path).read().splitlines()
last = [json.loads(l) for l in lines if '"table":"kevents"' in l][-1]
t, seq = last["t"], last["obj"]["seq"]
def ev(seq, t, **kw):
    o = dict(last["obj"], seq=seq, time=t, pod="", container="", rule="", title="", path="",
             args="", saddr="", daddr="", sport=0, dport=0)
    o.update(kw)
    return json.dumps({"t": t, "op": "append", "table": "kevents", "obj": o})
out = [ev(seq + 1, t + 1000, kind="open", severity="critical", comm="sshd", pid=4242,
          path="/etc/shadow", title="host shadow read", simulated=False, real=True)]
for i in range(5000):
    out.append(ev(seq + 2 + i, t + 2000, kind="exec", severity="info", comm="noise",
                  pid=5000 + i, simulated=True))
open(path, "a").write("\n".join(out) + "\n")
PY
end_session lk
{
    echo "export TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8"
    echo "\"$BIN\" replay \"$rec\" --speed 0 2>\"$TMPD/stderr\""
    echo "echo \"LOOKOUT-EXIT=\$?\""
    echo "exec sleep 600"
} >"$TMPD/run.sh"
tm new-session -d -s lk -x 160 -y 45 "bash $TMPD/run.sh"
check "the replay reaches its end at once at --speed 0" "wait_for 'REPLAY .* END' 20"
keys 3
check "the newest rows are the INFO flood" "wait_for '^[0-9:]+ INFO exec +noise\\[' 5"
keys s s
check "crit: the story's OOM kill outlived 5000 INFO events" "wait_for '^[0-9:]+ CRIT oom ' 5"
check "crit: the real event carries a host badge" \
    "capture | grep -Eq '^[0-9:]+ CRIT open +host +sshd\\[4242\\]'"
check "no simulated row carries the badge" "! capture | grep -E ' host ' | grep -vq sshd"
keys Enter
check "the host event's detail says it is real" "wait_for 'host: a real event of this machine' 5"
keys q q
check "q quits the replay" "wait_for 'LOOKOUT-EXIT=0' 10"
check "no sanitizer report (replay)" "! grep -q 'ERROR: AddressSanitizer\\|runtime error' $TMPD/stderr"
finish
