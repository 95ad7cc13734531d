# SPDX-License-Identifier: MIT
"""Case keep: what metrics and tail sampling add to the daemon's cost.

`agentrace analyze FILE` on a bench/gen_capture file of N non-streaming
OpenAI calls, each on its own connection and so its own trace, three ways in
each round, paired:

  plain     --exporter none                      (no metrics, no sampling)
  metrics   --exporter none, OTEL_METRICS_EXPORTER=console (every span
            aggregated; the summary printed at exit)
  sampling  the same plus --sample-rate 0.1: analyze has no clock ticks, so
            every trace is held until the end of the file: N traces buffered

Figures: wall ns per call over the 0-call file, and the process's peak RSS
(ru_maxrss), each with its ratio to plain in the same round. Goal: sampling
holding 10k traces stays within the memory bench's 128 MiB.

Also the live daemon's idle CPU (nothing traced) with OTLP metrics on
against off: the metrics thread must sleep between exports (it once spun
on a condvar timed on the wrong clock)."""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

RUNS = int(os.environ.get("BENCH_KEEP_RUNS", "5"))
N = int(os.environ.get("BENCH_KEEP_CALLS", "10000"))
GEN = os.path.join(b.ROOT, "build", "bench", "gen_capture")
MODES = {
    "plain": ([], {}),
    "metrics": ([], {"OTEL_METRICS_EXPORTER": "console"}),
    "sampling": (["--sample-rate", "0.1"], {"OTEL_METRICS_EXPORTER": "console"}),
}


def gen(case, n):
    path = case.file("chat-%d.agtrace" % n)
    if not os.path.exists(GEN):
        subprocess.run(["sh", os.path.join(b.BENCH, "build_tools.sh")], check=True)
    subprocess.run([GEN, "-o", path, "-n", str(n)], check=True)
    return path


def run(path, mode, want):
    """Returns (wall s, peak RSS MiB) of one analyze run, checking that
    every call became a span and, when sampling, that every trace was held
    and decided."""
    args, env = MODES[mode]
    e = dict(os.environ, **env)
    t0 = time.perf_counter()
    p = subprocess.Popen([b.AGENTRACE, "analyze", path, "--exporter", "none"] + args,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e, text=True)
    _, err = p.communicate()
    took = time.perf_counter() - t0
    # every call an LLM span (the graph adds its own spans beside them)
    m = re.search(r"spans: built=\d+ dropped=\d+ genai_exchanges=(\d+)", err)
    if p.returncode != 0 or not m or int(m.group(1)) != want:
        raise RuntimeError("analyze %s (%s): exit %d: %s" % (path, mode, p.returncode, err[-600:]))
    if mode == "sampling" and want:
        s = re.findall(r"sample: .*", err)[-1]
        d = dict(kv.split("=") for kv in s.split()[1:])
        if int(d["traces_kept"]) + int(d["traces_dropped"]) != want:
            raise RuntimeError("sampling decided %s: %s" % (want, s))
    return took


def peak_rss(path, mode):
    """Peak RSS (MiB) of one run, from the kernel's accounting of the child."""
    args, env = MODES[mode]
    e = dict(os.environ, **env)
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execve(b.AGENTRACE, [b.AGENTRACE, "analyze", path, "--exporter", "none"] + args, e)
    _, status, ru = os.wait4(pid, 0)
    if status != 0:
        raise RuntimeError("analyze %s (%s) failed: %d" % (path, mode, status))
    return ru.ru_maxrss / 1024.0


IDLE_S = 5.0


def idle_cpu(case, metrics):
    """CPU seconds per second of an idle live daemon, metrics "otlp" (to a
    port nothing listens on; the first export is a minute away) or "none"."""
    old = dict(os.environ)
    os.environ.update(OTEL_METRICS_EXPORTER=metrics,
                      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT="http://127.0.0.1:9/v1/metrics")
    try:
        ar = b.Agentrace(case, ["--comm", "nosuchcomm-b", "--exporter", "none"],
                         name="idle-" + metrics)
    finally:
        os.environ.clear()
        os.environ.update(old)
    try:
        time.sleep(1.0)
        c0 = b.cpu_s([ar.p.pid])
        time.sleep(IDLE_S)
        return (b.cpu_s([ar.p.pid]) - c0) / IDLE_S
    finally:
        ar.stop()


def idle_rows(case):
    on, off = [], []
    for _ in range(3):
        off.append(100 * idle_cpu(case, "none"))
        on.append(100 * idle_cpu(case, "otlp"))
    med_off = b.spread(off)[1]
    case.row("idle daemon CPU, OTLP metrics on", b.spread(on)[1], med_off,
             b.spread(on)[1] / med_off if med_off else None, "<= 1 %", on, "% of a core")
    case.row("idle daemon CPU, metrics off", med_off, None, None, "-", off, "% of a core")


def main():
    b.need(b.AGENTRACE)
    case = b.Case("keep", "agentrace analyze on a bench/gen_capture file of %d non-streaming "
                  "OpenAI calls (one trace each), --exporter none: plain, with metrics "
                  "(OTEL_METRICS_EXPORTER=console), and with metrics plus --sample-rate 0.1 "
                  "holding all %d traces to the end; minus a 0-call file; %d paired rounds"
                  % (N, N, RUNS))
    base = gen(case, 0)
    path = gen(case, N)
    run(path, "plain", N)  # warm the page cache
    ns = {m: [] for m in MODES}
    rss = {m: [] for m in MODES}
    for i in range(RUNS):
        t0 = run(base, "plain", 0)
        for m in MODES:
            ns[m].append((run(path, m, N) - t0) * 1e9 / N)
            rss[m].append(peak_rss(path, m))
        b.log("round %d: %s" % (i + 1, ", ".join(
            "%s %.0f ns/call %.1f MiB" % (m, ns[m][-1], rss[m][-1]) for m in MODES)))
    for m in MODES:
        med = b.spread(ns[m])[1]
        if m == "plain":
            case.row("wall time per call, plain", med, None, None, "-", ns[m], "ns")
            continue
        ratios = [x / y for x, y in zip(ns[m], ns["plain"])]
        case.row("wall time per call, %s" % m, med, b.spread(ns["plain"])[1],
                 b.spread(ratios)[1], "-", ratios, "ns")
    for m in MODES:
        med = b.spread(rss[m])[1]
        if m == "plain":
            case.row("peak RSS, plain", med, None, None, "-", rss[m], "MiB")
            continue
        ratios = [x / y for x, y in zip(rss[m], rss["plain"])]
        case.row("peak RSS, %s%s" % (m, " (%d traces held)" % N if m == "sampling" else ""),
                 med, b.spread(rss["plain"])[1], b.spread(ratios)[1],
                 "<= 128 MiB" if m == "sampling" else "-", ratios, "MiB")
    idle_rows(case)
    case.finish()


if __name__ == "__main__":
    main()
