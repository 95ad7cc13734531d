#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Go crypto/tls end to end: a Go 1.19 net/http client (clients/go_openai)
doing OpenAI chat completions over real TLS, traced through the uprobes on
(*tls.Conn).Write/Read and on their RET instructions; spans checked at a
real OTLP receiver against the mock's ground truth. The same client is run
built normally (symbols) and stripped (-s -w: .gopclntab only)."""

import json
import os
import subprocess
import time

from harness import (Agentrace, MockLLM, Proc, Receiver, Workdir, check, node_env, run_client,
                     test, wait_for, HERE)
from genai_truth import check_genai_span, match_calls
from harness import KIND_CLIENT, span_pid
from test_genai import attrs, run_genai_case

GO_SRC = os.path.join(HERE, "clients", "go_openai")


def build_go(wd, name, stripped):
    out = wd.file(name)
    env = dict(os.environ, GOFLAGS="-mod=mod", GO111MODULE="on", CGO_ENABLED="0",
               GOCACHE=os.environ.get("GOCACHE", "/tmp/agentrace-gocache"),
               GOPATH=os.environ.get("GOPATH", "/tmp/agentrace-gopath"))
    argv = ["go", "build", "-o", out] + (["-ldflags=-s -w"] if stripped else []) + ["."]
    r = subprocess.run(argv, cwd=GO_SRC, env=env, capture_output=True, text=True)
    check(r.returncode == 0, "go build failed: " + r.stderr[-2000:])
    return out


# --comm targets get their probes per process, attached when discovery sees
# the exec; a client calling within milliseconds of its start can win that
# race (a limitation of pid-scoped attachment, not of the Go probes), so the
# clients wait a moment first.
DELAY = ["-delay", "300ms"]


def run_go_case(name, stripped, flags):
    wd = Workdir("go")
    try:
        exe = build_go(wd, name, stripped)
        return run_genai_case(lambda m: [[exe, "-base", m.base + "/v1"] + DELAY + f
                                         for f in flags],
                              [name[:15]])
    finally:
        wd.cleanup()


@test
def test_go_tls_http1():
    run_go_case("go_openai_h1", False, [["-h1"], ["-h1", "-stream"]])


@test
def test_go_tls_http1_stripped():
    run_go_case("go_openai_h1s", True, [["-h1"], ["-h1", "-stream"]])


def h2_front(wd, mock):
    """tests/e2e/h2_proxy.mjs in front of the mock: (process, port)."""
    ready = wd.file("h2.ready")
    cert = wd.cert_dir()
    proxy = Proc(wd, "h2proxy", ["node", os.path.join(HERE, "h2_proxy.mjs"),
                                 "--cert", os.path.join(cert, "server.pem"),
                                 "--key", os.path.join(cert, "server.key"),
                                 "--ca", os.path.join(cert, "ca.pem"),
                                 "--upstream", mock.base, "--ready-file", ready])
    wait_for(lambda: os.path.exists(ready), what="h2 proxy ready")
    return proxy, int(open(ready).read())


def run_go_h2(name, stripped, flags):
    """The Go client over HTTP/2 to the h2 front of the mock; every truth
    line must have exactly one span, from the Go process."""
    wd = Workdir("go-h2")
    rcv = mock = proxy = ar = None
    try:
        exe = build_go(wd, name, stripped)
        rcv = Receiver(wd)
        mock = MockLLM(wd)
        proxy, port = h2_front(wd, mock)
        ar = Agentrace(wd, ["--comm", name[:15]],
                       env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        for f in flags:
            r = run_client([exe, "-base", "https://127.0.0.1:%d/v1" % port] + DELAY + f,
                           node_env(wd))
            for line in r.stdout.decode().splitlines():
                check(json.loads(line)["proto"] == "HTTP/2.0", "not HTTP/2: " + line)
        time.sleep(1.0)
        ar.finish()
        truth = [t for t in mock.truth() if t.get("input_tokens") is not None]
        check(truth, "the mock logged no calls")
        spans = [s for s in rcv.spans() if s["kind"] == KIND_CLIENT
                 and "gen_ai.provider.name" in attrs(s)
                 and attrs(s).get("process.executable.name", "").startswith(name[:15])]
        # each call exactly once, from the Go process, attribute by
        # attribute against the mock's truth (the front's port is the peer)
        for t, span in match_calls(spans, truth):
            check_genai_span(span, t, port, span_pid(span), name[:15])
        check(len(truth) == sum(int(f[f.index("-n") + 1]) if "-n" in f else 1 for f in flags),
              "truth has %d calls" % len(truth))
        # One HTTP/2 connection per client run: the concurrent calls were
        # streams multiplexed on it.
        h2 = [l for l in ar.err().splitlines() if l.startswith("http2:")]
        check(h2 and "conns=%d " % len(flags) in h2[-1], "http2 stats: %r" % h2)
        check("dirs_lost=0 " in h2[-1] and "hpack_errors=0 " in h2[-1], "http2: %r" % h2)
    finally:
        for p in (ar, proxy, mock, rcv):
            if p:
                try:
                    p.stop()
                except Exception:  # noqa: BLE001 - cleanup goes on
                    pass
        wd.cleanup()


@test
def test_go_tls_http2_concurrent_streams():
    run_go_h2("go_openai_h2", False, [["-n", "4"], ["-n", "3", "-stream"]])


@test
def test_go_tls_http2_stripped():
    run_go_h2("go_openai_h2s", True, [["-n", "2", "-stream"]])


@test
def test_grpc_over_h2_rpc_spans():
    """gRPC unary calls, concurrent on one HTTP/2 session of node's client
    (OpenSSL uprobes), against the gRPC service of the node http2 front:
    one RPC CLIENT span per call from the client's process, with
    rpc.system/service/method and the grpc-status of the trailers (or of a
    trailers-only error)."""
    wd = Workdir("grpc")
    rcv = mock = proxy = ar = None
    try:
        rcv = Receiver(wd)
        mock = MockLLM(wd)
        proxy, port = h2_front(wd, mock)
        ar = Agentrace(wd, ["--comm", "node"],
                       env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        p = subprocess.Popen(["node", os.path.join(HERE, "clients", "grpc_h2.mjs"),
                              "--url", "https://127.0.0.1:%d" % port,
                              "--ca", os.path.join(wd.cert_dir(), "ca.pem"), "--n", "3"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate(timeout=60)
        check(p.returncode == 0, "grpc client failed: %s" % err[-1500:])
        results = [json.loads(l) for l in out.decode().splitlines()]
        check([r["grpc_status"] for r in results] == ["0", "0", "0", "12"], repr(results))
        time.sleep(1.0)
        ar.finish()
        spans = [s for s in rcv.spans() if attrs(s).get("rpc.system") == "grpc" and
                 int(attrs(s).get("process.pid", 0)) == p.pid]
        got = sorted((attrs(s).get("rpc.method"), int(attrs(s).get("rpc.grpc.status_code", -1)))
                     for s in spans)
        check(got == [("Missing", 12), ("Say", 0), ("Say", 0), ("Say", 0)],
              "rpc spans from the client: %r\n%s" % (got, ar.err()[-2000:]))
        for s in spans:
            check(s["kind"] == 3, "kind CLIENT")
            check(attrs(s).get("rpc.service") == "agentrace.test.Echo", "rpc.service")
            check(s["name"] == "agentrace.test.Echo/" + attrs(s)["rpc.method"], s["name"])
            check((attrs(s).get("error.type") == "12") == (attrs(s)["rpc.method"] == "Missing"),
                  "error.type %r" % attrs(s).get("error.type"))
    finally:
        for pr in (ar, proxy, mock, rcv):
            if pr and pr.p.poll() is None:
                pr.stop()
        wd.cleanup()
