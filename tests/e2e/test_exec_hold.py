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
