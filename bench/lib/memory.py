# SPDX-License-Identifier: MIT
"""Case memory: agentrace's resident memory idle, holding 10k traced
connections, and before/after 1,000 short-lived traced processes.

RSS is read from /proc/PID/smaps. The BPF ring buffer's data pages are
mapped twice into the daemon (so a record can wrap), and VmRSS counts both
copies: with the default 32 MiB ring that is 64 MiB of VmRSS for 32 MiB of
kernel memory. Each phase reports VmRSS and the RSS outside BPF mappings
(the daemon's own heap, stacks and code)."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

CONNS = int(os.environ.get("BENCH_MEM_CONNS", "10000"))
CHURN = int(os.environ.get("BENCH_MEM_CHURN", "1000"))
MB = 1024.0


def sample_rss(ar, n=5, every=0.5):
    out = []
    for _ in range(n):
        out.append(ar.rss_kb())
        time.sleep(every)
    return out


def idle(case, extra, label, goal):
    ar = b.Agentrace(case, ["--exporter", "none"] + extra)
    try:
        time.sleep(1.0)
        s = sample_rss(ar)
    finally:
        ar.stop()
    v = [x[0] / MB for x in s]
    own = [x[1] / MB for x in s]
    case.row("RSS idle%s" % label, b.spread(v)[1], None, None, goal, v, "MiB")
    case.row("RSS idle%s, outside BPF maps" % label, b.spread(own)[1], None, None,
             goal, own, "MiB")


def held_conns(case, ng):
    go, done = case.file("hold.go"), case.file("hold.done")
    client = subprocess.Popen([sys.executable, os.path.join(b.LIB, "hold_conns.py"),
                               "--port", str(ng.port), "--count", str(CONNS),
                               "--go", go, "--done", done, "--hold", "120"],
                              stderr=open(case.file("hold.err"), "wb"),
                              preexec_fn=lambda: b.raise_nofile(CONNS + 1024))
    ar = b.Agentrace(case, ["--pid", str(client.pid), "--exporter", "none"])
    try:
        before = ar.rss_kb()
        t0 = time.monotonic()
        open(go, "w").close()
        b.wait_for(lambda: os.path.exists(done) or client.poll() is not None, 120,
                   "%d connections" % CONNS)
        if client.poll() is not None:
            raise RuntimeError("client failed: " + open(case.file("hold.err")).read()[-500:])
        took = time.monotonic() - t0
        time.sleep(1.0)
        s = sample_rss(ar, 3, 1.0)
    finally:
        client.terminate()
        client.wait()
        stats = ar.stop()
    v = [x[0] / MB for x in s]
    own = [x[1] / MB for x in s]
    case.row("RSS with %d open traced connections" % CONNS, b.spread(v)[1],
             before[0] / MB, b.spread(v)[1] / (before[0] / MB), "<= 128 MiB", v, "MiB")
    case.row("RSS with %d open traced connections, outside BPF maps" % CONNS,
             b.spread(own)[1], before[1] / MB, b.spread(own)[1] / (before[1] / MB),
             "<= 128 MiB", own, "MiB")
    case.note("%d connections opened and answered in %.1f s; agentrace conns %s; kernel %s"
              % (CONNS, took, stats.get("conns"), stats.get("kernel")))


def churn(case, ng):
    ca = ng.ca
    ar = b.Agentrace(case, ["--comm", "curl", "--exporter", "none"])
    argv = ["curl", "-s", "-o", "/dev/null", "--cacert", ca, ng.tls_url + "/"]
    try:
        for _ in range(50):  # warm up: first-time allocations are not growth
            subprocess.run(argv, check=True)
        time.sleep(1.0)
        base = ar.rss_kb()
        points = []
        t0 = time.monotonic()
        step = max(1, CHURN // 4)
        for i in range(1, CHURN + 1):
            subprocess.run(argv, check=True)
            if i % step == 0:
                points.append((i, ar.rss_kb()))
        took = time.monotonic() - t0
        time.sleep(2.0)
        after = ar.rss_kb()
    finally:
        stats = ar.stop()
    ratios = [p[1][1] / base[1] for p in points] + [after[1] / base[1]]
    case.row("RSS outside BPF maps after %d traced processes" % CHURN, after[1] / MB,
             base[1] / MB, after[1] / base[1], "<= 1.0 (no growth)", ratios, "MiB")
    case.note("churn: %d curl processes (one HTTPS GET each) in %.1f s; RSS outside BPF "
              "maps at %s MiB; VmRSS before %.1f after %.1f MiB; kernel %s; conns %s"
              % (CHURN, took, [(i, round(r[1] / MB, 2)) for i, r in points],
                 base[0] / MB, after[0] / MB, stats.get("kernel"), stats.get("conns")))


def main():
    b.need("nginx", "curl", b.AGENTRACE)
    case = b.Case("memory",
                  "agentrace RSS: idle (default settings, 32 MiB ring, and "
                  "--ringbuf-mb 4), 5 samples over 2.5 s; --pid on a client holding %d "
                  "plaintext keep-alive connections to nginx, each after one GET; "
                  "--comm curl while %d curl processes make one HTTPS GET each, one "
                  "after another, RSS after every quarter" % (CONNS, CHURN))
    idle(case, [], "", "<= 40 MiB")
    idle(case, ["--ringbuf-mb", "4"], " (--ringbuf-mb 4)", "<= 40 MiB")
    ng = b.Nginx(case, conns=CONNS + 2048)
    try:
        held_conns(case, ng)
        churn(case, ng)
    finally:
        ng.stop()
    case.finish()


if __name__ == "__main__":
    main()
