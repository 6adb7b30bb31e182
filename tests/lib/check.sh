# Sourced by shell tests: check/pass/fail/skip counters and the closing line.
passed=0
failed=0
skipped=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
not_ok() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }
# skip NAME REASON: a check that cannot run on this machine; counted, never a pass.
skip() { skipped=$((skipped + 1)); echo "SKIP $1: $2"; }
# check NAME COMMAND...: passes when the command succeeds.
check() { local name="$1"; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
finish() { echo "$passed passed, $failed failed, $skipped skipped"; [ "$failed" -eq 0 ]; }
LOOKOUT="${LOOKOUT:-$(dirname "${BASH_SOURCE[0]}")/../../build/asan/lookout}"
