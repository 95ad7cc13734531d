#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The socket-layer capture (issue #13; bpf/sock_call.bpf.h,
bpf/sock_state.bpf.h): data, births and closes come from socket
tracepoints, not syscall ones. What that must still get exactly right:
peeked bytes are not captured twice, a fd reused while another process
keeps its old socket open starts a new stream, bytes that leave by a
call the capture cannot read (sendfile) are counted, not silently lost,
and the per-socket marks go with their sockets."""

import contextlib
import json
import os
import subprocess
import sys
import time

from harness import (Agentrace, EchoServer, Workdir, analyze_dump, check, clean_env,
                     stream_bytes, teardown, test, wait_for, HERE)
from test_capture import check_one_stream_each_way

PY = os.path.realpath(sys.executable)
CLIENT = os.path.join(HERE, "clients", "sock_layer_client.py")


@contextlib.contextmanager
def recorded(name, comm):
    """A plain echo server, and agentrace recording the processes named
    comm; both stopped afterwards. Yields (wd, srv, ar)."""
    wd = Workdir(name)
    srv = EchoServer(wd, plain=True)
    ar = None
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--comm", comm], mode="record")
        yield wd, srv, ar
    finally:
        teardown(wd, ar, srv)


def run_client(wd, comm, args):
    """Runs sock_layer_client.py as python named comm (the echo server is
    python too, and must not be the target). Returns (pid, stdout)."""
    path = wd.file(comm)
    if not os.path.exists(path):
        os.symlink(PY, path)
    cl = subprocess.Popen([path, CLIENT] + args, env=clean_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    out, err = cl.communicate(timeout=120)
    check(cl.returncode == 0, "client failed: %r" % err[-2000:])
    return cl.pid, out


def client_rows(wd, pid):
    return [r for r in analyze_dump(wd, wd.file("cap.agt"))
            if r["pid"] == str(pid) and int(r["bytes"]) > 0]


@test
def test_sock_layer_peeked_bytes_captured_once():
    """recv(MSG_PEEK) before every read: the peeked bytes stay queued and
    are captured when read, once (the old syscall capture copied both)."""
    with recorded("sock-peek", "slpeek") as (wd, srv, ar):
        pid, _ = run_client(wd, "slpeek", ["peek", str(srv.port), "10:3", "3000:70000", "5:0"])
        ar.finish()
        wait_for(lambda: srv.conns(), what="the echo server's connection log")
        want_in, want_out = srv.conn_bytes(srv.conns()[0]["n"])
        check_one_stream_each_way(client_rows(wd, pid), want_in, want_out)


@test
def test_sock_layer_fd_reused_while_a_child_keeps_the_socket():
    """The first socket's close in the client is not its last (a forked
    child holds it), so the socket layer sees no close; the second
    connection lands on the same fd. Each must be its own stream, byte for
    byte, the second not spliced onto the first."""
    with recorded("sock-shared", "slshared") as (wd, srv, ar):
        pid, out = run_client(wd, "slshared", ["shared", str(srv.port)])
        fd1, fd2 = (int(x) for x in out.split())
        check(fd1 == fd2, "the second connection got fd %d, not the first's %d" % (fd2, fd1))
        wait_for(lambda: len(srv.conns()) == 2, what="the server's two connections")
        ar.finish()
        rows = client_rows(wd, pid)
        by_port = {}
        for r in rows:
            by_port.setdefault(r["local"], []).append(r)
        check(len(by_port) == 2, "want two connections' streams, got %r" %
              [(r["local"], r["dir"], r["bytes"]) for r in rows])
        for conn in srv.conns():
            want_in, want_out = srv.conn_bytes(conn["n"])
            mine = by_port.get("127.0.0.1:%d" % conn["client_port"], [])
            check_one_stream_each_way(mine, want_in, want_out)


@test
def test_sock_layer_sendfile_counted_not_silent():
    """A body sent with sendfile(2) never passes a buffer the capture can
    read: its bytes are counted (kernel sock_undecoded_bytes), the
    request's head and the response are still captured."""
    n = 50000
    with recorded("sock-sendfile", "slsendf") as (wd, srv, ar):
        pid, _ = run_client(wd, "slsendf", ["sendfile", str(srv.port), str(n)])
        wait_for(lambda: srv.conns(), what="the echo server's connection log")
        ar.finish()
        st = ar.kernel_stats()
        check(st.get("sock_undecoded_bytes", 0) >= n,
              "sendfile's %d bytes not counted: %r" % (n, st))
        want_in, want_out = srv.conn_bytes(srv.conns()[0]["n"])
        rows = client_rows(wd, pid)
        egress = [r for r in rows if r["dir"] == "egress"]
        ingress = [r for r in rows if r["dir"] == "ingress"]
        check(egress and stream_bytes(egress[0]) == want_in[:len(want_in) - n],
              "the request head differs: %r" % [r["bytes"] for r in egress])
        check(ingress and stream_bytes(ingress[0]) == want_out, "the response differs")


def sk_marks_entries():
    """Entries in agentrace's sk_marks map (bpftool), or -1."""
    r = subprocess.run(["bpftool", "-j", "map", "dump", "name", "sk_marks"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return -1
    try:
        return len(json.loads(r.stdout))
    except ValueError:
        return -1


@test
def test_sock_layer_marks_go_with_their_sockets():
    """Every TCP socket born while agentrace runs gets a mark (client at
    SYN_SENT, server at SYN_RECV); its end removes it, so 300 connections,
    open at once and then closed, leave the map about as empty as it was
    (the map is an LRU of 65,536: a leak would not crash, it would evict
    live marks). Open at once, so that no socket reuses another's address
    and overwrites its mark, which would hide a leak."""
    n = 300
    with recorded("sock-marks", "slmarks") as (wd, srv, ar):
        before = sk_marks_entries()
        check(before >= 0, "bpftool cannot dump sk_marks")
        run_client(wd, "slmarks", ["many", str(srv.port), str(n)])
        wait_for(lambda: len(srv.conns()) == n, what="the server's %d connections" % n)
        # the ends come once FIN and ACK are through (loopback: at once)
        deadline = time.monotonic() + 10
        left = sk_marks_entries() - before
        while left >= 30 and time.monotonic() < deadline:
            time.sleep(0.2)
            left = sk_marks_entries() - before
        check(left < 30, "%d marks left of %d sockets born (%d before)" % (left, 2 * n, before))
        ar.finish()
        rows = [r for r in analyze_dump(wd, wd.file("cap.agt"))
                if r["dir"] == "egress" and int(r["bytes"]) > 0 and r["comm"] == "slmarks"]
        check(len(rows) == n, "want %d client streams, got %d" % (n, len(rows)))
