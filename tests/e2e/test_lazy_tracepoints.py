#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lazy tracepoints (issue #13, capture/tp_gate.h): with explicit targets
only, the socket-layer and mmap tracepoints are attached while a target
lives, and no syscall tracepoint ever is (one would put every syscall of
the node on the slow path). Checked on the kernel's own view (bpftool
perf: the tracepoints agentrace holds), and on the bytes the echo server
logged."""

import json
import os
import re
import subprocess
import sys
import time

from harness import (Agentrace, EchoServer, Workdir, analyze_dump, check, clean_env,
                     stream_bytes, teardown, test, wait_for, HERE)

IDLE_MS = "200"
PY = os.path.realpath(sys.executable)
CLIENT = os.path.join(HERE, "clients", "bytes_client.py")
PAIRS = ["1000:70000", "5:0"]


GATED = ("sock_send_length", "sock_recv_length", "inet_sock_set_state",
         "mmap_lock_acquire_returned")


def tp_links(pid):
    """(gated, syscall): tracepoints of the gate's (capture/tp_gate.c), and
    syscall tracepoints, that process pid holds (kernel view); -1, -1 when
    bpftool raced a closing fd."""
    r = subprocess.run(["bpftool", "-j", "perf", "show"], capture_output=True,
                       text=True, timeout=30)
    try:
        events = json.loads(r.stdout) if r.returncode == 0 else None
    except ValueError:
        events = None
    if not isinstance(events, list):
        return -1, -1
    mine = [e for e in events if e.get("pid") == pid]
    return (sum(1 for e in mine if e.get("fd_type") == "raw_tracepoint" and
                e.get("tracepoint") in GATED),
            sum(1 for e in mine if e.get("fd_type") == "tracepoint" and
                e.get("tracepoint", "").startswith("sys_")))


def syscall_links(pid):
    """Gated tracepoints process pid holds; checks it holds no syscall
    tracepoint at all."""
    n, sys_n = tp_links(pid)
    check(sys_n <= 0, "%d syscall tracepoints attached" % sys_n)
    return n


def alias(wd, binary, name):
    """binary under another name: its comm is that name (no one else's)."""
    path = wd.file(name)
    if not os.path.exists(path):
        os.symlink(binary, path)
    return path


def client(kind, wd, port):
    if kind == "lzcurl":
        argv = [alias(wd, "/usr/bin/curl", kind)]
        for i, pair in enumerate(PAIRS):
            req, resp = pair.split(":")
            with open(wd.file("body-%s" % req), "wb") as f:
                f.write(bytes((j * 7 + 3) % 251 for j in range(int(req))))
            argv += (["--next"] if i else []) + [
                "-sS", "--fail", "-o", "/dev/null", "-H",
                "Content-Type: application/octet-stream", "--data-binary",
                "@" + wd.file("body-%s" % req), "http://127.0.0.1:%d/echo?resp=%s" % (port, resp)]
        return argv
    return [alias(wd, PY, kind), CLIENT, "http", str(port), "-"] + PAIRS


def check_exact(rows, srv, pid):
    """pid's one connection, both directions, equals what the server saw."""
    mine = [r for r in rows if r["pid"] == str(pid) and int(r["bytes"]) > 0]
    eg = [r for r in mine if r["dir"] == "egress"]
    ing = [r for r in mine if r["dir"] == "ingress"]
    check(len(eg) == 1 and len(ing) == 1, "pid %d: want one stream per direction, got %r"
          % (pid, [(r["file"], r["bytes"]) for r in mine]))
    port = int(eg[0]["local"].rsplit(":", 1)[1])
    conn = [c for c in srv.conns() if c["client_port"] == port]
    check(len(conn) == 1, "no server connection from port %d" % port)
    want_in, want_out = srv.conn_bytes(conn[0]["n"])
    got_out, got_in = stream_bytes(eg[0]), stream_bytes(ing[0])
    check(got_out == want_in, "pid %d egress: %d bytes, server received %d (first call lost?)"
          % (pid, len(got_out), len(want_in)))
    check(got_in == want_out, "pid %d ingress: %d bytes, server sent %d"
          % (pid, len(got_in), len(want_out)))


@test
def test_lazy_first_call_from_detached_byte_exact():
    """A --comm target started while the tracepoints are detached: its
    exec attaches them, and its first call is captured byte for byte."""
    wd = Workdir("lazy-first")
    srv = EchoServer(wd, plain=True)
    ar = None
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--comm", "lzcurl", "--comm", "lzpy",
                            "--idle-detach-ms", IDLE_MS], mode="record")
        pids = []
        for kind in ("lzcurl", "lzpy", "lzcurl"):
            # detached by the gate (as often as clients ran) and in the kernel
            wait_for(lambda: ar.err().count("tracepoints detached:") == len(pids) and
                     syscall_links(ar.p.pid) == 0, what="tracepoints detached")
            r = subprocess.Popen(client(kind, wd, srv.port), stderr=subprocess.PIPE)
            check(r.wait(60) == 0, "%s failed: %r" % (kind, r.stderr.read()[-500:]))
            pids.append(r.pid)
        wait_for(lambda: len(srv.conns()) == len(pids), what="the server's connection log")
        ar.finish()
        rows = analyze_dump(wd, wd.file("cap.agt"))
        for pid in pids:
            check_exact(rows, srv, pid)
        err = ar.err()
        for pid in pids:
            check("tracepoints attached: pid %d " % pid in err,
                  "pid %d did not attach the tracepoints:\n%s" % (pid, err[-2000:]))
    finally:
        teardown(wd, ar, srv)


