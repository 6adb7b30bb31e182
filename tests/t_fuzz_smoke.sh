#!/usr/bin/env bash
# Fuzz smoke test: links the libFuzzer harnesses (build/fuzz/, on the same
# sanitizer library as the unit tests: `make unit` has usually linked them
# already), replays every checked-in seed and every regression input
# (tests/fuzz/regress/NAME/: inputs that once crashed a parser), then fuzzes
# every harness for a fixed number of runs from a scratch work corpus, two
# harnesses at a time. A fixed count and seed make the smoke the same work on
# every machine, however loaded; long runs: make fuzz FUZZ_SECONDS=N.
set -u
cd "$(dirname "$0")/.."
runs="${FUZZ_SMOKE_RUNS:-4000}"
pass=0 fail=0
if ! make -s -j2 fuzz-build >/tmp/lookout-fuzz-build.$$ 2>&1; then
    tail -n 30 /tmp/lookout-fuzz-build.$$
    rm -f /tmp/lookout-fuzz-build.$$
    echo "fuzz-build failed"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi
rm -f /tmp/lookout-fuzz-build.$$
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Seeds and regressions: each input once, no mutation.
for b in build/fuzz/fuzz_*; do
    [ -x "$b" ] || continue
    name=${b#build/fuzz/fuzz_}
    inputs=()
    for d in tests/fuzz/corpus/$name tests/fuzz/regress/$name; do
        [ -d "$d" ] && inputs+=("$d"/*)
    done
    [ ${#inputs[@]} -eq 0 ] && continue
    if ASAN_OPTIONS="detect_leaks=1" "$b" -timeout=10 "${inputs[@]}" </dev/null \
        >"$scratch/$name.replay" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL replay $name (${#inputs[@]} inputs):"
        grep -E 'Running:|ERROR|SUMMARY|#[0-4] ' "$scratch/$name.replay" | tail -n 12 | sed 's/^/    | /'
    fi
done
echo "replayed seeds and regressions: $pass passed, $fail failed"

# 60 s is only the safety limit per harness: the run count ends each one first.
FUZZ_WORK="$scratch/work" FUZZ_SEED="${FUZZ_SEED:-1}" FUZZ_RUNS="$runs" FUZZ_JOBS="${FUZZ_JOBS:-2}" \
    bash tests/fuzz/run.sh 60 >"$scratch/run.out" 2>&1
cat "$scratch/run.out"
line=$(tail -n 1 "$scratch/run.out")
if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
    pass=$((pass + BASH_REMATCH[1])) fail=$((fail + BASH_REMATCH[2]))
else
    fail=$((fail + 1))
fi
echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
