# SPDX-License-Identifier: MIT
"""Prints bench/results/latest.json (or the files given) as the markdown
table that docs/performance.md carries:  python3 bench/lib/table.py"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402


def cases(paths):
    for p in paths:
        with open(p) as f:
            doc = json.load(f)
        yield from doc.get("cases", [doc])


def main():
    paths = sys.argv[1:] or [os.path.join(b.BENCH, "results", "latest.json")]
    print("| case | metric | value | baseline | ratio | goal | runs | min | median | max |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for c in cases(paths):
        for r in c["rows"]:
            unit = " (%s)" % r["unit"] if r.get("unit") else ""
            print("| %s | %s%s | %s | %s | %s | %s | %d | %s | %s | %s |" % (
                r["case"], r["metric"], unit, b.fmt(r["value"]), b.fmt(r["baseline"]),
                b.fmt(r["ratio"]), r["goal"], r["runs"], b.fmt(r["min"]),
                b.fmt(r["median"]), b.fmt(r["max"])))
    for c in cases(paths):
        h = c.get("host", {})
        print("\n%s: %s; %s s; background CPU busy before %s%%, loadavg %s -> %s" % (
            c["case"], c.get("date"), c.get("seconds"), h.get("background_cpu_busy_pct_before"),
            " ".join(h.get("loadavg_before", [])), " ".join(h.get("loadavg_after", []))))


if __name__ == "__main__":
    main()
