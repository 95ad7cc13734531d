# SPDX-License-Identifier: MIT
"""Case daemon_cost: what the userspace daemon spends per traced LLM call.

bench/gen_capture writes capture files of N OpenAI chat completion calls,
each on its own plaintext connection with realistic headers and bodies:
non-streaming (one request write, one JSON response read) and streaming
(the response headers, then 100 SSE chunks, a usage chunk and [DONE], one
read each, chunked framing). `agentrace analyze FILE --exporter none`
replays them through the whole userspace pipeline (capture-file reader,
connection table, HTTP parser, gen_ai span building, trace context), the
same stages as live mode after the ring buffer.

  ns per call:  (wall time of an N-call run - wall time of a 0-call run) / N,
                paired within a round, RUNS rounds; min/median/max over rounds.
  instructions per call: callgrind Ir of a smaller N-call run minus the
                0-call run, / N (repeatable, unlike wall time on a shared box).

The file reader's CRC32 and read() are in the figures; live mode pays ring
buffer polling instead. Goals: <= 20 us per non-streaming call, <= 150 us per
streaming call."""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

RUNS = int(os.environ.get("BENCH_DC_RUNS", "5"))
N = {"chat": int(os.environ.get("BENCH_DC_CHAT", "20000")),
     "stream": int(os.environ.get("BENCH_DC_STREAM", "2000"))}
CG_N = {"chat": int(os.environ.get("BENCH_DC_CG_CHAT", "500")),
        "stream": int(os.environ.get("BENCH_DC_CG_STREAM", "100"))}
CHUNKS = 100
GOAL_NS = {"chat": 20000, "stream": 150000}
LABEL = {"chat": "non-streaming call", "stream": "streaming call (100 chunks)"}
GEN = os.path.join(b.ROOT, "build", "bench", "gen_capture")
# Frames every run has whatever the workload: start-up and the dynamic loader.
SCAFFOLD_FN = {"(below main)", "main", "_start", "__libc_start_main@@GLIBC_2.34",
               "__libc_start_call_main"}


def build_gen():
    """bench/run.sh builds the generator; this covers running the case alone."""
    if not os.path.exists(GEN):
        subprocess.run(["sh", os.path.join(b.BENCH, "build_tools.sh")], check=True)


def gen(case, kind, n):
    path = case.file("%s-%d.agtrace" % (kind, n))
    if not os.path.exists(path):
        argv = [GEN, "-o", path, "-n", str(n)]
        if kind == "stream":
            argv += ["--stream", "--chunks", str(CHUNKS)]
        subprocess.run(argv, check=True)
    return path


