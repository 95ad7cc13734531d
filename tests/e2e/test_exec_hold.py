#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end test of the exec hold (issue #13, bpf/exec_hold.bpf.h):
targets named by --comm beside agent-first promotion get their uprobes
inside them after their exec (scoped), and a client that calls at once
must not lose that first call to the attach."""

import json
import os
import re
import subprocess
import sys

from harness import Agentrace, EchoServer, Workdir, analyze_dump, check, stream_bytes, test

PY = os.path.realpath(sys.executable)
CURL = "/usr/bin/curl"
CURLS = 8
PYS = 2


def by_client_port(rows):
    """TLS plaintext of the capture: client port -> {dir: (pid, bytes)}."""
    out = {}
    for r in rows:
        if r["tls"] == "1":
            port = int(r["local"].rsplit(":", 1)[1])
            out.setdefault(port, {})[r["dir"]] = (r["pid"], stream_bytes(r))
    return out


@test
def test_named_targets_first_call_beside_promotion():
    """--comm arholdcurl --comm arholdpy --promote: 8 fresh curl processes
    (a symlink names them) and 2 fresh python ones each make one HTTPS call
    right after their exec. Every call is captured, request and response
    byte-exact against the server's log, under both names (a repeated
    --comm keeps every value). curl reaches its first SSL_write within a
    few ms, sooner than its probes attach (an RCU grace period): without
    the hold it lost about one call in five here, and in test-deploy 2 of
    2."""
    wd = Workdir("exec-hold")
    srv = EchoServer(wd)
    ar = None
    ca = os.path.join(wd.cert_dir(), "ca.pem")
    curl, py = wd.file("arholdcurl"), wd.file("arholdpy")
    os.symlink(CURL, curl)
    os.symlink(PY, py)
    url = "https://127.0.0.1:%d/echo?resp=%%d" % srv.port
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--comm", "arholdcurl", "--comm",
                            "arholdpy", "--promote"], mode="record")
        pids = {}
        for i in range(CURLS):
            p = subprocess.Popen([curl, "-s", "-o", "/dev/null", "--cacert", ca, "-H",
                                  "Content-Type: application/octet-stream", "--data-binary",
                                  "first-call-%d" % i, url % (100 + i)])
            check(p.wait(timeout=30) == 0, "curl %d failed" % i)
            pids[p.pid] = "arholdcurl"
        for i in range(PYS):
            p = subprocess.Popen([py, os.path.join(os.path.dirname(__file__), "clients",
                                                   "bytes_client.py"),
                                  "https", str(srv.port), ca, "%d:%d" % (40 + i, 200 + i)])
            check(p.wait(timeout=30) == 0, "python client %d failed" % i)
            pids[p.pid] = "arholdpy"
        ar.finish()
        m = re.search(r"^hold: stopped=(\d+) continued=(\d+) after_deadline=0 failed=0 ",
                      ar.err(), re.M)
        check(m and m.group(1) == m.group(2), "hold stats:\n" + ar.err()[-2000:])
        print("    %s of %d clients were held until probed" % (m.group(1), len(pids)))
        got = by_client_port(analyze_dump(wd, wd.file("cap.agt")))
        conns = [json.loads(l) for l in open(os.path.join(srv.log_dir, "conns.jsonl"))]
        check(len(conns) == len(pids), "server saw %d connections" % len(conns))
        names = set()
        for c in conns:
            want_in, want_out = srv.conn_bytes(c["n"])
            have = got.get(c["client_port"], {})
            check("egress" in have and have["egress"][1] == want_in,
                  "request on client port %d not captured byte-exact (%r)" % (
                      c["client_port"], have.get("egress", (None, b""))[1][:80]))
            check("ingress" in have and have["ingress"][1] == want_out,
                  "response on client port %d not captured byte-exact" % c["client_port"])
            names.add(pids.get(int(have["egress"][0])))
        check(names == {"arholdcurl", "arholdpy"}, "calls captured from %r" % names)
    finally:
        if ar:
            ar.stop()
        srv.stop()
        wd.cleanup()


FORKS = 6
FORKER = """import os, runpy, sys
import http.client, ssl  # libssl is mapped before the forks
n, argv = int(sys.argv[1]), sys.argv[2:]
for i in range(n):
    pid = os.fork()
    if pid == 0:
        sys.argv = argv[:-1] + [argv[-1] % (i, i)]
        try:
            runpy.run_path(argv[0], run_name="__main__")
        finally:
            os._exit(0)
    print(pid, flush=True)
    _, st = os.waitpid(pid, 0)
    assert st == 0, st
"""


@test
def test_named_target_fork_child_first_call():
    """--comm arforkpy --promote: a python target (libssl already mapped)
    forks 6 workers one after another, each of which makes one HTTPS call
    at once, without an exec. Its uprobes are scoped, so each worker's go
    in after its fork record; its first connect holds it until they are.
    Every call is captured byte-exact, from the worker's pid. Without the
    hold armed at fork 4 of 6 were lost in the earlier attempt."""
    wd = Workdir("fork-hold")
    srv = EchoServer(wd)
    ar = None
    ca = os.path.join(wd.cert_dir(), "ca.pem")
    py = wd.file("arforkpy")
    os.symlink(PY, py)
    client = os.path.join(os.path.dirname(__file__), "clients", "bytes_client.py")
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--comm", "arforkpy", "--promote"],
                       mode="record")
        p = subprocess.Popen([py, "-c", FORKER, str(FORKS), client, "https", str(srv.port),
                              ca, "3%d:20%d"], stdout=subprocess.PIPE)
        out, _ = p.communicate(timeout=120)
        check(p.returncode == 0, "the forking target failed")
        kids = {int(x) for x in out.split()}
        check(len(kids) == FORKS, "workers %r" % kids)
        ar.finish()
        got = by_client_port(analyze_dump(wd, wd.file("cap.agt")))
        conns = [json.loads(l) for l in open(os.path.join(srv.log_dir, "conns.jsonl"))]
        check(len(conns) == FORKS, "server saw %d connections" % len(conns))
        lost, seen = [], set()
        for c in conns:
            want_in, want_out = srv.conn_bytes(c["n"])
            have = got.get(c["client_port"], {})
            if not ("egress" in have and have["egress"][1] == want_in and
                    "ingress" in have and have["ingress"][1] == want_out):
                lost.append(c["client_port"])
                continue
            seen.add(int(have["egress"][0]))
        check(not lost, "%d of %d workers' first calls not captured byte-exact (ports %r)"
              % (len(lost), FORKS, lost))
        check(seen == kids, "calls captured from pids %r, workers %r" % (seen, kids))
    finally:
        if ar:
            ar.stop()
        srv.stop()
        wd.cleanup()
