#!/usr/bin/env bash
# The copilot panel on screen with a hostile answer from the loopback LLM
# (tests/servers/fake_llm.py, scenario "hostile"): destructive lines carry the
# mark, harmless ones (prose with "drop" and "kill the noise", a backticked
# kubectl get) do not, no bidi or C1 control reaches the terminal, and the
# answer says when it was written.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tmux.sh

python3 tests/servers/fake_llm.py --port 0 --fixtures tests/fixtures/llm >"$TMPD/llm.port" &
LLM_PID=$!
trap 'kill $LLM_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do [ -s "$TMPD/llm.port" ] && break; sleep 0.05; done
PORT=$(awk '{print $2}' "$TMPD/llm.port")

MARK='⚠ destructive: review before running'
session fg 200 50 "OPENAI_BASE_URL=http://127.0.0.1:$PORT/hostile/v1 OPENAI_API_KEY=sk-test-0123456789" \
    --demo-time 150 --copilot openai
check "the hostile answer reaches the copilot panel" "wait_for 'kill the noise' 30"
keys 4
check "4 zooms the copilot panel" "wait_for 'zoomed' 5"
screen=$(capture)
line_with() { grep -F -- "$1" <<<"$screen" | head -n 1; }
check "rm -rf in prose beside a harmless code span is marked" \
    "line_with 'rm -rf /var/lib/kubelet' | grep -Fq -- \"\$MARK\""
check "curl | sudo bash is marked" "line_with 'sudo bash' | grep -Fq -- \"\$MARK\""
check "prose with 'drop' and 'kill the noise' is not marked" \
    "! line_with 'kill the noise' | grep -Fq destructive"
check "a backticked kubectl get is not marked" "! line_with 'Check:' | grep -Fq destructive"
check "the answer says when it was analysed and how to ask again" \
    "grep -q 'analysed 14:0[0-9]:[0-9][0-9] (.* ago) . a: ask again' <<<\"\$screen\""
check "the bidi override is shown as <U+202E>" "grep -Fq '<U+202E>' <<<\"\$screen\""
check "no bidi, zero-width or C1 character on screen" \
    "! grep -q \$'\\u202e\\|\\u200b\\|\\u0085' <<<\"\$screen\""
keys q
check "q quits with status 0" "wait_for 'LOOKOUT-EXIT=0' 10"
check "no sanitizer report" "! grep -q 'ERROR: AddressSanitizer\\|runtime error' $TMPD/stderr"
finish
