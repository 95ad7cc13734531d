#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end hardening tests (issue #14): what the kernel side must get
right on hostile or unlucky timing, checked against real clients."""

import ctypes
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

import harness

from harness import (Agentrace, EchoServer, MockLLM, Workdir, analyze_dump, check, node_env,
                     stream_bytes, teardown, test, wait_for, HERE)

NODE = os.path.join(HERE, "clients")


def otlp_json_spans(path):
    import test_genai  # noqa: E402 - one reader of the file exporter's output
    return test_genai.otlp_json_spans(path)


@test
def test_hardening_preopened_tls_keepalive_never_plaintext():
    """A node keep-alive HTTPS connection opened BEFORE agentrace starts:
    its first bytes seen are TLS application data (0x17), not a handshake.
    Its ciphertext must never appear as a plaintext stream, and its later
    requests must still become spans (from the SSL uprobes)."""
    wd = Workdir("preopened-tls")
    mock = MockLLM(wd)
    cl = ar = None
    try:
        cl = subprocess.Popen(["node", os.path.join(NODE, "keepalive_wait.mjs"), str(mock.port), "3"],
                              env=node_env(wd), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        line = cl.stdout.readline().split()
        check(line[:1] == ["opened"], "client did not open its connection: %r %r" %
              (line, cl.stderr.read() if cl.poll() is not None else ""))
        port = line[1]
        cap = wd.file("cap.agt")
        ar = Agentrace(wd, ["-o", cap, "--pid", str(cl.pid)], mode="record")
        cl.stdin.write("go\n")
        cl.stdin.flush()
        out, err = cl.communicate(timeout=60)
        check(cl.returncode == 0, "client failed: %s" % err[-2000:])
        check(out.split() == ["call", port] * 3, "later calls reused the pre-opened socket: %r" % out)
        time.sleep(0.5)
        ar.finish()
        rows = analyze_dump(wd, cap)
        plain = [r for r in rows if r["tls"] == "0" and int(r["bytes"]) > 0]
        for r in plain:
            head = stream_bytes(r)[:8]
            check(False, "plaintext stream %s (%s bytes, starts %r) from a TLS-only client" %
                  (r["file"], r["bytes"], head))
        spans_path = wd.file("spans.jsonl")
        r = subprocess.run([harness.AGENTRACE, "analyze", cap, "--exporter", "file",
                            "--output", spans_path], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "analyze failed: " + r.stderr[-2000:])
        truth = [t for t in mock.truth() if t.get("response_id")]
        check(len(truth) == 4, "mock saw %d calls, want 4" % len(truth))
        got = {s["attributes"].get("gen_ai.response.id") for s in otlp_json_spans(spans_path)}
        for t in truth[1:]:
            check(t["response_id"] in got, "no span for call after the start: %s (have %r)" %
                  (t["response_id"], sorted(x for x in got if x)))
    finally:
        if cl and cl.poll() is None:
            cl.kill()
        if ar:
            ar.stop()
        mock.stop()
        wd.cleanup()


def daemon_map_ids(pid, names):
    """ids of the BPF maps agentrace (pid) holds, by (truncated) name."""
    ids = set()
    fddir = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fddir):
        try:
            for line in open(os.path.join(fddir, fd)):
                if line.startswith("map_id:"):
                    ids.add(int(line.split()[1]))
        except OSError:
            pass
    out = {}
    for m in json.loads(subprocess.run(["bpftool", "-j", "map", "show"], capture_output=True,
                                       text=True, check=True).stdout):
        if m["id"] in ids and m.get("name") in names:
            out[m["name"]] = m["id"]
    return out


def bpf_sys(cmd, attr):
    """bpf(2) with attr (a bytearray, updated in place): its result, or
    -errno."""
    libc = ctypes.CDLL(None, use_errno=True)
    buf = (ctypes.c_char * len(attr)).from_buffer(attr)
    r = libc.syscall(321, cmd, buf, len(attr))  # __NR_bpf on x86_64
    return r if r >= 0 else -ctypes.get_errno()


def task_storage_value(map_id, pid, size):
    """The value (size bytes) a task storage map holds for process pid, or
    None when it has none or pid is gone (bpf(2) with a pidfd key)."""
    attr = bytearray(128)
    struct.pack_into("<I", attr, 0, map_id)
    map_fd = bpf_sys(14, attr)  # BPF_MAP_GET_FD_BY_ID
    check(map_fd >= 0, "map id %d: errno %d" % (map_id, -map_fd))
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        os.close(map_fd)
        return None
    key = ctypes.c_int(pidfd)
    value = ctypes.create_string_buffer(size)
    attr = bytearray(128)
    struct.pack_into("<IIQQQ", attr, 0, map_fd, 0, ctypes.addressof(key),
                     ctypes.addressof(value), 0)
    r = bpf_sys(1, attr)  # BPF_MAP_LOOKUP_ELEM
    os.close(pidfd)
    os.close(map_fd)
    return value.raw if r == 0 else None


def fork_with_pid(want, argv):
    """Starts argv as process id want (the pid of a process that just died),
    steering the kernel's next pid through ns_last_pid. Returns the Popen-
    less pid, or None when other forks on the machine kept winning."""
    for _ in range(400):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(want - 1))
        pid = os.fork()
        if pid == 0:
            if os.getpid() != want:
                os._exit(99)
            os.execv(argv[0], argv)
        if pid == want:
            return pid
        os.waitpid(pid, 0)
    return None


@test
def test_hardening_killed_in_ssl_read_leaves_no_args_entry():
    """A thread SIGKILLed inside SSL_read never reaches its uretprobe: its
    slot in active_ssl_args, task storage, dies with the task (maps.bpf.h),
    and a new process that gets the same pid (so the same pid_tgid) must
    have its plain HTTP captured as plaintext, not marked TLS by a stale
    slot."""
    wd = Workdir("ssl-killed")
    srv_sock = None
    echo = EchoServer(wd, plain=True)
    ar = victim = None
    try:
        cert = wd.cert_dir()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(cert, "server.pem"), os.path.join(cert, "server.key"))
        srv_sock = socket.socket()
        srv_sock.bind(("127.0.0.1", 0))
        srv_sock.listen(4)
        held = []

        def stall():  # handshakes, then never answers
            c, _ = srv_sock.accept()
            held.append(ctx.wrap_socket(c, server_side=True))
        threading.Thread(target=stall, daemon=True).start()
        cap = wd.file("cap.agt")
        ar = Agentrace(wd, ["-o", cap], mode="record")
        maps = daemon_map_ids(ar.p.pid, {"active_ssl_args"})
        check("active_ssl_args" in maps, "no active_ssl_args map on the daemon: %r" % maps)
        victim = subprocess.Popen([sys.executable, "-c", (
            "import socket, ssl, sys\n"
            "c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE\n"
            "s = c.wrap_socket(socket.create_connection(('127.0.0.1', %d)))\n"
            "print('reading', flush=True)\n"
            "s.recv(100)\n") % srv_sock.getsockname()[1]], stdout=subprocess.PIPE, text=True)
        check(victim.stdout.readline().strip() == "reading", "victim did not reach SSL_read")

        def read_live(pid):
            # struct ssl_calls: two struct ssl_args of 40 bytes, egress
            # then ingress; .live is the u32 at 36
            v = task_storage_value(maps["active_ssl_args"], pid, 80)
            return v is not None and struct.unpack_from("<I", v, 40 + 36)[0] == 1
        wait_for(lambda: read_live(victim.pid), 10,
                 "the blocked SSL_read's live slot (test sensitivity)")
        victim.kill()
        victim.wait(10)
        # the same pid_tgid again, now with plain HTTP
        pid = fork_with_pid(victim.pid, [sys.executable, "-c", (
            "import socket\n"
            "s = socket.create_connection(('127.0.0.1', %d))\n"
            "s.sendall(b'GET /reuse?resp=64 HTTP/1.1\\r\\nHost: h\\r\\nConnection: close\\r\\n\\r\\n')\n"
            "while s.recv(4096): pass\n") % echo.port])
        if pid is None:
            print("    pid %d not reused (busy machine): reuse not proved" % victim.pid)
        else:
            _, status = os.waitpid(pid, 0)
            check(status == 0, "plain client failed: %r" % status)
        time.sleep(0.5)
        ar.finish()
        if pid is not None:
            rows = [r for r in analyze_dump(wd, cap) if r["pid"] == str(pid)]
            plain = [r for r in rows if r["tls"] == "0" and b"GET /reuse" in stream_bytes(r)]
            check(plain, "the reused pid's plain HTTP was not captured as plaintext: %r" % rows)
    finally:
        if victim and victim.poll() is None:
            victim.kill()
        if srv_sock:
            srv_sock.close()
        teardown(wd, ar, echo)


FLOOD_CLIENT = r"""
import socket, sys
n = int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
sys.stdin.readline()
s.sendall(b"POST /flood HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % (8 * n))
for _ in range(n):
    s.sendall(b"12345678")
while b"\r\n\r\n" not in s.recv(65536):
    pass
"""


@test
def test_hardening_ring_drain_stops_at_its_bound():
    """The real ring under a consumer that fell behind: agentrace is
    stopped (SIGSTOP) while a client makes 20000 small writes, so 20000
    records wait in the ring when it resumes. Its first drain must stop at
    the bound (8192 records, capture/ring.h), so that ticks, health and
    SIGTERM run in between (ring: polls_bounded), and every record still
    arrives, none dropped."""
    n = 20000
    wd = Workdir("ring-bound")
    srv = EchoServer(wd, plain=True)
    cl = ar = None
    try:
        cl = subprocess.Popen([sys.executable, "-c", FLOOD_CLIENT, str(srv.port), str(n)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        check(cl.stdout.readline().split() == ["ready"], "flood client did not connect")
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--pid", str(cl.pid)], mode="record")
        os.kill(ar.p.pid, signal.SIGSTOP)
        try:
            cl.stdin.write("go\n")
            cl.stdin.flush()
            cl.wait(60)
        finally:
            os.kill(ar.p.pid, signal.SIGCONT)
        check(cl.returncode == 0, "flood client failed")
        time.sleep(0.5)
        ar.finish()
        ks = ar.kernel_stats()
        ring = {}
        for line in ar.err().splitlines():
            if line.startswith("ring:"):
                ring = {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
        check(ks.get("events", 0) >= n, "only %d of %d writes became records: %r" %
              (ks.get("events", 0), n, ks))
        check(not any(v for k, v in ks.items() if k.startswith("drop_")),
              "records were dropped, so the ring did not hold the flood: %r" % ks)
        check(ring.get("polls_bounded", 0) >= 1,
              "no drain stopped at the bound with %d records waiting: %r" % (n, ring))
    finally:
        if cl and cl.poll() is None:
            cl.kill()
        teardown(wd, ar, srv)