def hold_stats(err):
    """(stopped, continued, after_deadline, failed) of the last gate_hold line."""
    m = re.findall(r"^gate_hold: stopped=(\d+) continued=(\d+) after_deadline=(\d+) "
                   r"failed=(\d+) ", err, re.M)
    return tuple(int(x) for x in m[-1]) if m else None


@test
def test_lazy_target_during_teardown_held():
    """A --comm curl started while the tracepoints are being taken down
    (AGENTRACE_TEST_SLOW_UNREG_MS stretches each detach, so that curl
    starts with only the first-attached program left and its send
    tracepoints gone): its exec stops it until all are attached again,
    and its first call is captured byte for byte. Without the gate hold
    curl's request went out while the daemon waited for the detach in
    flight, and was lost every time."""
    wd = Workdir("lazy-teardown")
    srv = EchoServer(wd, plain=True)
    ar = None
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--comm", "lzcurl",
                            "--idle-detach-ms", IDLE_MS], mode="record",
                       env=clean_env(AGENTRACE_TEST_SLOW_UNREG_MS="600"))
        # a first target attaches them; when it is gone they go, slowly,
        # the last attached first
        r = subprocess.run(client("lzcurl", wd, srv.port), capture_output=True, timeout=60)
        check(r.returncode == 0, "curl failed: %r" % r.stderr[-500:])
        wait_for(lambda: "tracepoints detached:" in ar.err(), what="the idle detach")
        wait_for(lambda: syscall_links(ar.p.pid) == 1, timeout=40,
                 what="one tracepoint left, being detached")
        time.sleep(0.1)  # past the grace period of the one before it
        t0 = time.monotonic()
        r = subprocess.Popen(client("lzcurl", wd, srv.port), stderr=subprocess.PIPE)
        check(r.wait(60) == 0, "curl failed: %r" % r.stderr.read()[-500:])
        print("    curl ran %.0f ms from its start, during the teardown"
              % ((time.monotonic() - t0) * 1000))
        wait_for(lambda: len(srv.conns()) == 2, what="the server's connection log")
        ar.finish()
        err = ar.err()
        check_exact(analyze_dump(wd, wd.file("cap.agt")), srv, r.pid)
        st = hold_stats(err)
        check(st and st[0] >= 2 and st[0] == st[1] and st[2] == 0 and st[3] == 0,
              "gate hold stats %r:\n%s" % (st, err[-2000:]))
    finally:
        teardown(wd, ar, srv)


