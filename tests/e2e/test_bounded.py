#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of issue #13's agent-first default: a process that is
not a target gets bounded capture (each plaintext read/write copied up to
--bounded-bytes, a connection judged uninteresting not at all) and makes
no spans; one whose plaintext request is an LLM call is promoted with
that request whole, stays a target across exec, and the server it calls
is promoted too. Ground truth: the echo server's own log of every byte."""

import json
import os
import re
import subprocess
import sys
import time

import harness
from harness import (KIND_CLIENT, KIND_SERVER, Agentrace, EchoServer, Receiver, Workdir,
                     analyze_dump, check, clean_env, run_client, span_pid, stream_bytes,
                     teardown, test, wait_for)

PY = os.path.realpath(sys.executable)

# One connection to the port in argv[1]; call() sends a request in one
# write and reads its response.
RAW_CALLS = r"""
import http.client, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def call(req):
    s.sendall(req)
    r = http.client.HTTPResponse(s)
    r.begin()
    r.read()
"""

# An untargeted client (an upload, a package manager): a 20 KB PUT in one
# write (http.client would write the head first, and the daemon's verdict
# on it may beat the body), then, once the daemon had time to judge the
# connection, three GETs.
PLAIN_CLIENT = RAW_CALLS + r"""
body = b"u" * 20000
call(b"PUT /pkg?resp=20000 HTTP/1.1\r\nHost: pkg\r\nContent-Length: %d\r\n\r\n" % len(body) +
     body)
time.sleep(1)
for i in range(3):
    call(b"GET /later%d?resp=100 HTTP/1.1\r\nHost: pkg\r\n\r\n" % i)
"""

# An agent over plaintext: an LLM call with a 20 KB prompt in one write,
# then, once the test saw it promoted, it execs a child that fetches 20 KB
# on a new connection.
AGENT = r"""
import http.client, os, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
body = b'{"model":"m","messages":[{"role":"user","content":"' + b"p" * 20000 + b'"}]}'
c.request("POST", "/v1/chat/completions?resp=9000", body=body,
          headers={"Content-Type": "application/json"})
c.getresponse().read()
c.close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
os.execv(sys.executable, [sys.executable, "-c", sys.argv[2], sys.argv[1]])
"""
AFTER_EXEC = r"""
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.request("GET", "/after-exec?resp=20000"); c.getresponse().read()
"""


def analyze_like_live(wd, rcv, pids):
    """analyze of wd's cap.agt makes the same spans as live, per process of
    pids (bounded capture: spans only from targets and their callers)."""
    import test_genai  # noqa: E402 - one reader of the file exporter's output
    out = wd.file("replayed.jsonl")
    r = subprocess.run([harness.AGENTRACE, "analyze", wd.file("cap.agt"), "--exporter",
                        "file", "--output", out], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "analyze failed: " + r.stderr[-2000:])
    replayed = test_genai.otlp_json_spans(out)
    for pid in pids:
        got = sorted((s.get("kind"), s.get("name")) for s in replayed if span_pid(s) == pid)
        want = sorted((s.get("kind"), s.get("name")) for s in rcv.spans() if span_pid(s) == pid)
        check(got == want, "pid %d: analyze made %r, live %r" % (pid, got, want))


def rows_of(rows, pid, port=None):
    return [r for r in rows if r["pid"] == str(pid) and
            (port is None or r["remote"].endswith(":%d" % port) or
             r["local"].endswith(":%d" % port))]


def one(rows, d, what):
    got = [r for r in rows if r["dir"] == d]
    check(len(got) == 1, "%s: %d %s streams: %r" % (what, len(got), d, rows))
    return stream_bytes(got[0]), int(got[0]["gap_bytes"])


