#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end test of discover/conn_seed.c (issue #13): in the agent-first
default, a keep-alive connection that an agent opened BEFORE agentrace
started gets bounded capture like one opened after, so its next LLM call
promotes the agent and is captured, byte-exact against the server's log."""

import os
import re
import subprocess
import sys
import time

from harness import (Agentrace, EchoServer, Workdir, analyze_dump, check, clean_env,
                     stream_bytes, test, wait_for)

PY = os.path.realpath(sys.executable)

# One keep-alive connection: a GET before the daemon starts, then (once the
# go file exists) an LLM call on the same connection.
OLD_CONN_AGENT = r"""
import http.client, os, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.request("GET", "/before-start?resp=10"); c.getresponse().read()
open(sys.argv[3], "w").close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
body = b'{"model":"m","messages":[{"role":"user","content":"hi from an old connection"}]}'
c.request("POST", "/v1/chat/completions?resp=700", body=body,
          headers={"Content-Type": "application/json"})
c.getresponse().read()
"""


@test
def test_connection_open_before_start_gets_bounded_capture():
    """Default mode: the agent's connection predates the daemon; its LLM
    call on it promotes the agent ("promoted pid N ... http_path") and the
    call, request and response, is captured byte-exact from its first
    byte. Before conn_seed the kernel never saw the connection open and
    copied nothing of an untargeted process's unknown socket."""
    wd = Workdir("conn-seed")
    srv = EchoServer(wd, plain=True)
    ar = None
    go, ready = wd.file("go"), wd.file("ready")
    agent = subprocess.Popen([PY, "-c", OLD_CONN_AGENT, str(srv.port), go, ready],
                             env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: os.path.exists(ready), timeout=20, what="the agent's first GET")
        ar = Agentrace(wd, ["-o", wd.file("cap.agt")], mode="record", default_mode=True)
        m = re.search(r"bounded capture for \d+ TCP connections open before the start.*",
                      ar.err())
        print("    " + (m.group(0) if m else "no connection seeded"))
        open(go, "w").close()
        out, err = agent.communicate(timeout=30)
        check(agent.returncode == 0, "agent failed: %r" % err[-1500:])
        wait_for(lambda: re.search(r"promoted pid %d to a target: http_path "
                                   r"/v1/chat/completions" % agent.pid, ar.err()),
                 timeout=10, what="the agent promoted by its call on the old connection")
        time.sleep(0.3)
        ar.finish()
        conn = srv.conns()[0]
        want_in, want_out = srv.conn_bytes(conn["n"])
        cut_in = want_in.index(b"POST ")
        cut_out = want_out.index(b"HTTP/1.1", 1)
        rows = [r for r in analyze_dump(wd, wd.file("cap.agt"))
                if r["pid"] == str(agent.pid) and r["remote"].endswith(":%d" % srv.port)]
        got = {r["dir"]: (stream_bytes(r), int(r["gap_bytes"])) for r in rows}
        check(got.get("egress") == (want_in[cut_in:], 0),
              "LLM request not captured byte-exact: %r" % (got.get("egress"),))
        check(got.get("ingress") == (want_out[cut_out:], 0),
              "LLM response not captured byte-exact (%r bytes)" % (
                  len(got.get("ingress", (b"",))[0]),))
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
        if ar:
            ar.stop()
        srv.stop()
        wd.cleanup()
