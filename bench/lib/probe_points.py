# SPDX-License-Identifier: MIT
"""Case probe_points: ns per call of build/bench/cet_loop's f (endbr64;
push rbp; ...) unprobed, with empty entry and return probes on its
endbr64 (single-stepped by the kernel), and on the push after it
(emulated): where tls_probe__skip_endbr64 (user/discover/tls_lib.c) moves
agentrace's probes. build/bench/floor_probes attaches them inside the one
process, as agentrace does. Interleaved rounds."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

LOOP = os.path.join(b.ROOT, "build", "bench", "cet_loop")
FLOOR = os.path.join(b.ROOT, "build", "bench", "floor_probes")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CALLS = 200000


def one(at):
    """ns per call with probes at f + at (None: unprobed)."""
    p = subprocess.Popen([LOOP, str(CALLS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    pid, off = p.stdout.readline().split()
    fl = None
    try:
        if at is not None:
            pt = "%x" % (int(off, 16) + at)
            fl = subprocess.Popen([FLOOR, pid, LOOP, "e:" + pt, "r:" + pt],
                                  stdout=subprocess.PIPE, text=True)
            if "READY" not in fl.stdout.readline():
                raise RuntimeError("floor_probes did not attach")
        p.stdin.write("go\n")
        p.stdin.flush()
        return float(p.stdout.readline().split()[0])
    finally:
        p.wait(60)
        if fl:
            fl.send_signal(2)
            fl.wait(20)


def main():
    b.need(LOOP, FLOOR)
    case = b.Case("probe_points",
                  "%d calls of a -fcf-protection function (endbr64; push rbp), "
                  "unprobed and with empty uprobe+uretprobe programs (uprobe_multi, "
                  "pid-scoped) on its endbr64 and on the push after it; %d "
                  "interleaved rounds" % (CALLS, ROUNDS))
    res = {"none": [], "endbr64": [], "push": []}
    at = {"none": None, "endbr64": 0, "push": 4}
    for i in range(ROUNDS):
        for k in (list(res) if i % 2 == 0 else list(reversed(res))):
            res[k].append(one(at[k]))
            b.log("round %d %s: %.1f ns/call" % (i + 1, k, res[k][-1]))
    for k in ("endbr64", "push"):
        case.row("ns per call, probes on the %s" % k, b.spread(res[k])[1], None, None, "-",
                 res[k], "ns")
    ratio = [x / y for x, y in zip(res["endbr64"], res["push"])]
    case.row("probes on the endbr64 / on the push", b.spread(ratio)[1], None, None, "-",
             ratio, "x")
    case.row("ns per call, unprobed", b.spread(res["none"])[1], None, None, "-",
             res["none"], "ns")
    case.finish()


if __name__ == "__main__":
    main()