@test
def test_bounded_capture_verdicts_and_promotion():
    """Default mode (no selector): an untargeted client's large GET is cut
    at 4096 bytes per read and, after the daemon's verdict, its later
    requests are not copied at all, and it makes no span; an untargeted
    agent's plaintext LLM call (20 KB, one write) promotes it with the
    whole request and response byte-exact, its exec'd child stays a target
    (its 20 KB response is whole), and the server it called is promoted by
    that request."""
    wd = Workdir("bounded")
    srv = EchoServer(wd, plain=True)
    rcv = Receiver(wd)
    ar = None
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--exporter", "otlp"],
                       mode="record", default_mode=True,
                       env=clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        plain = subprocess.Popen([PY, "-c", PLAIN_CLIENT, str(srv.port)], env=clean_env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = plain.communicate(timeout=60)
        check(plain.returncode == 0, "plain client failed: %r" % err[-1500:])
        go = wd.file("go")
        agent = subprocess.Popen([PY, "-c", AGENT, str(srv.port), AFTER_EXEC, go],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env())
        # exec only once the daemon is done with the call, so that nothing
        # but the kept promotion can make the child a target
        wait_for(lambda: re.search(r"promoted pid %d to a target" % agent.pid, ar.err()) and
                 [s for s in rcv.spans() if span_pid(s) == agent.pid], timeout=20,
                 what="the agent promoted and its call's span")
        open(go, "w").close()
        out, err = agent.communicate(timeout=60)
        check(agent.returncode == 0, "agent failed: %r" % err[-1500:])
        wait_for(lambda: len(srv.conns()) == 3, timeout=10, what="three connections logged")
        time.sleep(0.5)
        ar.finish()
        log = ar.err()
        check(re.search(r"promoted pid %d to a target: http_path /v1/chat/completions" %
                        agent.pid, log), "agent not promoted:\n" + log[-3000:])
        check(re.search(r"promoted pid %d to a target: http_path" % srv.p.pid, log),
              "the server the agent called was not promoted:\n" + log[-3000:])
        check("promoted pid %d " % plain.pid not in log, "plain client promoted:\n" + log[-3000:])
        check(re.search(r"^verdict: skip=[1-9]", log, re.M), "no verdict:\n" + log[-3000:])
        check(ar.kernel_stats().get("verdict_hit", 0) >= 1, "verdict never hit: %r" %
              ar.kernel_stats())
        conns = sorted(srv.conns(), key=lambda c: c["n"])
        rows = analyze_dump(wd, wd.file("cap.agt"))
        # 1. the untargeted client: bounded, then nothing after the verdict
        first, llm, after = conns
        want_in, want_out = srv.conn_bytes(first["n"])
        mine = [r for r in rows if r["remote"].endswith(":%d" % srv.port) and
                r["local"].endswith(":%d" % first["client_port"])]
        got_out, _ = one(mine, "egress", "plain client")
        check(got_out == want_in[:4096] and got_out.startswith(b"PUT /pkg?"),
              "plain client's 20 KB request not cut at 4096 bytes (%d of %d)" %
              (len(got_out), len(want_in)))
        check(ar.kernel_stats().get("bounded_bytes_skipped", 0) > 0, "nothing was cut")
        check(b"/later" not in got_out, "requests after the verdict were copied")
        ins = [r for r in mine if r["dir"] == "ingress"]
        got_in = b"".join(stream_bytes(r) for r in ins)
        check(len(got_in) < len(want_out), "the 20 KB response was not bounded (%d of %d)" %
              (len(got_in), len(want_out)))
        plain_spans = [s for s in rcv.spans() if span_pid(s) == plain.pid]
        check(not plain_spans, "an untargeted process made spans: %r" % plain_spans[:3])
        # 2. the agent's LLM call, whole, on both sides
        for n, what in ((llm["n"], "LLM call"), (after["n"], "after exec")):
            want_in, want_out = srv.conn_bytes(n)
            c = [x for x in conns if x["n"] == n][0]
            mine = rows_of(rows, agent.pid)
            mine = [r for r in mine if r["local"].endswith(":%d" % c["client_port"])]
            got_out, gap_out = one(mine, "egress", what)
            got_in, gap_in = one(mine, "ingress", what)
            check(got_out == want_in,
                  "%s: request differs from what the server read (%d vs %d bytes)" %
                  (what, len(got_out), len(want_in)))
            check(got_in == want_out and not gap_in and not gap_out,
                  "%s: response differs from what the server wrote (%d vs %d bytes, gaps "
                  "%d/%d)" % (what, len(got_in), len(want_out), gap_out, gap_in))
        served = [r for r in rows_of(rows, srv.p.pid)
                  if r["remote"].endswith(":%d" % llm["client_port"])]
        got_in, _ = one(served, "ingress", "server side of the LLM call")
        check(got_in == srv.conn_bytes(llm["n"])[0], "server's read of the LLM call differs")
        # analyze: the untargeted client makes no span there either
        analyze_like_live(wd, rcv, (plain.pid, agent.pid, srv.p.pid))
    finally:
        teardown(wd, ar, rcv, srv)


# A client behind a gateway: one keep-alive connection, a GET the daemon
# judges uninteresting, a second GET once that verdict is in the kernel
# (so the connection is skipped, not merely cut), then an LLM call on the
# same connection. Each request in one write; their exact bytes go to
# argv[2] as JSON lengths for the test to split the server's log.
GATEWAY_CLIENT = RAW_CALLS + r"""
import json
body = b'{"model":"gw-model","messages":[{"role":"user","content":"' + b"q" * 6000 + b'"}]}'
reqs = [b"GET /gw/models?resp=300 HTTP/1.1\r\nHost: gw\r\n\r\n",
        b"GET /gw/health?resp=300 HTTP/1.1\r\nHost: gw\r\n\r\n",
        b"POST /v1/chat/completions?resp=9000 HTTP/1.1\r\nHost: gw\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body]
call(reqs[0])
time.sleep(1)
call(reqs[1])
call(reqs[2])
json.dump([len(r) for r in reqs], open(sys.argv[2], "w"))
"""


@test
def test_bounded_keepalive_llm_call_after_a_verdict():
    """Default mode: an untargeted client's first GET gets a skip verdict
    and its second GET is not copied at all, but the LLM call it then
    makes on the same keep-alive connection re-opens capture in the kernel
    (a write starting with POST), is judged, promotes the client, and is
    captured byte-exact, request and response, against the server's log."""
    wd = Workdir("bounded-keepalive")
    srv = EchoServer(wd, plain=True)
    rcv = Receiver(wd)
    ar = None
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--exporter", "otlp"], mode="record",
                       default_mode=True,
                       env=clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        lens = wd.file("lens.json")
        cl = subprocess.Popen([PY, "-c", GATEWAY_CLIENT, str(srv.port), lens], env=clean_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = cl.communicate(timeout=60)
        check(cl.returncode == 0, "client failed: %r" % err[-1500:])
        wait_for(lambda: len(srv.conns()) == 1, timeout=10, what="the connection logged")
        wait_for(lambda: [s for s in rcv.spans() if span_pid(s) == cl.pid], timeout=20,
                 what="a span of the promoted client")
        ar.finish()
        log = ar.err()
        check(re.search(r"promoted pid %d to a target: http_path /v1/chat/completions" %
                        cl.pid, log), "client not promoted by its LLM call:\n" + log[-3000:])
        check(ar.kernel_stats().get("verdict_hit", 0) >= 1, "the GET's verdict never hit")
        get1, get2, post = json.load(open(lens))
        conn = srv.conns()[0]
        want_in, want_out = srv.conn_bytes(conn["n"])
        check(len(want_in) == get1 + get2 + post, "server read %d bytes" % len(want_in))
        resp = [len(httpwire_head(want_out, i)) for i in range(3)]
        rows = [r for r in analyze_dump(wd, wd.file("cap.agt")) if r["pid"] == str(cl.pid)]
        ids = sorted({int(r["conn_id"]) for r in rows})
        check(len(ids) == 2, "want the skipped connection and its reopening as two "
              "streams, got %r" % rows)
        old = [r for r in rows if int(r["conn_id"]) == ids[0]]
        new = [r for r in rows if int(r["conn_id"]) == ids[1]]
        got_out, _ = one(old, "egress", "before the skip")
        check(got_out == want_in[:get1], "egress before the skip: want the first GET only, "
              "got %d bytes: %r" % (len(got_out), got_out[:120]))
        got_out, gap_out = one(new, "egress", "reopened")
        got_in, gap_in = one(new, "ingress", "reopened")
        check(got_out == want_in[get1 + get2:] and not gap_out,
              "the LLM call differs from what the server read (%d vs %d bytes)" %
              (len(got_out), post))
        check(got_in == want_out[resp[0] + resp[1]:] and not gap_in,
              "the LLM call's response differs from what the server wrote (%d vs %d bytes)"
              % (len(got_in), resp[2]))
        check(ar.kernel_stats().get("bounded_reopen", 0) == 1, "reopened %r times" %
              ar.kernel_stats().get("bounded_reopen"))
        mine = [s for s in rcv.spans() if span_pid(s) == cl.pid]
        check([s.get("name") for s in mine] == ["chat gw-model"],
              "want one span, the LLM call's: %r" % [s.get("name") for s in mine])
    finally:
        teardown(wd, ar, rcv, srv)


def httpwire_head(out, i):
    """The i-th response (head and Content-Length body) in a server's
    output of back-to-back responses."""
    off = 0
    for k in range(i + 1):
        end = out.index(b"\r\n\r\n", off) + 4
        n = int(re.search(rb"(?i)content-length: *(\d+)", out[off:end]).group(1))
        if k == i:
            return out[off:end + n]
        off = end + n


# An agent that serves tools: a plaintext HTTP server in a thread; it
# becomes a target by its own LLM call to the echo server, then writes its
# port to argv[2] and serves until killed.
AGENT_SERVER = r"""
import http.client, http.server, sys, threading
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b'{"tool":"weather","result":"sunny"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
body = b'{"model":"m","messages":[{"role":"user","content":"plan"}]}'
c.request("POST", "/v1/chat/completions?resp=100", body=body,
          headers={"Content-Type": "application/json"})
c.getresponse().read()
c.close()
open(sys.argv[2] + ".tmp", "w").write(str(srv.server_address[1]))
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
"""

TOOL_CLIENT = r"""
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.request("GET", "/tools/weather?city=oslo")
r = c.getresponse()
assert r.status == 200 and b"sunny" in r.read()
"""


@test
def test_bounded_untargeted_client_of_an_agent_gets_its_client_span():
    """Default mode: a process that is not a target (a plain script) calls
    a tool server run by an agent (a target, promoted by its own LLM call).
    The script gets exactly one CLIENT span for that call and the agent one
    SERVER span, and the script itself is not promoted; its connection got
    no skip verdict."""
    wd = Workdir("bounded-caller")
    srv = EchoServer(wd, plain=True)
    rcv = Receiver(wd)
    ar = agent = None
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--exporter", "otlp"], mode="record",
                       default_mode=True,
                       env=clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        port_file = wd.file("agent.port")
        agent = subprocess.Popen([PY, "-c", AGENT_SERVER, str(srv.port), port_file],
                                 env=clean_env(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        wait_for(lambda: os.path.exists(port_file), timeout=20, what="the agent's port")
        wait_for(lambda: "promoted pid %d to a target" % agent.pid in ar.err(), timeout=20,
                 what="the agent promoted")
        client_pid = run_client([PY, "-c", TOOL_CLIENT, open(port_file).read()],
                                clean_env()).pid

        def spans_of(pid, kind):
            return [s for s in rcv.spans() if span_pid(s) == pid and s.get("kind") == kind]
        wait_for(lambda: spans_of(client_pid, KIND_CLIENT) and
                 [s for s in spans_of(agent.pid, KIND_SERVER) if "/tools/" in str(s)],
                 timeout=20, what="the client's CLIENT and the agent's SERVER span")
        time.sleep(1)
        ar.finish()
        mine = [s for s in rcv.spans() if span_pid(s) == client_pid]
        check(len(mine) == 1 and mine[0].get("kind") == KIND_CLIENT,
              "want one CLIENT span of the caller, got %r" % mine)
        check("/tools/weather" in str(mine[0].get("attributes")),
              "the caller's span names another call: %r" % mine[0])
        served = [s for s in rcv.spans() if span_pid(s) == agent.pid and
                  s.get("kind") == KIND_SERVER]
        check(len(served) == 1, "want one SERVER span of the agent, got %r" % served)
        log = ar.err()
        check("promoted pid %d " % client_pid not in log, "the caller was promoted")
        check(re.search(r"^verdict: .*calls_target=[1-9]", log, re.M),
              "no verdict withheld for a call to a target:\n" + log[-2000:])
        # the file records who was a target (AR_EV_TARGET) and who called one
        analyze_like_live(wd, rcv, (client_pid, agent.pid, srv.p.pid))
    finally:
        if agent:
            agent.kill()
            agent.wait()
        teardown(wd, ar, rcv, srv)


# An untargeted client: a keep-alive connection with two GETs a second
# apart (so that the second one meets the skip verdict on the first in the
# kernel, on the server's side too), closed; once argv[2] exists (the
# server has closed its end), a new connection carries an LLM call.
REUSE_CLIENT = RAW_CALLS + r"""
import os
call(b"GET /first?resp=300 HTTP/1.1\r\nHost: h\r\n\r\n")
time.sleep(1)
call(b"GET /second?resp=300 HTTP/1.1\r\nHost: h\r\n\r\n")
s.close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
body = b'{"model":"m","messages":[{"role":"user","content":"' + b"r" * 3000 + b'"}]}'
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
call(b"POST /v1/chat/completions?resp=500 HTTP/1.1\r\nHost: h\r\n"
     b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
"""


@test
def test_bounded_reused_fd_is_judged_afresh():
    """Default mode: the untargeted server's socket of a connection with a
    skip verdict (which the kernel's fast path caches by pid and fd) is
    closed, and its next accepted connection gets the same fd number. That
    connection's LLM call is copied and judged as a first message: the
    server is promoted by it, and its side of the call is captured whole."""
    wd = Workdir("bounded-fd-reuse")
    srv = EchoServer(wd, plain=True)
    ar = None
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--exporter", "none"], mode="record",
                       default_mode=True, env=clean_env())
        go = wd.file("go")
        cl = subprocess.Popen([PY, "-c", REUSE_CLIENT, str(srv.port), go], env=clean_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: len(srv.conns()) == 1, timeout=20, what="the first connection closed")
        time.sleep(0.3)  # the server's close() follows its log line
        open(go, "w").close()
        out, err = cl.communicate(timeout=60)
        check(cl.returncode == 0, "client failed: %r" % err[-1500:])
        wait_for(lambda: len(srv.conns()) == 2, timeout=10, what="the second connection")
        time.sleep(0.5)
        ar.finish()
        log = ar.err()
        first, second = sorted(srv.conns(), key=lambda c: c["n"])
        check(first["fd"] == second["fd"], "precondition: the server did not reuse its fd "
              "(%d, then %d)" % (first["fd"], second["fd"]))
        check(ar.kernel_stats().get("verdict_hit", 0) >= 1, "the GET's verdict never hit: %r"
              % ar.kernel_stats())
        check(re.search(r"promoted pid %d to a target: http_path /v1/chat/completions" %
                        srv.p.pid, log), "the server was not promoted by the LLM call on its "
              "reused fd:\n" + log[-3000:])
        rows = [r for r in rows_of(analyze_dump(wd, wd.file("cap.agt")), srv.p.pid)
                if r["remote"].endswith(":%d" % second["client_port"])]
        got_in, gap = one(rows, "ingress", "server side of the LLM call")
        check(got_in == srv.conn_bytes(second["n"])[0] and not gap,
              "the server's read of the LLM call differs (%d vs %d bytes, gap %d)" %
              (len(got_in), len(srv.conn_bytes(second["n"])[0]), gap))
    finally:
        teardown(wd, ar, srv)
