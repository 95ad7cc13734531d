# SPDX-License-Identifier: MIT
"""Case tls_traced: what tracing a TLS client costs it.

wrk (CPU 0, linked to libssl.so.3) against nginx (CPU 1) over HTTPS on
127.0.0.1, GET / (small static file), keep-alive. Interleaved rounds of
  A  untraced
  B  agentrace --comm wrk (uprobes on SSL_read/SSL_write, the full pipeline)
  C  bpftrace ssl_copy.bt: uprobe+uretprobe on SSL_read/SSL_write for comm
     wrk, copying the buffer to userspace (BPFTRACE_STRLEN=200 bytes at most)
  F  the floor (issue #13): build/bench/floor_probes, EMPTY uprobe+uretprobe
     programs on SSL_read/SSL_write's entries attached inside wrk's process
     only (wrk waits at a gate until they are), where every uprobe tracer
     of OpenSSL (bpftrace, C) puts them
  P  the floor at agentrace's own points: the same empty programs at the
     file offsets of agentrace's plan for this libssl (--list-tls). Since
     agentrace probes the internal function SSL_read/SSL_write both call
     (user/discover/tls_wrapper.h), P is far below F; B/P is what
     agentrace's work costs on top of its traps, B/F what tracing costs
     against the usual probe points
  W  agentrace with AGENTRACE_NO_TLS_INTERNAL=1: its probes on the
     wrappers' entries, as before tls_wrapper.h (B/W: that change alone)
  O  only with BENCH_BASE_AGENTRACE=PATH: B run by another build of
     agentrace (say, main's), for a same-run A/B of a change (B/O)
Every other round runs in reverse order. A ratio is B/A (C/A) within one round; the spread is over rounds. Each run
also reports CPU per request (wrk + nginx + tracer CPU seconds / requests),
which the neighbours' load hardly moves; its ratio is A's over B's (C's)."""

import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

FLOOR = os.path.join(b.ROOT, "build", "bench", "floor_probes")
NO_INTERNAL = "AGENTRACE_NO_TLS_INTERNAL"


def plan_points():
    """["e:OFF", "r:OFF", ...]: where agentrace's plan for b.LIBSSL puts
    its SSL_read/SSL_write probes, from --list-tls of a process that has
    it loaded."""
    holder = subprocess.Popen(["python3", "-c", "import ssl, sys; sys.stdin.read()"],
                              stdin=subprocess.PIPE)
    try:
        time.sleep(0.5)
        out = subprocess.run([b.AGENTRACE, "--list-tls", str(holder.pid)], capture_output=True,
                             text=True, timeout=60).stdout
    finally:
        holder.communicate(b"")
    pts, mine = [], False
    for line in out.splitlines():
        if line.startswith("  /"):
            mine = os.path.realpath(line.split(":")[0].strip().split("/root", 1)[-1]) == \
                os.path.realpath(b.LIBSSL)
        m = re.match(r"\s+SSL_(?:read|write)(?:_ex)?\s+(uprobe|return)\s+at file offset "
                     r"(0x[0-9a-f]+)", line)
        if mine and m:
            pts.append("%s:%s" % ("r" if m.group(1) == "return" else "e", m.group(2)))
    if not pts:
        raise RuntimeError("no SSL_read/SSL_write probes for %s in --list-tls: %s"
                           % (b.LIBSSL, out[-1500:]))
    return pts

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNS = 16
BASE = os.environ.get("BENCH_BASE_AGENTRACE")


