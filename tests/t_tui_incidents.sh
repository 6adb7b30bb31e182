#!/usr/bin/env bash
# The incidents view on screen: the demo with a host privilege escalation
# after the page (--demo-inject-host-priv). `i` lists checkout (page) first
# and marked current, the host incident below; Enter on the host row makes
# it current for the copilot panel, Enter again follows the rank; `e` writes
# the post-mortem under $XDG_STATE_HOME/lookout with mode 0600 and shows the
# absolute path.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh
trap cleanup EXIT

STATE="$TMPD/state"
session fg 160 45 "XDG_STATE_HOME=$STATE" --demo-time 150 --demo-inject-host-priv 120
check "the demo starts" "wait_for 'checkout' 20"
keys i
check "i opens the incidents view" "wait_for 'Incidents by rank' 5"
screen=$(capture)
first=$(grep -E '^ +\*? *1 ' <<<"$screen" | head -n 1)
check "checkout ranks first, paging, current" \
    "grep -q 'checkout' <<<\"\$first\" && grep -q 'page' <<<\"\$first\" && grep -q '\\*' <<<\"\$first\""
check "the host incident ranks second as critical" \
    "grep -E '^ +2 ' <<<\"\$screen\" | grep -q '(host).*\\|critical'"
keys j Enter
check "Enter picks the host incident" "wait_for 'follow the incident you picked' 5"
check "the copilot panel follows the pick" "wait_for 'python3' 10"
keys e
check "e shows the absolute path under XDG_STATE_HOME" \
    "wait_for 'written to $STATE/lookout/lookout-postmortem-INC-[0-9]+' 5"
pm=$(ls "$STATE"/lookout/lookout-postmortem-INC-*.md 2>/dev/null | head -n 1)
check "the post-mortem file is 0600" "[ -n \"$pm\" ] && [ \"\$(stat -c %a \"$pm\")\" = 600 ]"
check "it is the picked host incident and says so" \
    "grep -q 'picked by the user' \"$pm\" && ! grep -q 'rollout undo' \"$pm\""
keys i
wait_for 'Incidents by rank' 5
keys j Enter
check "Enter on the picked one follows the rank again" "wait_for 'following the rank again' 5"
keys q
check "q quits with status 0" "wait_for 'LOOKOUT-EXIT=0' 10"
check "no sanitizer report" "! grep -q 'ERROR: AddressSanitizer\\|runtime error' $TMPD/stderr"
finish
