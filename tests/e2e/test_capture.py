#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end capture tests (issue: kernel capture): real BPF, real clients,
real TLS; reassembled streams must equal what the server saw, byte for byte."""

import os
import resource
import subprocess
import sys

from harness import (Agentrace, EchoServer, Workdir, analyze_dump, check, clean_env,
                     stream_bytes, test, wait_for, HERE)

PY = os.path.realpath(sys.executable)
PY_COMM = os.path.basename(PY)[:15]
SIZES = ["0:0", "1:1", "1000:70000", "70000:1000", "1048576:1048576", "5:0"]


def body_file(wd, n):
    path = wd.file("body-%d.bin" % n)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(bytes((i * 7 + 3) % 251 for i in range(n)))
    return path


def curl_argv(wd, scheme, port, pairs):
    ca = os.path.join(wd.cert_dir(), "ca.pem")
    argv = ["curl"]
    for i, pair in enumerate(pairs):
        req, resp = (int(x) for x in pair.split(":"))
        if i:
            argv.append("--next")
        argv += ["-sS", "--fail", "--cacert", ca, "-o", "/dev/null",
                 "-H", "Content-Type: application/octet-stream",
                 "--data-binary", "@" + body_file(wd, req),
                 "%s://127.0.0.1:%d/echo?resp=%d" % (scheme, port, resp)]
    return argv


def client_argv(kind, wd, scheme, port, pairs):
    ca = os.path.join(wd.cert_dir(), "ca.pem")
    if kind == "curl":
        return curl_argv(wd, scheme, port, pairs)
    if kind == "python":
        return [PY, os.path.join(HERE, "clients", "bytes_client.py"), scheme, str(port), ca] + pairs
    return ["node", os.path.join(HERE, "clients", "bytes_client.mjs"), str(port)] + pairs


def comm_of(kind):
    return {"curl": "curl", "python": PY_COMM, "node": "node"}[kind]


def finish_one_conn(cl, ar, srv):
    """Waits for client cl, stops agentrace ar and returns the echo
    server's one connection log with the bytes it received and sent."""
    _, cl_err = cl.communicate(timeout=120)
    check(cl.returncode == 0, "client failed: %r" % cl_err[-2000:])
    # The client's syscalls and uprobes ran before it exited, so their
    # events are in the ring buffer: agentrace drains it on SIGINT.
    ar.finish()
    # the server logs a connection once it has seen it close
    wait_for(lambda: srv.conns(), what="the echo server's connection log")
    conns = srv.conns()
    check(len(conns) == 1, "server saw %d connections, want 1" % len(conns))
    want_in, want_out = srv.conn_bytes(conns[0]["n"])
    return conns, want_in, want_out


def check_one_stream_each_way(mine, want_in, want_out):
    """mine: the client's dumped streams with bytes. One per direction,
    byte-exact against what the server received (want_in) and sent
    (want_out), with no gap. Returns the egress and ingress rows."""
    egress = [r for r in mine if r["dir"] == "egress"]
    ingress = [r for r in mine if r["dir"] == "ingress"]
    check(len(egress) == 1 and len(ingress) == 1,
          "want one stream per direction, got %r" % [(r["file"], r["bytes"]) for r in mine])
    got_out, got_in = stream_bytes(egress[0]), stream_bytes(ingress[0])
    check(got_out == want_in, "egress differs: %d bytes vs server received %d" %
          (len(got_out), len(want_in)))
    check(got_in == want_out, "ingress differs: %d bytes vs server sent %d" %
          (len(got_in), len(want_out)))
    check(egress[0]["gap_bytes"] == "0" and ingress[0]["gap_bytes"] == "0", "no gaps")
    return egress[0], ingress[0]


