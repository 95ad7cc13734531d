# SPDX-License-Identifier: MIT
"""Case node_overhead: what agentrace costs traffic it does not trace.

wrk (CPU 0) against nginx (CPU 1) over plaintext HTTP on 127.0.0.1, a
small static file, keep-alive. Each round runs the configurations back to
back, and every other round in reverse order, so that neither slow drift
of the shared box nor a configuration's place in the round (A first, B
always right after it, measured at 0.89 with nothing attached) biases a
ratio:
  A  no agentrace
  B  agentrace --comm <nobody>: nothing is a target, so no syscall
     tracepoint is attached at all (lazy tracepoints, capture/tp_gate.h)
  L  agentrace --pid <a sleeping process>: a target lives, so every
     syscall tracepoint is attached and fires for wrk and nginx, which
     are no targets (the floor-limited case: L/F is agentrace's
     untargeted path beyond reaching a program)
  C  agentrace with no filter: nginx and wrk are traced, every exchange parsed
  D  HTTPS (TLS 1.3 over the same nginx), no agentrace
  E  HTTPS, agentrace --comm <nobody>: nothing is a target, so neither wrk
     nor nginx may carry an OpenSSL uprobe (issue #13); E/D is the row
     "HTTPS untargeted"
  F  plaintext, the floor: build/bench/floor_tracepoints, EMPTY programs on
     exactly the tracepoints agentrace attaches; B/F is what agentrace's
     untargeted path costs beyond reaching a program at all
  R  (only when BENCH_CONFIGS names it) plaintext, empty programs on
     raw_syscalls sys_enter/sys_exit instead: every syscall runs one, but
     without the per-syscall perf buffer; R/A asks whether moving to raw
     tracepoints would lower the floor
  S  (only when BENCH_CONFIGS names it) plaintext, empty programs on the
     socket-layer tracepoints sock:sock_send_length, sock:sock_recv_length
     and sock:inet_sock_set_state instead (floor_tracepoints --sock): only
     socket I/O reaches a program and no syscall takes the tracing slow
     path; S/A is the floor a capture built on them would have
  H  (only when BENCH_CONFIGS names it) plaintext, S plus empty programs on
     agentrace's syscall tracepoints other than the data ones (connect,
     accept, close, mmap: floor_tracepoints --hybrid): the floor of a
     capture that moves only its data path to the socket layer
  P  plaintext, agentrace --promote --llm-host localhost with an agent
     beside nginx: a python process calling a second nginx's
     /v1/chat/completions over HTTPS with SNI localhost every 50 ms (after
     one handshake and a pause, so its promotion is not raced); every
     call of the agent must be a span
  G  plaintext, no agentrace, the same agent beside nginx: P/G is nginx's
     throughput "in default mode with an agent also running" against the
     same host untraced, so the agent's own CPU is not counted as cost
A ratio is B/A (or C/A) within one round; the spread is over rounds.
Throughput on a shared 2-CPU box swings with the neighbours' load, so each
run also reports CPU per request (wrk + nginx + agentrace CPU seconds /
requests), which hardly does; its ratio is A's over B's (or C's), so that
0.99 means the same thing in both rows.
One extra B, C, E and Q (plaintext, --promote, no agent: nginx untargeted)
run with kernel.bpf_stats_enabled measures the kernel time of agentrace's
programs per request, and how often each runs per request.
BENCH_CONFIGS (default ABLCDEFGP) picks the configurations of the rounds;
BENCH_STATS (default FBLCEQ) picks the bpf_stats runs ("" for none)."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNS = 16

NOBODY = ["--comm", "bench-nobody", "--scoped-uprobes", "--exporter", "none"]
LIVE = ["--scoped-uprobes", "--exporter", "none"]  # + --pid of a sleeper
PROMOTE = ["--promote", "--llm-host", "localhost", "--exporter", "file"]
FLOOR = ["floor"]  # not agentrace: build/bench/floor_tracepoints
RAW_FLOOR = ["floor", "--raw"]
SOCK_FLOOR = ["floor", "--sock"]
HYBRID_FLOOR = ["floor", "--hybrid"]
FLOOR_BIN = os.path.join(b.ROOT, "build", "bench", "floor_tracepoints")
CAPTURE_O = os.path.join(b.ROOT, "build", "bpf", "capture.bpf.o")
CONFIGS = {"A": None, "B": NOBODY, "L": LIVE, "C": ["--exporter", "none"], "D": None,
           "E": NOBODY,
           "F": FLOOR, "R": RAW_FLOOR, "S": SOCK_FLOOR, "H": HYBRID_FLOOR, "G": None, "P": PROMOTE, "Q": PROMOTE}
PICKED = os.environ.get("BENCH_CONFIGS", "ABLCDEFGP")
WITH_AGENT = ("G", "P")
STATS = os.environ.get("BENCH_STATS", "FBLCEQ")

AGENT = r"""
import http.client, signal, socket, ssl, sys, time
port, ca, prefix = int(sys.argv[1]), sys.argv[2], sys.argv[3]
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
ctx = ssl.create_default_context(cafile=ca)
c = http.client.HTTPSConnection("localhost", port, context=ctx)
c.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                         server_hostname="localhost")
time.sleep(0.5)
i = 0
while not stop:
    m = "%s-%d" % (prefix, i)
    c.request("POST", "/v1/chat/completions", headers={"content-type": "application/json"},
              body='{"model":"%s","messages":[{"role":"user","content":"hi"}]}' % m)
    r = c.getresponse()
    r.read()
    if r.status == 200:
        print(m, flush=True)
    i += 1
    time.sleep(0.05)
