# SPDX-License-Identifier: MIT
"""Case loss: does every LLM call under load become a span?

Real TLS clients (wrk, libssl.so.3, 2 threads x 64 keep-alive connections)
make OpenAI chat completion calls at a fixed offered rate (bench/lib/chat.lua:
open-loop schedule) against the fast mock LLM (nginx returning a fixed chat
completion with a unique id per call). Nothing is pinned: the question is
whether agentrace keeps up, not what it costs the client (tls_traced).
agentrace --comm wrk exports spans to a file. For each rate: distinct
response ids among the spans / calls completed (wrk's count), and
agentrace's drop counters. Spans without a response id are the calls in
flight when wrk stopped (sent, never answered); they are reported apart.
tests/e2e/mock_llm_server.py tops out near 4.5k calls/s on one core here,
below the top rate, hence nginx."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

RATES = [int(x) for x in os.environ.get("BENCH_LOSS_RATES", "500,1000,2000,5000").split(",")]
RUNS = int(os.environ.get("BENCH_LOSS_RUNS", "2"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "6"))
CONNS = 128
THREADS = 2


def one_run(case, ng, rate):
    out = case.file("spans-%d.jsonl" % rate)
    if os.path.exists(out):
        os.unlink(out)
    ar = b.Agentrace(case, ["--comm", "wrk", "--exporter", "file", "--output", out])
    try:
        r = b.wrk(ng.tls_url + "/v1/chat/completions", SECONDS, CONNS, threads=THREADS,
                  script=os.path.join(b.LIB, "chat.lua"),
                  env={"BENCH_RATE": str(rate / THREADS)})
    finally:
        r_stats = ar.stop()
    spans, ids = b.count_spans(out, "gen_ai.response.id")
    r.update(stats=r_stats, spans=spans, ids=len(ids), drops=b.drop_counters(r_stats))
    return r


def main():
    b.need("wrk", "nginx", "taskset", b.AGENTRACE)
    case = b.Case("loss",
                  "wrk -t2 -c%d POST /v1/chat/completions over HTTPS (keep-alive, "
                  "libssl) at offered rates %s calls/s, %d s per run, %d runs per "
                  "rate, against nginx returning a fixed OpenAI chat completion with "
                  "a unique id; agentrace --comm wrk --exporter file; nothing pinned" % (CONNS, RATES, SECONDS, RUNS))
    ng = b.Nginx(case)
    res = {rate: [] for rate in RATES}
    try:
        for i in range(RUNS):
            for rate in RATES:
                r = one_run(case, ng, rate)
                res[rate].append(r)
                b.log("run %d at %d/s: %d calls (%.0f/s, %d errors), %d spans, %d ids, drops %s"
                      % (i + 1, rate, r["requests"], r["rps"], r["errors"], r["spans"],
                         r["ids"], r["drops"]))
    finally:
        ng.stop()

    for rate in RATES:
        rs = res[rate]
        ratios = [r["ids"] / max(1, r["requests"]) for r in rs]
        calls = sum(r["requests"] for r in rs)
        spans = sum(r["ids"] for r in rs)
        goal = "1.0 (0 loss)" if rate == max(RATES) else "-"
        case.row("calls with a span at %d calls/s (achieved %.0f/s)" %
                 (rate, b.spread([r["rps"] for r in rs])[1]),
                 spans, calls, spans / max(1, calls), goal, ratios, "spans")
        drops = {}
        for r in rs:
            for k, v in r["drops"].items():
                drops[k] = drops.get(k, 0) + v
        case.note("%d/s: kernel events %s, drop counters %s, spans %s, distinct ids %s, "
                  "calls %s, wrk errors %s" % (
                      rate, [r["stats"].get("kernel", {}).get("events") for r in rs],
                      drops or "none", [r["spans"] for r in rs], [r["ids"] for r in rs],
                      [r["requests"] for r in rs], [r["errors"] for r in rs]))
    case.finish()


if __name__ == "__main__":
    main()
