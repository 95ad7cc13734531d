# SPDX-License-Identifier: MIT
"""Case inject: what --inject-traceparent costs a plaintext HTTP client.

wrk (CPU 0) against nginx (CPU 1) over plaintext HTTP/1.1 on 127.0.0.1,
GET / (small static file), keep-alive, 16 connections. Interleaved rounds
of
  A  untraced
  B  agentrace --comm wrk (capture only)
  I  agentrace --comm wrk --inject-traceparent (sockops + sk_msg: every
     request gets a traceparent header inserted in the kernel)
Ratios are within one round: I/B is the cost of injection on top of
tracing, I/A the whole. CPU per request counts wrk + nginx + agentrace."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNS = 16
ARGS = {"B": ["--comm", "wrk", "--exporter", "none"],
        "I": ["--comm", "wrk", "--exporter", "none", "--inject-traceparent"]}


def one_run(case, ng, mode):
    tracer = b.Agentrace(case, ARGS[mode]) if mode in ARGS else None
    try:
        before = b.prog_stats(tracer.p.pid) if tracer else {}
        r = b.wrk_cpu(ng.url + "/", SECONDS, CONNS, 0, ng.pids(),
                      tracer.p.pid if tracer else None)
        if tracer:
            r["progs"] = b.prog_delta(b.prog_stats(tracer.p.pid), before)
    finally:
        if tracer:
            r["stats"] = tracer.stop()
    return r


def bpf_ns_per_req(runs):
    """Median over runs of each program's BPF run time per request (ns)
    and runs per request: where the kernel side of the cost goes."""
    out = {}
    for name in sorted({n for r in runs for n in r.get("progs", {})}):
        per = [(r["progs"][name][1] / max(1, r["requests"]), r["progs"][name][0] /
                max(1, r["requests"])) for r in runs if name in r.get("progs", {})]
        if any(ns for ns, _ in per):
            out[name] = (round(b.spread([ns for ns, _ in per])[1]),
                         round(b.spread([c for _, c in per])[1], 2))
    return out


def main():
    b.need("wrk", "nginx", "taskset", b.AGENTRACE)
    case = b.Case("inject",
                  "wrk -t1 -c%d GET / (small static file) against nginx over plaintext "
                  "HTTP/1.1 (keep-alive) on 127.0.0.1, wrk on CPU 0, nginx on CPU 1; %d "
                  "interleaved rounds of A (untraced), B (agentrace --comm wrk), I "
                  "(agentrace --comm wrk --inject-traceparent), %d s each"
                  % (CONNS, ROUNDS, SECONDS))
    ng = b.Nginx(case, cpu=1)
    res = {"A": [], "B": [], "I": []}
    try:
        b.wrk(ng.url + "/", 1, CONNS, cpu=0)
        with b.BpfStats():
            for i in range(ROUNDS):
                for k in res:
                    r = one_run(case, ng, k)
                    res[k].append(r)
                    b.log("round %d %s: %.0f req/s" % (i + 1, k, r["rps"]))
    finally:
        ng.stop()
    rps = {k: [r["rps"] for r in v] for k, v in res.items()}
    for metric, num, den, goal in (
            ("throughput, --inject-traceparent vs capture only", "I", "B", ">= 0.90"),
            ("throughput, --inject-traceparent vs untraced", "I", "A", "-"),
            ("throughput, capture only vs untraced", "B", "A", "-")):
        ratio = [x / y for x, y in zip(rps[num], rps[den])]
        case.row(metric, b.spread(rps[num])[1], b.spread(rps[den])[1], b.spread(ratio)[1],
                 goal, ratio, "req/s")
    cpu = {k: [r["cpu_us_per_req"] for r in v] for k, v in res.items()}
    cr = [y / x for x, y in zip(cpu["I"], cpu["B"])]
    case.row("CPU per request, --inject-traceparent vs capture only", b.spread(cpu["I"])[1],
             b.spread(cpu["B"])[1], b.spread(cr)[1], "-", cr, "us, ratio capture/inject")
    for k in res:
        split = {w: round(b.spread([1e6 * r[w + "_cpu_s"] / max(1, r["requests"])
                                    for r in res[k]])[1], 1)
                 for w in ("client", "server", "tracer")}
        case.note("%s: CPU us per request by process (median): %s" % (k, split))
    for k in ARGS:
        case.note("%s: BPF ns per request and runs per request by program (median): %s"
                  % (k, bpf_ns_per_req(res[k])))
    case.note("agentrace --inject-traceparent last run: %s" %
              res["I"][-1]["stats"].get("inject"))
    case.note("runs per config: %s" % {k: [round(x) for x in v] for k, v in rps.items()})
    case.finish()


if __name__ == "__main__":
    main()
