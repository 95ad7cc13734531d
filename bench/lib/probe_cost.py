# SPDX-License-Identifier: MIT
"""Case probe_cost: what one traced TLS call costs, per probe kind.

A client does N round trips of 256 bytes (one write and one read call each)
over one TLS connection to an echo server on 127.0.0.1 (untraced):
  go   Go crypto/tls client: uprobes at entry and at every RET of
       (*tls.Conn).Write/Read (bench/go_pingpong), Go TLS echo server
  ssl  python ssl client: OpenSSL uprobe + uretprobe on SSL_write_ex/read_ex
  aead TLS 1.3 records sealed and opened through BoringSSL's EVP_AEAD_CTX
       API as rustls does (bench/aead_pingpong, Debian's android-libboringssl,
       located by its exported symbols): uprobe on seal, uprobe + uretprobe
       on open, uprobe on init; its own echo server (aead_echo)
  aead_http  the same with HTTP/1.1 chat requests and responses (~1 KB each)
       instead of 256 raw bytes: the added cost includes parsing and spans
Interleaved rounds (ABBA order, a 1 s pause after each run), each client
untraced and under agentrace --comm; client and echo server pinned to CPU
0, the daemon to CPU 1.
"Added CPU per call" is (client + agentrace CPU traced - client CPU
untraced) / (2 N), in microseconds; its ratio is over OpenSSL's in the
same round (aead_http's: over aead's). The BPF run time per program call
comes from kernel.bpf_stats_enabled and excludes the uprobe trap itself."""

import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
N = int(os.environ.get("BENCH_PINGPONG_N", "20000"))
# only these clients (comma-separated keys of `clients`), for a rerun
KINDS = os.environ.get("BENCH_PROBE_KINDS", "")
# after each run, before the next is measured
SETTLE_S = 1.0
# Client and echo server share CPU 0, the daemon has CPU 1: a ping-pong
# split over two vCPUs pays a cross-CPU wakeup per message, whose cost
# swung the AEAD client's untraced CPU 0.10-0.74 s for the same 20000
# round trips (and its traced runs came out cheaper than untraced, the
# probes' delay sparing the client a blocking read); on one CPU it is
# 0.10-0.11 s.
PIN = ["taskset", "-c", "0"]
DAEMON_CPU = 1
SIZE = 256
GO_SRC = os.path.join(b.BENCH, "go_pingpong")
PY = os.path.realpath(sys.executable)


def build_go(case):
    out = os.path.join(b.ROOT, "build", "bench", "go_pingpong")
    env = dict(os.environ, GOFLAGS="-mod=mod", CGO_ENABLED="0",
               GOCACHE=os.path.join(b.ROOT, "build", "gocache"))
    subprocess.run(["go", "build", "-o", out, "."], cwd=GO_SRC, env=env, check=True)
    server = os.path.join(b.ROOT, "build", "bench", "tls_echo")
    subprocess.run(["cp", out, server], check=True)
    return out, server


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_client(argv, comm, traced, case):
    ar = b.Agentrace(case, ["--comm", comm, "--exporter", "none"], cpu=DAEMON_CPU) \
        if traced else None
    try:
        c0 = child_cpu()
        t0 = b.cpu_s([ar.p.pid]) if ar else 0.0
        subprocess.run(PIN + argv, check=True, stdout=subprocess.DEVNULL)
        cpu = child_cpu() - c0
        if ar:
            cpu += b.cpu_s([ar.p.pid]) - t0
    finally:
        stats = ar.stop() if ar else None
    time.sleep(SETTLE_S)
    return cpu, stats


def start_echo(argv):
    """Starts an echo server that prints its port first; returns (proc, port)."""
    srv = subprocess.Popen(PIN + argv, stdout=subprocess.PIPE)
    return srv, int(srv.stdout.readline())