class Bpftrace:
    """bpftrace running ssl_copy.bt, or (with pid) build/bench/floor_probes
    inside that process; output is read and thrown away."""

    def __init__(self, case, pid=None, points=()):
        text = open(os.path.join(b.LIB, "ssl_copy.bt")).read()
        text = text.replace("@LIBSSL@", b.LIBSSL).replace("@COMM@", "wrk")
        path = case.file("ssl_copy.bt")
        with open(path, "w") as f:
            f.write(text)
        env = dict(os.environ, BPFTRACE_STRLEN="200")
        argv = ["bpftrace", path]
        if pid:
            argv = [FLOOR, str(pid), b.LIBSSL] + list(points)
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                  stderr=open(case.file("bpftrace.err"), "wb"),
                                  env=env, start_new_session=True)
        self.ready = threading.Event()
        self.bytes = 0
        self.t = threading.Thread(target=self._drain, daemon=True)
        self.t.start()
        if not self.ready.wait(60):
            self.stop()
            raise RuntimeError("bpftrace did not start: " +
                               open(case.file("bpftrace.err")).read()[-1000:])

    def _drain(self):
        fd = self.p.stdout.fileno()
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return
            self.bytes += len(chunk)
            if not self.ready.is_set() and b"READY" in chunk:
                self.ready.set()

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(2)
        try:
            self.p.wait(20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.t.join(5)


def one_run(case, ng, mode, with_stats=False, points=()):
    tracer = None
    gated = {}
    before = None

    def floor(pid):
        gated["t"] = Bpftrace(case, pid=pid, points=points if mode == "P" else ())
    if mode in ("B", "O", "W"):
        tracer = b.Agentrace(case, ["--comm", "wrk", "--scoped-uprobes", "--exporter", "none"],
                             binary=BASE if mode == "O" else None,
                             env={NO_INTERNAL: "1"} if mode == "W" else None)
        before = b.prog_stats(tracer.p.pid) if with_stats else None
    elif mode == "C":
        tracer = Bpftrace(case)
    try:
        if mode in ("F", "P"):
            # The floor tracer exists only once wrk's pid does: no tracer
            # CPU is counted for it (empty programs do their work in wrk).
            r = b.wrk_cpu(ng.tls_url + "/", SECONDS, CONNS, 0, ng.pids(), before=floor)
        else:
            r = b.wrk_cpu(ng.tls_url + "/", SECONDS, CONNS, 0, ng.pids(),
                          tracer.p.pid if tracer else None)
        tracer = tracer or gated.get("t")
    finally:
        if tracer:
            if before is not None:
                r["progs"] = b.prog_delta(b.prog_stats(tracer.p.pid), before)
            r["stats"] = tracer.stop()
    return r


def main():
    b.need("wrk", "nginx", "bpftrace", "taskset", b.AGENTRACE)
    case = b.Case("tls_traced",
                  "wrk -t1 -c%d GET / (small static file) against nginx over HTTPS "
                  "(TLS 1.3, keep-alive) on 127.0.0.1, wrk on CPU 0, nginx on CPU 1, "
                  "tracers unpinned; %d interleaved rounds of A (untraced), B "
                  "(agentrace --comm wrk), C (bpftrace SSL_read/SSL_write uprobes "
                  "copying <= 200 bytes), F (floor_probes: empty SSL_read/SSL_write "
                  "uprobes and uretprobes on the functions' entries inside wrk only), P "
                  "(the same at agentrace's own probe points), W (agentrace with its "
                  "probes on the wrappers' entries, AGENTRACE_NO_TLS_INTERNAL=1), %d s each"
                  % (CONNS, ROUNDS, SECONDS))
    points = plan_points()
    case.note("agentrace's points in %s (P): %s" % (b.LIBSSL, " ".join(points)))
    ng = b.Nginx(case, cpu=1)
    res = {"A": [], "B": [], "F": [], "P": [], "C": [], "W": []}  # B beside A, F and P
    if BASE:
        res["O"] = []
    try:
        b.wrk(ng.tls_url + "/", 1, CONNS, cpu=0)
        for i in range(ROUNDS):
            # every other round reversed: no ratio carries a place-in-round bias
            for k in (list(res) if i % 2 == 0 else list(reversed(res))):
                r = one_run(case, ng, k, points=points)
                res[k].append(r)
                b.log("round %d %s: %.0f req/s" % (i + 1, k, r["rps"]))
        with b.BpfStats():
            extra = one_run(case, ng, "B", with_stats=True)
            base = one_run(case, ng, "O", with_stats=True) if BASE else None
    finally:
        ng.stop()

    a = [r["rps"] for r in res["A"]]
    bb = [r["rps"] for r in res["B"]]
    c = [r["rps"] for r in res["C"]]
    rb = [x / y for x, y in zip(bb, a)]
    rc = [x / y for x, y in zip(c, a)]
    case.row("throughput, agentrace --comm wrk", b.spread(bb)[1], b.spread(a)[1],
             b.spread(rb)[1], ">= 0.90", rb, "req/s")
    case.row("throughput, bpftrace SSL uprobes", b.spread(c)[1], b.spread(a)[1],
             b.spread(rc)[1], "-", rc, "req/s")
    vs = [x / y for x, y in zip(bb, c)]
    case.row("agentrace vs bpftrace", b.spread(bb)[1], b.spread(c)[1], b.spread(vs)[1],
             ">= 1.0", vs, "req/s")
    for k, name in (("F", "the floor at SSL_read/SSL_write's entries"),
                    ("P", "the floor at agentrace's own points")):
        fl = [r["rps"] for r in res[k]]
        rf = [x / y for x, y in zip(fl, a)]
        case.row("throughput, %s (empty probes inside wrk only)" % name, b.spread(fl)[1],
                 b.spread(a)[1], b.spread(rf)[1], "-", rf, "req/s")
        vf = [x / y for x, y in zip(bb, fl)]
        case.row("agentrace vs %s" % name, b.spread(bb)[1], b.spread(fl)[1], b.spread(vf)[1],
                 ">= 0.90", vf, "req/s")
    w = [r["rps"] for r in res["W"]]
    vw = [x / y for x, y in zip(bb, w)]
    case.row("agentrace vs agentrace probing the wrappers' entries (%s=1)" % NO_INTERNAL,
             b.spread(bb)[1], b.spread(w)[1], b.spread(vw)[1], "-", vw, "req/s")
    cpu = {k: [r["cpu_us_per_req"] for r in v] for k, v in res.items()}
    for k, metric, goal in (("B", "CPU per request, agentrace --comm wrk", ">= 0.90"),
                            ("C", "CPU per request, bpftrace SSL uprobes", "-"),
                            ("P", "CPU per request, the floor at agentrace's points", "-"),
                            ("W", "CPU per request, agentrace probing the wrappers' entries",
                             "-")):
        cr = [y / x for x, y in zip(cpu[k], cpu["A"])]
        case.row(metric, b.spread(cpu[k])[1], b.spread(cpu["A"])[1], b.spread(cr)[1],
                 goal, cr, "us, ratio untraced/traced")
    vp = [y / x for x, y in zip(cpu["B"], cpu["P"])]
    case.row("CPU per request, agentrace vs the floor at its points", b.spread(cpu["B"])[1],
             b.spread(cpu["P"])[1], b.spread(vp)[1], "-", vp, "us, ratio floor/agentrace")
    vs = [y / x for x, y in zip(cpu["B"], cpu["C"])]
    case.row("CPU per request, agentrace vs bpftrace", b.spread(cpu["B"])[1],
             b.spread(cpu["C"])[1], b.spread(vs)[1], ">= 1.0", vs,
             "us, ratio bpftrace/agentrace")
    case.note("runs per config, CPU us/request (client+server+tracer): %s" % {
        k: [[round(r[x] * 1e6 / r["requests"], 1) for x in
             ("client_cpu_s", "server_cpu_s", "tracer_cpu_s")] for r in v]
        for k, v in res.items()})
    if BASE:
        vo = [x / y for x, y in zip(bb, [r["rps"] for r in res["O"]])]
        case.row("agentrace vs the base build (%s)" % BASE, b.spread(bb)[1],
                 b.spread([r["rps"] for r in res["O"]])[1], b.spread(vo)[1], "-", vo,
                 "req/s")
        co = [y / x for x, y in zip(cpu["B"], cpu["O"])]
        case.row("CPU per request, agentrace vs the base build", b.spread(cpu["B"])[1],
                 b.spread(cpu["O"])[1], b.spread(co)[1], "-", co, "us, ratio base/this")
    for tag, run in (("", extra), (", base build", base)):
        if not run:
            continue
        total_ns = sum(v[1] for v in run["progs"].values())
        per_req = total_ns / max(1, run["requests"])
        case.row("BPF time per request, agentrace --comm wrk" + tag, per_req, None, None,
                 "-", [per_req], "ns")
        recs = run["stats"].get("kernel", {}).get("events", 0) / max(1, run["requests"])
        case.row("ring records per request, agentrace --comm wrk" + tag, recs, None, None,
                 "-", [recs], "records")
        top = sorted(run["progs"].items(), key=lambda kv: -kv[1][1])[:10]
        case.note("agentrace --comm wrk%s, bpf_stats: %s" % (tag, ", ".join(
            "%s %.2f runs/req %.0f ns/run" % (n, c / max(1, run["requests"]), t / max(1, c))
            for n, (c, t) in top if c)))
    last = res["B"][-1]["stats"]
    case.note("agentrace last run: kernel %s; http %s" % (last.get("kernel"), last.get("http")))
    case.note("agentrace drops over all runs: %s" % [b.drop_counters(r["stats"]) for r in res["B"]])
    case.note("runs per config: %s" % {k: [round(r["rps"]) for r in v] for k, v in res.items()})
    case.finish()


if __name__ == "__main__":
    main()