"""
TLS = ("D", "E")


class Floor:
    """floor_tracepoints running until stop(); .p as Agentrace's."""

    def __init__(self, mode=None):
        argv = [FLOOR_BIN] + ([mode] if mode else []) + \
            ([CAPTURE_O] if mode in (None, "--hybrid") else [])
        self.p = subprocess.Popen(argv,
                                  stdout=subprocess.PIPE,
                                  start_new_session=True)
        if b"READY" not in self.p.stdout.readline():
            self.stop()
            raise RuntimeError("floor_tracepoints did not start")

    def stop(self):
        self.p.terminate()
        self.p.wait(20)
        return {}


def one_run(case, ng, args, with_stats=False, tls=False, llm=None):
    spans = case.file("promote-spans.jsonl")
    if args is PROMOTE:
        args = args + ["--output", spans]
        if os.path.exists(spans):
            os.unlink(spans)
    sleeper = None
    if args is LIVE:
        sleeper = subprocess.Popen(["sleep", "3600"])
        args = args + ["--pid", str(sleeper.pid)]
    if args in (FLOOR, RAW_FLOOR, SOCK_FLOOR, HYBRID_FLOOR):
        ar = Floor(mode=args[1] if len(args) > 1 else None)
    else:
        ar = b.Agentrace(case, args, name="agentrace") if args is not None else None
    before = b.prog_stats(ar.p.pid) if (ar and with_stats) else None
    agent = None
    if llm:
        agent = subprocess.Popen([sys.executable, "-c", AGENT, str(llm.tls_port), llm.ca,
                                  "bench-agent-%d" % os.getpid()], stdout=subprocess.PIPE)
    try:
        r = b.wrk_cpu((ng.tls_url if tls else ng.url) + "/", SECONDS, CONNS, 0, ng.pids(),
                      ar.p.pid if ar else None)
    finally:
        if agent:
            agent.terminate()
            r["agent_calls"] = agent.communicate(timeout=30)[0].decode().split()
        if ar:
            after = b.prog_stats(ar.p.pid) if with_stats else None
            time.sleep(1.0 if agent else 0)  # the last spans reach the file
            r["stats"] = ar.stop()
            if with_stats:
                r["progs"] = b.prog_delta(after, before)
    if sleeper:
        sleeper.kill()
        sleeper.wait()
    if agent and args is not None:
        _, seen = b.count_spans(spans, "gen_ai.request.model")
        r["agent_seen"] = sum(1 for m in r["agent_calls"] if m in seen)
    return r