def main():
    b.need("go", b.AGENTRACE)
    aead = os.path.join(b.ROOT, "build", "bench", "aead_pingpong")
    b.need(aead)
    case = b.Case("probe_cost",
                  "%d round trips of %d bytes over one TLS connection to an echo "
                  "server; Go crypto/tls, python ssl (OpenSSL) and BoringSSL AEAD "
                  "record clients (and the AEAD one with HTTP/1.1 chat exchanges), each "
                  "untraced and under agentrace --comm, %d interleaved rounds"
                  % (N, SIZE, ROUNDS))
    case.partial_if("BENCH_PROBE_KINDS", "")
    go, server = build_go(case)
    d = b.certs(case)
    srv, port = start_echo([server, "-listen", "127.0.0.1:0", "-cert",
                            os.path.join(d, "server.pem"), "-key",
                            os.path.join(d, "server.key")])
    # a copy: agentrace --comm aead_pingpong traces the client only
    aead_srv, aead_port = start_echo([os.path.join(os.path.dirname(aead), "aead_echo"), "-l"])
    aead_argv = [aead, "-p", str(aead_port), "-n", str(N)]
    clients = {
        "go": ([go, "-addr", "127.0.0.1:%d" % port, "-n", str(N), "-size", str(SIZE)],
               "go_pingpong"),
        "ssl": ([PY, os.path.join(b.LIB, "pingpong.py"), str(port), str(N), str(SIZE)],
                os.path.basename(PY)[:15]),
        "aead": (aead_argv + ["-s", str(SIZE)], "aead_pingpong"),
        "aead_http": (aead_argv, "aead_pingpong"),
    }
    if KINDS:
        clients = dict((k, v) for k, v in clients.items() if k in KINDS.split(","))
    added = dict((k, []) for k in clients)
    prog = {}
    try:
        with b.BpfStats():
            for i in range(ROUNDS):
                for k, (argv, comm) in clients.items():
                    # ABBA: whichever run comes second pays for the first's
                    # leftovers (a stopped daemon's teardown), on both sides
                    if i % 2:
                        traced, _ = run_client(argv, comm, True, case)
                        base, _ = run_client(argv, comm, False, case)
                    else:
                        base, _ = run_client(argv, comm, False, case)
                        traced, _ = run_client(argv, comm, True, case)
                    added[k].append(1e6 * (traced - base) / (2 * N))
                    b.log("round %d %s: untraced %.2fs traced %.2fs, +%.2f us/call" %
                          (i + 1, k, base, traced, added[k][-1]))
            # per-program BPF time, from one more traced run of each
            for k, (argv, comm) in clients.items():
                ar = b.Agentrace(case, ["--comm", comm, "--exporter", "none"], cpu=DAEMON_CPU)
                before = b.prog_stats(ar.p.pid)
                subprocess.run(PIN + argv, check=True, stdout=subprocess.DEVNULL)
                after = b.prog_stats(ar.p.pid)
                ar.stop()
                for name, (cnt, ns) in b.prog_delta(after, before).items():
                    if cnt and name.startswith(("go_tls", "ssl_", "aead_")) and \
                            k != "aead_http":
                        prog[name] = (cnt, ns / cnt)
    finally:
        for p in (srv, aead_srv):
            p.kill()
            p.wait()

    def row(metric, k, base):
        if k not in added or (base and base not in added):
            return
        ratio = [x / y for x, y in zip(added[k], added[base]) if y] if base else None
        case.row(metric, b.spread(added[k])[1], b.spread(added[base])[1] if base else None,
                 b.spread(ratio)[1] if ratio else None, "-", added[k], "us")

    row("added CPU per TLS call, Go crypto/tls (entry + RET uprobes)", "go", "ssl")
    row("added CPU per TLS call, OpenSSL libssl (uprobe + uretprobe)", "ssl", None)
    row("added CPU per TLS call, aws-lc/BoringSSL AEAD (seal entry + open entry/return "
        "+ init)", "aead", "ssl")
    row("added CPU per TLS call, aws-lc/BoringSSL AEAD, HTTP/1.1 chat exchanges "
        "(parsed, spans built)", "aead_http", "aead")
    for name in sorted(prog):
        cnt, ns = prog[name]
        case.row("BPF run time per call, %s" % name, ns, None, None, "-", [ns], "ns")
    case.finish()


main()
