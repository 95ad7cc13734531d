#!/usr/bin/env bash
# Runs every test: the Criterion unit tests, the e2e harness self-test, the
# export stage against the OTLP receiver, then the end-to-end tests (root,
# real BPF). Each runner must exit 0 AND report at least one test; ends with
# one "all: N passed, N failed" line over all of them.
# The unit tests run twice: as built, and built with ASan+UBSan (make
# unit-asan). usage: [BUILD=dir] tests/run-all.sh
set -uo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0
failed=0

# runner NAME REGEX SED CMD...: runs CMD with its output shown and kept.
# SED turns the last line matching REGEX into "PASSED FAILED". A non-zero
# exit, a missing summary line or zero tests counts as one more failure.
runner() {
	local name=$1 regex=$2 expr=$3 rc line p f
	shift 3
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E "$regex" "$log" | tail -1)
	read -r p f <<<"$(echo "$line" | sed -nE "$expr")"
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] || [ $((p + f)) -eq 0 ]; then
		echo "$name: exit status $rc, summary '${line}': failed" >&2
		f=$((f + 1))
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

# Criterion: "[====] Synthesis: Tested: N | Passing: N | Failing: N | Crashing: N"
criterion='s/.*Passing: ([0-9]+) \| Failing: ([0-9]+) \| Crashing: ([0-9]+).*/\1 \2+\3/p'
runner unit 'Synthesis:' "$criterion" "$build/tests/unit" --jobs=2
# With leak checks: a leak fails the test that made it.
runner unit-asan 'Synthesis:' "$criterion" \
	env ASAN_OPTIONS=detect_leaks=1 "$build/asan/tests/unit" --jobs=2
# selftest: "N passed, N failed, N skipped"; a skip (no node_modules) fails
runner selftest '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' \
	's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2+\3/p' \
	python3 tests/e2e/selftest.py
runner otlp-export '^otlp e2e: [0-9]+ passed' \
	's/^otlp e2e: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' \
	bash tests/e2e/test_otlp_export.sh
runner e2e '^e2e: ' 's/^e2e: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' \
	python3 tests/e2e/run.py

echo "all: $passed passed, $((failed)) failed"
[ "$failed" -eq 0 ]
