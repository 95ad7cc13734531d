#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--inject-traceparent (issue 10, section 4), real BPF: a raw python
client sends, over one keep-alive plaintext connection, a request with a
body that looks like a request, one with its own traceparent, two
pipelined in one send, one split over three sends, one with a chunked
body in several sends; then one HTTPS request. The echo servers log the
exact bytes they received.

- every request without a traceparent arrives with exactly one, just
  before its blank line, whose parent-id is the span_id of agentrace's
  CLIENT span for it (same trace id);
- the request that had one arrives unchanged;
- with the injected lines taken out, the received stream is the sent
  stream byte for byte; request bodies hash the same on both sides;
- the HTTPS request's plaintext arrives unchanged (ciphertext untouched)."""

import json
import os
import re
import sys

from harness import (teardown, Agentrace, EchoServer, Proc, Receiver, Workdir, check, node_env,
                     span_pid, test, wait_for, wait_spans, HERE, KIND_SERVER)

CLIENT_KIND = 3
INJECTED = re.compile(rb"traceparent: 00-([0-9a-f]{32})-([0-9a-f]{16})-01\r\n")
OWN = b"Traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"


def inject_stats(err):
    for line in err.splitlines():
        if line.startswith("inject:"):
            return {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
    return {}


@test
def test_inject_traceparent_plaintext():
    wd = Workdir("inject")
    rcv = Receiver(wd)
    plain = EchoServer(wd, plain=True, name="plain")
    tls = EchoServer(wd, name="tls")
    client = ar = None
    go, out = wd.file("go"), wd.file("sent")
    try:
        client = Proc(wd, "client", [sys.executable, os.path.join(HERE, "clients", "inject_client.py"),
                                     str(plain.port), go, out, str(tls.port),
                                     os.path.join(wd.cert_dir(), "ca.pem")])
        ar = Agentrace(wd, ["--pid", str(client.p.pid), "--inject-traceparent"],
                       env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        open(go, "w").close()
        check(client.p.wait(60) == 0, "client failed: %s" % client.err()[-1500:])
        wait_spans(rcv, ar, 7, pids={client.p.pid})
        ar.finish()
        st = inject_stats(ar.err())
        print("    %s" % " ".join("%s=%d" % kv for kv in st.items()), flush=True)

        sent = open(out + ".bin", "rb").read()
        wait_for(lambda: plain.conns(), what="plain echo log")
        got, _ = plain.conn_bytes(plain.conns()[0]["n"])
        hits = list(INJECTED.finditer(got))
        check(len(hits) == 5, "%d injected headers, want 5 (one per request without one)"
              % len(hits))
        check(INJECTED.sub(b"", got) == sent,
              "received stream is not the sent stream plus the injected lines")
        for m in hits:
            check(got[m.end():m.end() + 2] == b"\r\n", "injected header not just before "
                  "the blank line: %r" % got[m.start() - 20:m.end() + 10])
        check(got.count(OWN) == 1 and sent.count(OWN) == 1, "own traceparent changed")
        own_at = got.index(OWN)
        block = got[got.rfind(b"\r\n\r\n", 0, own_at):got.index(b"\r\n\r\n", own_at)]
        check(b"traceparent: 00-" not in block, "injected into a request that had one")

        truth = json.load(open(out + ".json"))["bodies"]
        reqs = plain.conns()[0]["requests"]
        check([r["req_body_sha256"] for r in reqs] == truth,
              "body hashes differ: sent %r received %r" %
              (truth, [r["req_body_sha256"] for r in reqs]))

        wait_for(lambda: tls.conns(), what="tls echo log")
        tls_got, _ = tls.conn_bytes(tls.conns()[0]["n"])
        check(tls_got == open(out + ".tls", "rb").read(), "HTTPS request changed")

        spans = [s for s in rcv.spans() if s["kind"] == CLIENT_KIND and
                 s.get("resource", {}).get("process.pid") == client.p.pid]
        by_id = {s["span_id"]: s for s in spans}
        for m in hits:
            trace, parent = m.group(1).decode(), m.group(2).decode()
            s = by_id.get(parent)
            check(s is not None, "no CLIENT span with the injected parent-id %s: %r" %
                  (parent, [(x["name"], x["span_id"]) for x in spans]))
            check(s["trace_id"] == trace, "span trace %s, wire %s" % (s["trace_id"], trace))
            check(s["attributes"].get("agentrace.parent.source") == "injected",
                  "parent source %r" % s["attributes"].get("agentrace.parent.source"))
        check(st.get("injected") == 5 and st.get("had_traceparent") == 1 and
              st.get("failed") == 0 and st.get("lost_sync") == 0, "inject stats %r" % st)
        check(st.get("sockets", 0) == 2 and st.get("not_http", 0) == 1,
              "the TLS socket must be given up as not HTTP: %r" % st)
    finally:
        teardown(wd, client, ar, plain, tls, rcv)


@test
def test_inject_workflow_stays_one_trace_with_tenant():
    """The workflow of test_workflow.py with --inject-traceparent: the
    agent's plaintext call to the sub-agent is injected with the incoming
    request's trace (the kernel read it from inject_ctx) and tenant
    baggage; the whole workflow is still one trace, the sub-agent's SERVER
    span the child of the injected CLIENT span, every span with the
    tenant, and the sub-agent read the tenant from its own baggage."""
    from test_workflow import IN_PARENT, IN_TRACE, attrs, is_child, one, run_workflow
    by_pid, answer, truth, out = run_workflow([
        "traceparent: 00-%s-%s-01" % (IN_TRACE, IN_PARENT),
        "baggage: tenant.id=acme-e2e"], extra=["--inject-traceparent"])
    st = inject_stats(out)
    trace = [l for l in out.splitlines() if l.startswith("trace:")]
    print("    %s\n    %s" % (" ".join("%s=%d" % kv for kv in st.items()),
                              trace[-1] if trace else "-"), flush=True)
    every = by_pid["agent"] + by_pid["sub"] + by_pid["mock"]
    check(every and all(s["trace_id"] == IN_TRACE for s in every),
          "not one trace: %r" % sorted({s["trace_id"] for s in every}))
    to_sub = one(by_pid["agent"], lambda s: s["kind"] == CLIENT_KIND and
                 attrs(s).get("url.full", "").endswith("/run"), "call to sub")
    check(attrs(to_sub).get("agentrace.parent.source") == "injected",
          "call to sub: source %r" % attrs(to_sub).get("agentrace.parent.source"))
    sroot = one(by_pid["sub"], lambda s: s["kind"] == 2, "sub-agent SERVER span")
    check(is_child(sroot, to_sub), "sub-agent SERVER is not the child of the injected call")
    for s in every:
        if s["kind"] != 1:
            check(attrs(s).get("tenant.id") == "acme-e2e", "%s has tenant %r" %
                  (s["name"], attrs(s).get("tenant.id")))
    check(st.get("injected") == 1 and st.get("with_context") == 1 and st.get("failed") == 0,
          "inject stats %r" % st)
    tfb = int(trace[-1].split("tenant_from_baggage=")[1].split()[0]) if trace else 0
    check(tfb >= 2, "the sub-agent did not read the injected tenant baggage: %s" % trace)


@test
def test_inject_workflow_untraced_caller_stays_one_trace():
    """No incoming traceparent and an untraced caller (curl): the kernel
    decided the agent's SERVER ids at the read (bpf/serve.bpf.h), so its
    call to the sub-agent carries the workflow's trace, and nothing is
    late. The workflow is one trace; the sub-agent's SERVER span follows
    its local caller (peer), whose ids are the header's."""
    from test_workflow import attrs, is_child, one, run_workflow
    by_pid, answer, truth, out = run_workflow([], extra=["--inject-traceparent"])
    st = inject_stats(out)
    trace = [l for l in out.splitlines() if l.startswith("trace:")]
    print("    %s\n    %s" % (" ".join("%s=%d" % kv for kv in st.items()),
                              trace[-1] if trace else "-"), flush=True)
    every = by_pid["agent"] + by_pid["sub"] + by_pid["mock"]
    check(every and len({s["trace_id"] for s in every}) == 1,
          "not one trace: %r" % sorted({s["trace_id"] for s in every}))
    to_sub = one(by_pid["agent"], lambda s: s["kind"] == CLIENT_KIND and
                 attrs(s).get("url.full", "").endswith("/run"), "call to sub")
    sroot = one(by_pid["sub"], lambda s: s["kind"] == 2, "sub-agent SERVER span")
    check(is_child(sroot, to_sub), "sub-agent SERVER is not the child of the agent's call")
    check(attrs(sroot).get("agentrace.parent.source") == "peer",
          "sub source %r" % attrs(sroot).get("agentrace.parent.source"))
    check(st.get("injected") == 1 and st.get("with_context") == 1, "inject stats %r" % st)
    check(trace and "inject_ctx_late=0" in trace[-1], "late context counted: %s" % trace)


INJ_FULL = re.compile(rb"traceparent: 00-([0-9a-f]{32})-([0-9a-f]{16})-01\r\n")
IN_TRACE, IN_PARENT = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


@test
def test_inject_immediate_call_continues_trace():
    """The injection race (issue 10, left item 1): an untraced caller
    (this test) posts to a relay agent (ThreadingHTTPServer) that calls a
    plaintext callee at once, within microseconds of reading the request.
    The callee stands for a service on another node: all it contributes
    is the traceparent it received (the echo server's byte log). Once
    without a traceparent, once with one. Each time the callee must
    continue the agent's trace: trace-id of its SERVER span (the incoming
    one when given), parent-id the agent's CLIENT span, itself the SERVER
    span's child. Before the kernel decided SERVER ids at the read, the
    call carried a fresh trace (inject_ctx_late)."""
    import urllib.request
    wd = Workdir("inject-race")
    rcv = Receiver(wd)
    callee = EchoServer(wd, plain=True, name="callee")
    agent = ar = None
    try:
        port_file = wd.file("relay.port")
        agent = Proc(wd, "relay", [sys.executable, os.path.join(HERE, "agents", "relay_agent.py"),
                                   port_file, str(callee.port)])
        wait_for(lambda: os.path.exists(port_file), what="relay port")
        port = int(open(port_file).read())
        ar = Agentrace(wd, ["--pid", str(agent.p.pid), "--inject-traceparent"],
                       env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        for hdr in ({}, {"traceparent": "00-%s-%s-01" % (IN_TRACE, IN_PARENT)}):
            req = urllib.request.Request("http://127.0.0.1:%d/run" % port, data=b'{"task":1}',
                                         method="POST", headers=hdr)
            with urllib.request.urlopen(req, timeout=30) as r:
                check(r.status == 200 and b'"callee":200' in r.read(), "relay failed")
        wait_spans(rcv, ar, 4, pids={agent.p.pid})
        ar.finish()
        st = inject_stats(ar.err())
        trace = [l for l in ar.err().splitlines() if l.startswith("trace:")]
        print("    %s\n    %s" % (" ".join("%s=%d" % kv for kv in st.items()),
                                  trace[-1] if trace else "-"), flush=True)
        spans = [s for s in rcv.spans() if span_pid(s) == agent.p.pid]
        servers = sorted((s for s in spans if s["kind"] == KIND_SERVER),
                         key=lambda s: s["start_time_unix_nano"])
        clients = {s["span_id"]: s for s in spans if s["kind"] == CLIENT_KIND}
        check(len(servers) == 2 and len(clients) == 2, "agent spans %r" %
              [(s["name"], s["kind"]) for s in spans])
        wait_for(lambda: len(callee.conns()) == 2, what="callee logs")
        got = [INJ_FULL.findall(callee.conn_bytes(c["n"])[0]) for c in callee.conns()]
        check(all(len(g) == 1 for g in got), "callee traceparents %r" % got)
        wire = {parent.decode(): tid.decode() for ((tid, parent),) in got}
        for i, srv in enumerate(servers):
            kids = [c for c in clients.values() if c.get("parent_span_id") == srv["span_id"]]
            check(len(kids) == 1 and kids[0]["trace_id"] == srv["trace_id"],
                  "request %d: the call is not the SERVER span's child" % i)
            call = kids[0]
            check(wire.get(call["span_id"]) == srv["trace_id"],
                  "request %d: the callee got trace %r under parent-id %s, the agent's "
                  "workflow is trace %s" % (i, sorted(wire.items()), call["span_id"],
                                             srv["trace_id"]))
        check(servers[1]["trace_id"] == IN_TRACE and
              servers[1].get("parent_span_id") == IN_PARENT,
              "incoming traceparent not continued: %s/%s" %
              (servers[1]["trace_id"], servers[1].get("parent_span_id")))
        check(st.get("served") == 2 and st.get("served_traceparent") == 1 and
              st.get("with_context") == 2, "inject stats %r" % st)
        check(trace and "inject_ctx_late=0" in trace[-1] and "serve_mismatch=0" in trace[-1],
              "trace stats: %s" % trace)
    finally:
        teardown(wd, agent, ar, callee, rcv)
