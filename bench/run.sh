#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the benchmark cases (what `make bench` runs; needs `make` first).
#
#   bench/run.sh                 every bench/case_*.sh, in name order
#   bench/run.sh daemon_cost     only the cases named (case_<name>.sh)
#
# A case is an executable bench/case_<name>.sh. It prints its table rows
#   | case | metric | value | baseline | ratio | goal | runs | min | median | max |
# on stdout (progress goes to stderr), writes one JSON object to
# $BENCH_JSON_OUT and a dated copy bench/results/<YYYY-MM-DD>-<case>.json,
# and exits 0 (a case whose tools are missing reports a skip and exits 0).
# This script prints the table header, runs the cases and gathers their
# JSON into bench/results/latest.json, with the newest dated result of each
# case that did not run this time (or ran partially: its knobs picked a
# subset of its rows, and its dated copy is <day>T<HHMM>-<case>-partial.json). Nothing passes or fails on a goal:
# the exit status is non-zero only when a case itself broke.
set -u
cd "$(dirname "$0")/.."

if [ ! -x build/agentrace ]; then
	echo "bench: build/agentrace is missing; run make first" >&2
	exit 1
fi
sh bench/build_tools.sh || exit 1

tmp=$(mktemp -d /tmp/agentrace-bench-run.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ $# -gt 0 ]; then
	cases=""
	for n in "$@"; do
		f="bench/case_$n.sh"
		[ -f "$f" ] || { echo "bench: no case $f" >&2; exit 1; }
		cases="$cases $f"
	done
else
	cases=$(ls bench/case_*.sh 2>/dev/null | sort)
fi

echo "| case | metric | value | baseline | ratio | goal | runs | min | median | max |"
echo "|---|---|---|---|---|---|---|---|---|---|"
broken=""
for f in $cases; do
	n=$(basename "$f" .sh)
	n=${n#case_}
	BENCH_JSON_OUT="$tmp/$n.json" sh "$f"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "bench: case $n exited $rc" >&2
		broken="$broken $n"
	fi
done

mkdir -p bench/results
python3 - "$tmp" bench/results/latest.json "$broken" <<'EOF'
import datetime, glob, json, os, subprocess, sys
tmp, out, broken = sys.argv[1], sys.argv[2], sys.argv[3].split()
# This run's cases, then for every other case its newest dated result, so
# that latest.json always holds the latest run of every case. A partial run
# (a knob picked a subset of its rows, benchlib.Case.partial_if) does not
# replace the case's full one.
cases = {}
for p in sorted(glob.glob(os.path.join(tmp, "*.json"))):
    with open(p) as f:
        c = json.load(f)
    if not c.get("partial"):
        cases[c["case"]] = c
for p in sorted(glob.glob(os.path.join(os.path.dirname(out), "????-??-??-*.json"))):
    with open(p) as f:
        c = json.load(f)
    if c.get("case") and (c["case"] not in cases or cases[c["case"]].get("_older")):
        c["_older"] = True
        cases[c["case"]] = c
cases = [dict((k, v) for k, v in c.items() if k != "_older")
         for _, c in sorted(cases.items())]
rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL, text=True).stdout.strip()
obj = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
       "commit": rev or None, "broken": broken, "cases": cases}
with open(out, "w") as f:
    json.dump(obj, f, indent=1)
    f.write("\n")
print("bench: %d case(s) in %s" % (len(cases), out), file=sys.stderr)
EOF
[ -z "$broken" ]