@test
def test_lazy_fork_child_of_target_traced():
    """A target forks (no exec) and exits; the child calls later, after
    the idle delay: the child is a live target, so the tracepoints stay."""
    wd = Workdir("lazy-fork")
    srv = EchoServer(wd, plain=True)
    ar = None
    script = ("import os, runpy, sys, time\n"
              "if os.fork():\n"
              "    sys.exit(0)\n"
              "time.sleep(1.0)\n"
              "print(os.getpid(), flush=True)\n"
              "sys.argv = sys.argv[1:]\n"
              "runpy.run_path(sys.argv[0], run_name='__main__')\n")
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--comm", "lzpy",
                            "--idle-detach-ms", IDLE_MS], mode="record")
        # the child runs the client without an exec: a target by its
        # parent alone, calling a second after that parent exited
        argv = [alias(wd, PY, "lzpy"), "-c", script, CLIENT, "http", str(srv.port), "-"] + PAIRS
        parent = subprocess.Popen(argv, stdout=subprocess.PIPE)
        child = int(parent.stdout.readline())
        wait_for(lambda: len(srv.conns()) == 1, what="the server's connection log")
        ar.finish()
        check_exact(analyze_dump(wd, wd.file("cap.agt")), srv, child)
    finally:
        teardown(wd, ar, srv)


def detached_after_last_target(name, extra, min_links):
    """--pid of a live process attaches at start; when it exits, the
    tracepoints are gone from the kernel after the idle delay, and a
    process that is no target leaves nothing in the capture."""
    wd = Workdir(name)
    srv = EchoServer(wd, plain=True)
    sleeper = subprocess.Popen(["sleep", "60"])
    ar = None
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--pid", str(sleeper.pid),
                            "--idle-detach-ms", IDLE_MS] + extra, mode="record")
        n = syscall_links(ar.p.pid)
        check(n >= min_links, "a live --pid target, but %d tracepoints attached" % n)
        sleeper.kill()
        sleeper.wait()
        wait_for(lambda: syscall_links(ar.p.pid) == 0, what="tracepoints detached")
        r = subprocess.run(client("lzcurl", wd, srv.port), capture_output=True, timeout=60)
        check(r.returncode == 0, "curl failed: %r" % r.stderr[-500:])
        check(syscall_links(ar.p.pid) == 0, "a non-target attached the tracepoints")
        ar.finish()
        err = ar.err()
        check("tracepoints detached: no target for %s ms" % IDLE_MS in err,
              "no detach line:\n" + err[-2000:])
        stats = [l for l in err.splitlines() if l.startswith("tracepoints:")]
        check(stats and "attached=0 cycles=1 " in stats[-1], "stats %r" % stats[-1:])
        rows = [r for r in analyze_dump(wd, wd.file("cap.agt")) if int(r["bytes"]) > 0]
        check(not rows, "a non-target's streams were captured: %r" % rows)
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
        teardown(wd, ar, srv)


@test
def test_lazy_detached_after_last_target():
    detached_after_last_target("lazy-detach", [], len(GATED))


@test
def test_lazy_detached_after_last_target_inject():
    """With --inject-traceparent too: inject's 3 socket-layer programs are
    gated with capture's 4 (they kept every tracepoint on before)."""
    detached_after_last_target("lazy-detach-inject", ["--inject-traceparent"],
                               len(GATED) + 3)


@test
def test_lazy_only_with_explicit_targets():
    """Agent-first (the default) and --trace-all classify every process:
    their tracepoints are attached with no target at all (and still no
    syscall tracepoint)."""
    wd = Workdir("lazy-modes")
    ar = None
    try:
        for name, args in (("agent-first", []), ("trace-all", ["--trace-all"])):
            ar = Agentrace(wd, args + ["--exporter", "none", "--idle-detach-ms", IDLE_MS],
                           name=name, default_mode=True)
            n = syscall_links(ar.p.pid)
            check(n >= len(GATED), "%s: %d tracepoints attached" % (name, n))
            ar.finish()
            ar = None
    finally:
        teardown(wd, ar)
