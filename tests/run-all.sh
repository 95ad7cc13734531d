#!/bin/sh
# Runs every test: Criterion unit tests, then the end-to-end tests (root,
# real BPF). Ends with one "N passed, N failed" line over both.
set -u
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

build/tests/unit --jobs=2 2>&1 | tee "$log"
unit_rc=$?
# Criterion: "[====] Synthesis: Tested: N | Passing: N | Failing: N | Crashing: N"
syn=$(grep 'Synthesis:' "$log" | tail -1)
u_pass=$(echo "$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
u_fail=$(echo "$syn" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
u_crash=$(echo "$syn" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
: "${u_pass:=0}" "${u_fail:=1}" "${u_crash:=0}"

python3 tests/e2e/run.py 2>&1 | tee "$log"
e2e_line=$(grep '^e2e: ' "$log" | tail -1)
e_pass=$(echo "$e2e_line" | sed -n 's/^e2e: \([0-9]*\) passed.*/\1/p')
e_fail=$(echo "$e2e_line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
: "${e_pass:=0}" "${e_fail:=1}"

passed=$((u_pass + e_pass))
failed=$((u_fail + u_crash + e_fail))
echo "all: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
