#!/bin/sh
# SPDX-License-Identifier: MIT
# make fuzz-long: runs every libFuzzer harness (ASan+UBSan builds from
# `make fuzz`) for FUZZ_SECONDS each (default 600), growing a working
# corpus seeded from tests/fuzz/corpus/NAME, and prints executions,
# coverage and crashes per harness. Crash inputs land in
# build/fuzz-crashes/NAME/; copy them into tests/fuzz/corpus/NAME once
# fixed, so they become regression seeds. Exit status 1 on any crash.
# FUZZ_JOBS: harnesses run in parallel (default 1; the machine is shared).
# FUZZ_NICE: niceness of the runs (default 19, so others keep the CPU).
# ASan keeps a small quarantine and no malloc stacks: recording them was
# a sixth of an allocation-heavy harness's time (otlp, decode). Replay a
# crash input with the default ASAN_OPTIONS to see where memory was
# allocated and freed.
set -u
BUILD=${BUILD:-build}
SECS=${FUZZ_SECONDS:-600}
JOBS=${FUZZ_JOBS:-1}
ONLY=${FUZZ_ONLY:-}
NICE=${FUZZ_NICE:-19}
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:malloc_context_size=0}
out=$BUILD/fuzz-long
mkdir -p "$out"

run_one() {
	f=$1
	n=$(basename "$f" | sed 's/^fuzz_//')
	mkdir -p "$out/corpus/$n" "$BUILD/fuzz-crashes/$n"
	cp -n tests/fuzz/corpus/"$n"/* "$out/corpus/$n/" 2>/dev/null
	nice -n "$NICE" "$f" -max_total_time="$SECS" -print_final_stats=1 -timeout=20 -rss_limit_mb=2048 \
		-artifact_prefix="$BUILD/fuzz-crashes/$n/" "$out/corpus/$n" \
		>"$out/$n.log" 2>&1
	echo $? >"$out/$n.rc"
}

list=""
for f in "$BUILD"/fuzz/fuzz_*; do
	n=$(basename "$f" | sed 's/^fuzz_//')
	[ -n "$ONLY" ] && ! echo " $ONLY " | grep -q " $n " && continue
	list="$list $f"
done
running=0
for f in $list; do
	run_one "$f" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait
		running=0
	fi
done
wait

bad=0
printf '%-12s %12s %10s %8s %8s %8s\n' harness execs exec/s cov ft crashes
for f in $list; do
	n=$(basename "$f" | sed 's/^fuzz_//')
	log=$out/$n.log
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	crashes=$(ls "$BUILD/fuzz-crashes/$n" | wc -l)
	rc=$(cat "$out/$n.rc")
	[ "$rc" != 0 ] || [ "$crashes" != 0 ] && bad=1
	printf '%-12s %12s %10s %8s %8s %8s\n' "$n" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
done
exit $bad
