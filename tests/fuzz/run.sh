#!/usr/bin/env bash
# Runs every libFuzzer harness (build/fuzz/fuzz_*) for SECONDS each, from
# its checked-in seeds (tests/fuzz/corpus/NAME) plus a work corpus kept in
# build/fuzz/work/NAME, and prints execs and crashes per harness. A harness
# passes when it found no crash, leak, timeout or out-of-memory input; the
# findings are saved in build/fuzz/findings/.
#   tests/fuzz/run.sh SECONDS [NAME-FILTER]
#   FUZZ_JOBS=2   run two harnesses at a time (default 1)
#   FUZZ_WORK=DIR work corpora elsewhere (the smoke test uses a scratch dir)
#   FUZZ_RUNS=N   stop each harness after N executions instead (SECONDS is
#                 then only a safety limit): the 1M-execution acceptance run
#   FUZZ_SEED=N   fixed libFuzzer seed: the smoke test uses one, so CI replays
#                 a prefix of the same mutations that ran here, never new luck
set -u
cd "$(dirname "$0")/../.."
secs="${1:-60}"
filter="${2:-}"
jobs="${FUZZ_JOBS:-1}"
opts=()
[ -n "${FUZZ_SEED:-}" ] && opts=(-seed="$FUZZ_SEED")
[ -n "${FUZZ_RUNS:-}" ] && opts+=(-runs="$FUZZ_RUNS")
work="${FUZZ_WORK:-build/fuzz/work}"
findings="build/fuzz/findings"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
mkdir -p "$work" "$findings"

bins=()
for b in build/fuzz/fuzz_*; do
    [ -x "$b" ] || continue
    name=${b#build/fuzz/fuzz_}
    [[ -n $filter && $name != *$filter* ]] && continue
    bins+=("$b")
done
if [ ${#bins[@]} -eq 0 ]; then
    echo "no harnesses in build/fuzz (make fuzz-build)"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi

run_harness() {
    local b="$1" name="${1#build/fuzz/fuzz_}"
    mkdir -p "$work/$name" "$findings/$name"
    local seeds="tests/fuzz/corpus/$name"
    [ -d "$seeds" ] || seeds=""
    # -timeout: one input taking 10 s is a finding (a hang in a parser).
    ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        timeout --kill-after=10 $((secs + 60)) "$b" -max_total_time="$secs" -timeout=10 "${opts[@]}" \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/$name/" \
        "$work/$name" $seeds </dev/null >"$logs/$name.log" 2>&1
    echo $? >"$logs/$name.rc"
}

running=0
for b in "${bins[@]}"; do
    run_harness "$b" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

pass=0 fail=0
printf '%-22s %12s %8s %9s\n' harness execs crashes "exec/s"
for b in "${bins[@]}"; do
    name=${b#build/fuzz/fuzz_}
    log="$logs/$name.log"
    rc=$(cat "$logs/$name.rc" 2>/dev/null || echo 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    crashes=$(grep -cE '^==[0-9]+==ERROR|^SUMMARY: (Address|Undefined|Leak)Sanitizer|ALARM: working on the last Unit|out-of-memory \(|deadly signal' "$log")
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
    printf '%-22s %12s %8s %9s\n' "$name" "${execs:-?}" "$crashes" "${rate:-?}"
    if [ "$crashes" -eq 0 ] && [ -n "$execs" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "  $name: rc $rc; findings in $findings/$name/; log tail:"
        grep -E 'ERROR|SUMMARY|Test unit written|#0 |#1 |#2 |#3 ' "$log" | head -n 12 | sed 's/^/    | /'
    fi
done
echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