def main():
    b.need("wrk", "nginx", "taskset", b.AGENTRACE)
    case = b.Case("node_overhead",
                  "wrk -t1 -c%d GET / (small static file) against nginx, plaintext "
                  "HTTP on 127.0.0.1, wrk on CPU 0 and nginx on CPU 1, agentrace "
                  "unpinned; %d interleaved rounds of A (untraced), B (--comm "
                  "bench-nobody: tracepoints detached), L (--pid of a sleeping "
                  "process: tracepoints attached, wrk and nginx untargeted), C (no filter), D (HTTPS untraced), E (HTTPS, --comm "
                  "bench-nobody), F (empty programs on agentrace's tracepoints), P (--promote, an agent calling a second nginx over "
                  "HTTPS beside it), G (the same agent, untraced); every other round in reverse order; %d s each" % (CONNS, ROUNDS, SECONDS))
    case.partial_if("BENCH_CONFIGS", "ABLCDEFGP")
    case.partial_if("BENCH_STATS", "FBLCEQ")
    if set("FRSH") & set(PICKED):
        b.need(FLOOR_BIN)
    ng = b.Nginx(case, cpu=1)
    llm = b.Nginx(case, name="llm")
    res = {k: [] for k in CONFIGS if k in PICKED}
    try:
        b.wrk(ng.url + "/", 1, CONNS, cpu=0)  # warm up nginx and the page cache
        b.wrk(ng.tls_url + "/", 1, CONNS, cpu=0)
        for i in range(ROUNDS):
            for k in (list(res) if i % 2 == 0 else list(reversed(res))):
                args = CONFIGS[k]
                r = one_run(case, ng, args, tls=k in TLS,
                            llm=llm if k in WITH_AGENT else None)
                res[k].append(r)
                b.log("round %d %s: %.0f req/s" % (i + 1, k, r["rps"]))
        extra = {}
        if STATS:
            with b.BpfStats():
                extra = {k: one_run(case, ng, CONFIGS[k], with_stats=True, tls=k in TLS)
                         for k in ("F", "R", "S", "H", "B", "L", "C", "E", "Q")
                         if k in STATS}
    finally:
        ng.stop()
        llm.stop()

    for k, base, metric, goal in (
            ("B", "A", "throughput, untargeted (--comm other), tracepoints detached",
             ">= 0.99"),
            ("L", "A", "throughput, untargeted while a target is live (--pid sleeper)", "-"),
            ("F", "A", "throughput, floor: empty programs on the same tracepoints", "-"),
            ("L", "F", "throughput, untargeted while a target is live vs the floor", "-"),
            ("R", "A", "throughput, raw_syscalls floor: empty sys_enter/sys_exit", "-"),
            ("S", "A", "throughput, socket-layer floor: empty sock_send_length/"
             "sock_recv_length/inet_sock_set_state", "-"),
            ("S", "F", "throughput, socket-layer floor vs the syscall floor", "-"),
            ("H", "A", "throughput, hybrid floor: socket-layer data, syscall lifecycle", "-"),
            ("H", "F", "throughput, hybrid floor vs the syscall floor", "-"),
            ("C", "A", "throughput, everything traced (default)", "-"),
            ("E", "D", "throughput, HTTPS untargeted (--comm other)", ">= 0.97"),
            ("G", "A", "throughput, untraced with an agent beside nginx", "-"),
            ("P", "G", "throughput, --promote with an agent beside nginx", ">= 0.95"),
            ("P", "A", "throughput, --promote with an agent beside nginx vs no agent", "-")):
        if k not in res or base not in res:
            continue
        a = [r["rps"] for r in res[base]]
        v = [r["rps"] for r in res[k]]
        ratios = [x / y for x, y in zip(v, a)]
        case.row(metric, b.spread(v)[1], b.spread(a)[1], b.spread(ratios)[1], goal,
                 ratios, "req/s")
        cv = [r["cpu_us_per_req"] for r in res[k]]
        ca = [r["cpu_us_per_req"] for r in res[base]]
        cr = [y / x for x, y in zip(cv, ca)]
        case.row(metric.replace("throughput", "CPU per request"), b.spread(cv)[1],
                 b.spread(ca)[1], b.spread(cr)[1], goal, cr, "us, ratio untraced/traced")
    if "P" in res:
        # what bounded capture and verdicts leave to the daemon (issue #13)
        own = [r["tracer_cpu_s"] * 1e6 / max(1, r["requests"]) for r in res["P"]]
        case.row("agentrace's own CPU per request, --promote with an agent beside nginx",
                 b.spread(own)[1], None, None, "-", own, "us")
        made = sum(len(r["agent_calls"]) for r in res["P"])
        seen = sum(r["agent_seen"] for r in res["P"])
        case.row("agent's LLM calls captured beside nginx (--promote)", seen, made,
                 seen / max(1, made), "1.0",
                 [r["agent_seen"] / max(1, len(r["agent_calls"])) for r in res["P"]],
                 "calls")
    for k, label in (("F", "floor (empty programs)"), ("R", "raw_syscalls floor"),
                     ("S", "socket-layer floor"), ("H", "hybrid floor"),
                     ("B", "untargeted, tracepoints detached"),
                     ("L", "untargeted while a target is live"), ("C", "everything traced"),
                     ("E", "HTTPS untargeted"), ("Q", "untargeted, --promote")):
        if k not in extra:
            continue
        r = extra[k]
        reqs = max(1, r["requests"])
        total_ns = sum(v[1] for v in r["progs"].values())
        per_req = total_ns / reqs
        runs = sum(v[0] for v in r["progs"].values()) / reqs
        top = sorted(r["progs"].items(), key=lambda kv: -kv[1][1])[:10]
        case.row("BPF time per request, %s" % label, per_req, None, None, "-",
                 [per_req], "ns")
        case.row("BPF program runs per request, %s" % label, runs, None, None, "-",
                 [runs], "runs")
        case.note("%s: bpf programs %s" % (label, ", ".join(
            "%s %.2f runs/req %.0f ns/run" % (n, c / reqs, t / max(1, c))
            for n, (c, t) in top)))
        if r["stats"]:
            case.note("%s: agentrace kernel stats %s" % (label, r["stats"].get("kernel", {})))
    case.note("runs per config, req/s: %s" % {k: [round(r["rps"]) for r in v]
                                              for k, v in res.items()})
    case.note("runs per config, CPU us/request (client+server+tracer): %s" % {
        k: [[round(r[x] * 1e6 / r["requests"], 1) for x in
             ("client_cpu_s", "server_cpu_s", "tracer_cpu_s")] for r in v]
        for k, v in res.items()})
    case.finish()


if __name__ == "__main__":
    main()