def analyze(path, want_spans, prefix=(), graph=True):
    """Returns the wall seconds of one analyze run; checks every call became
    a span, since a figure for calls that were not traced means nothing.
    graph=False runs with --no-agent-graph (no agent turns, execute_tool,
    links or drift); with the graph, each call here is a one-call turn, so
    an invoke_agent span per turn is built on top."""
    t0 = time.perf_counter()
    p = subprocess.run(list(prefix) + [b.AGENTRACE, "analyze", path, "--exporter", "none"] +
                       ([] if graph else ["--no-agent-graph"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - t0
    m = re.search(r"spans: built=(\d+)", p.stderr)
    built = int(m.group(1)) if m else -1
    t = re.search(r"graph: .*? turns=(\d+)", p.stderr)
    if graph and t:
        built -= int(t.group(1))
    if p.returncode != 0 or built != want_spans:
        raise RuntimeError("analyze %s: exit %d, %d spans (want %d): %s" %
                           (path, p.returncode, built, want_spans, p.stderr[-600:]))
    return took


def callgrind(case, path, n, tag, graph=True):
    out = case.file("callgrind.%s" % tag)
    analyze(path, n, prefix=["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out],
            graph=graph)
    with open(out) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1]), out
    raise RuntimeError("no totals in " + out)


def profile(cg_file, inclusive, k):
    """The k costliest functions of a callgrind profile, as (Ir, percent,
    name); start-up frames, the loader and recursion duplicates left out."""
    p = subprocess.run(["callgrind_annotate", "--inclusive=" + ("yes" if inclusive else "no"),
                        "--threshold=100", "--auto=no", cg_file],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    rows = []
    for line in p.stdout.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.*?):([^:\s]+) \[(.*)\]$", line)
        if not m:
            continue
        src, fn, obj = m.group(3), m.group(4), m.group(5)
        if fn in SCAFFOLD_FN or "ld-linux" in obj or re.search(r"'\d+$", fn):
            continue
        if src.startswith(b.ROOT + "/"):
            src = src[len(b.ROOT) + 1:]
        if fn.startswith("0x"):
            name = "%s+%s" % (os.path.basename(obj).split(".so")[0], fn[2:].lstrip("0") or "0")
        elif src != "???" and not src.startswith("."):
            name = "%s (%s)" % (fn, src)
        else:
            name = "%s (%s)" % (fn, os.path.basename(obj))
        rows.append((int(m.group(1).replace(",", "")), float(m.group(2)), name))
        if len(rows) == k:
            break
    return rows


def main():
    b.need(b.AGENTRACE, "valgrind", "callgrind_annotate")
    build_gen()
    case = b.Case("daemon_cost",
                  "agentrace analyze FILE --exporter none on capture files from "
                  "bench/gen_capture: %d non-streaming and %d streaming (%d SSE chunks) "
                  "OpenAI chat calls, one plaintext connection each; minus a 0-call "
                  "file; %d paired rounds; callgrind on %d and %d calls"
                  % (N["chat"], N["stream"], CHUNKS, RUNS, CG_N["chat"], CG_N["stream"]))
    base = gen(case, "chat", 0)
    files = {k: gen(case, k, N[k]) for k in N}
    analyze(files["chat"], N["chat"])  # warm the page cache
    per_call = {k: [] for k in N}
    no_graph = {k: [] for k in N}
    base_s = []
    for i in range(RUNS):
        t0 = analyze(base, 0)
        base_s.append(t0)
        for k in N:
            t = analyze(files[k], N[k])
            per_call[k].append((t - t0) * 1e9 / N[k])
            t = analyze(files[k], N[k], graph=False)
            no_graph[k].append((t - t0) * 1e9 / N[k])
        b.log("round %d: 0 calls %.3f s, %s" % (i + 1, t0, ", ".join(
            "%s %.0f ns/call (%.0f without the graph)" % (k, per_call[k][-1], no_graph[k][-1])
            for k in N)))

    for k in N:
        v = per_call[k]
        med = b.spread(v)[1]
        case.row("wall time per %s" % LABEL[k], med, None, med / GOAL_NS[k],
                 "<= %d ns" % GOAL_NS[k], v, "ns")
        # same rounds, paired: what the causal graph adds
        ratios = [g / o for g, o in zip(per_call[k], no_graph[k]) if o > 0]
        case.row("graph on / --no-agent-graph, %s" % LABEL[k], b.spread(ratios)[1], None,
                 None, "-", ratios, "x")

    ir0, _ = callgrind(case, base, 0, "base")
    tops = {}
    for k in N:
        ir, cg = callgrind(case, gen(case, k, CG_N[k]), CG_N[k], k)
        per = (ir - ir0) / CG_N[k]
        case.row("instructions per %s" % LABEL[k], per, None, None, "-", [per], "Ir")
        ir_off, _ = callgrind(case, gen(case, k, CG_N[k]), CG_N[k], k + "-nograph",
                              graph=False)
        per_off = (ir_off - ir0) / CG_N[k]
        case.row("instructions per %s without the graph" % LABEL[k], per_off, None, None,
                 "-", [per_off], "Ir")
        tops[k] = (profile(cg, True, 25), profile(cg, False, 10))
    case.note("0-call run: %.3f s median wall, %d instructions (start-up, exporter "
              "and shutdown)" % (b.spread(base_s)[1], ir0))
    for k in N:
        inc, self_ = tops[k]
        case.note("%s, %d calls under callgrind, by inclusive Ir: %s" % (LABEL[k], CG_N[k], "; ".join(
            "%s %.1f%%" % (fn, pct) for _, pct, fn in inc)))
        case.note("%s, by self Ir: %s" % (LABEL[k], "; ".join(
            "%s %.1f%%" % (fn, pct) for _, pct, fn in self_)))
    case.finish()


if __name__ == "__main__":
    main()