def run_exact(kind, scheme="https", pairs=SIZES):
    """Captures one client's keep-alive connection and compares streams."""
    wd = Workdir("%s-%s" % (kind, scheme))
    srv = EchoServer(wd, plain=(scheme == "http"))
    ar = None
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--comm", comm_of(kind)], mode="record")
        env = clean_env(NODE_EXTRA_CA_CERTS=os.path.join(wd.cert_dir(), "ca.pem"))
        cl = subprocess.Popen(client_argv(kind, wd, scheme, srv.port, pairs), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        conns, want_in, want_out = finish_one_conn(cl, ar, srv)
        check(len(conns[0]["requests"]) == len(pairs), "keep-alive requests on one connection")
        rows = analyze_dump(wd, wd.file("cap.agt"))
        tls = "1" if scheme == "https" else "0"
        mine = [r for r in rows if r["comm"] == comm_of(kind) and r["tls"] == tls and int(r["bytes"]) > 0]
        row, _ = check_one_stream_each_way(mine, want_in, want_out)
        # The stream carries the process and, where a socket nests, the tuple.
        check(row["pid"] == str(cl.pid), "pid %s, client was %d" % (row["pid"], cl.pid))
        if kind != "node" or scheme == "http":
            check(row["role"] == "client", "role %s" % row["role"])
            check(row["remote"] == "127.0.0.1:%d" % srv.port, "remote %s" % row["remote"])
            check(row["local"] == "127.0.0.1:%d" % conns[0]["client_port"], "local %s" % row["local"])
        # No ciphertext ever appears as plaintext from this client.
        plain = [r for r in rows if r["comm"] == comm_of(kind) and r["tls"] == "0"]
        for r in plain:
            data = stream_bytes(r)
            check(scheme == "http" or not data, "plaintext stream %s on a TLS client" % r["file"])
            check(not data.startswith(b"\x16\x03"), "TLS record captured as plaintext")
        return ar
    finally:
        if ar:
            ar.stop()
        srv.stop()
        wd.cleanup()


@test
def test_curl_tls_byte_exact():
    run_exact("curl")


@test
def test_python_tls_byte_exact():
    run_exact("python")


@test
def test_node_tls_byte_exact():
    run_exact("node")


@test
def test_curl_plain_http_byte_exact():
    run_exact("curl", scheme="http")


@test
def test_plain_writev_readv_byte_exact():
    """writev/readv with many small, empty and big iovecs (the capture
    gathers small ones into one record, bpf/emit.bpf.h): the client's two
    streams equal what the server saw."""
    wd = Workdir("vec")
    srv = EchoServer(wd, plain=True)
    ar = None
    pairs = ["0:0", "10:3", "3000:70000", "70000:5000", "20000:1", "5:0"]
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--comm", PY_COMM], mode="record")
        cl = subprocess.Popen([PY, os.path.join(HERE, "clients", "vec_client.py"),
                               str(srv.port)] + pairs, env=clean_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        conns, want_in, want_out = finish_one_conn(cl, ar, srv)
        # the echo server is python too: only the client's streams count
        mine = [r for r in analyze_dump(wd, wd.file("cap.agt"))
                if r["pid"] == str(cl.pid) and int(r["bytes"]) > 0]
        check_one_stream_each_way(mine, want_in, want_out)
    finally:
        if ar:
            ar.stop()
        srv.stop()
        wd.cleanup()


@test
def test_comm_filter_only_targets():
    wd = Workdir("filter")
    srv = EchoServer(wd)
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--comm", "curl"], mode="record")
        env = clean_env(NODE_EXTRA_CA_CERTS=os.path.join(wd.cert_dir(), "ca.pem"))
        for kind in ("curl", "python", "node"):
            r = subprocess.run(client_argv(kind, wd, "https", srv.port, ["10:10"]), env=env,
                               capture_output=True, timeout=60)
            check(r.returncode == 0, "%s client failed: %r" % (kind, r.stderr))
        ar.finish()  # drains the ring buffer: the exited clients' events are in it
        comms = {r["comm"] for r in analyze_dump(wd, wd.file("cap.agt"))}
        check(comms == {"curl"}, "captured comms %r, want only curl" % comms)
    finally:
        srv.stop()
        wd.cleanup()


@test
def test_pid_filter_only_targets():
    """--pid P traces P and its descendants only. The wrappers do no network
    I/O themselves, so the check is on the clients they start: the
    target's child must be captured, the other wrapper's child never."""
    wd = Workdir("pidfilter")
    srv = EchoServer(wd)
    go = wd.file("go")
    script = ("import os,sys,time,subprocess\n"
              "while not os.path.exists(%r): time.sleep(0.05)\n"
              "p = subprocess.Popen(sys.argv[1:])\n"
              "print(p.pid, flush=True)\n"
              "sys.exit(p.wait())\n") % go
    try:
        ca = os.path.join(wd.cert_dir(), "ca.pem")
        argv = [PY, "-c", script, PY, os.path.join(HERE, "clients", "bytes_client.py"),
                "https", str(srv.port), ca, "10:10"]
        target = subprocess.Popen(argv, stdout=subprocess.PIPE)
        other = subprocess.Popen(argv, stdout=subprocess.PIPE)
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--pid", str(target.pid)], mode="record")
        open(go, "w").close()
        target_child = target.stdout.readline().strip().decode()
        other_child = other.stdout.readline().strip().decode()
        check(target.wait(60) == 0 and other.wait(60) == 0, "clients failed")
        ar.finish()
        rows = [r for r in analyze_dump(wd, wd.file("cap.agt")) if int(r["bytes"]) > 0]
        pids = {r["pid"] for r in rows}
        check(pids == {target_child}, "captured pids %r, want only the target's child %s "
              "(other child %s, wrappers %d/%d, server %d)" %
              (sorted(pids), target_child, other_child, target.pid, other.pid, srv.p.pid))
    finally:
        srv.stop()
        wd.cleanup()


@test
def test_burst_overflow_counts_drops_and_stays_bounded():
    wd = Workdir("burst")
    srv = EchoServer(wd, plain=True)
    try:
        ar = Agentrace(wd, ["--ringbuf-mb", "1", "--comm", "curl", "--summaries"])
        procs = [subprocess.Popen(curl_argv(wd, "http", srv.port, ["1048576:4194304"] * 4),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(8)]
        for p in procs:
            p.wait(120)
        check(ar.p.poll() is None, "daemon died under load")
        rss_kb = 0
        for line in open("/proc/%d/status" % ar.p.pid):
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
        ar.finish()
        stats = ar.kernel_stats()
        # bulk is shed before the ring fills (emit.bpf.h); either way counted
        check(stats.get("drop_ringbuf_full", 0) + stats.get("drop_shed_bytes", 0) > 0,
              "expected counted ring buffer drops or shed bytes: %r" % stats)
        check(rss_kb < 256 * 1024, "daemon RSS %d KiB" % rss_kb)
        check("gaps=" in ar.out(), "connection summaries report gaps")
    finally:
        srv.stop()
        wd.cleanup()
