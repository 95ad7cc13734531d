#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""OTLP/gRPC export end to end: agentrace (live, real BPF, real TLS
clients) exports over HTTP/2 to a real grpcio server serving the OTLP trace
service from the official protos (tests/e2e/otlp_grpc_receiver.py). The
same run is recorded, and its capture replayed with http/protobuf to the
OTLP/HTTP receiver: the decoded spans must be equal. Retries on
UNAVAILABLE, gzip (refused by an identity-only server, accepted by the
other) and headers as metadata (never logged) are checked."""

import json
import os
import signal
import subprocess
import sys

from harness import (AGENTRACE, Proc, Receiver, check, test, wait_for)
from test_export import PARENT_ID, TRACE_ID, Case, check_once

RECEIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "otlp_grpc_receiver.py")
SECRET = "sk-grpc-META-5b6c7d8e9f"


class GrpcReceiver(Proc):
    """otlp_grpc_receiver.py under Debian's python3 (python3-grpcio)."""

    def __init__(self, wd, extra=(), name="grpc"):
        self.spans_path = wd.file(name + "-spans.jsonl")
        self.requests_path = wd.file(name + "-requests.jsonl")
        ready = wd.file(name + ".ready")
        super().__init__(wd, name, ["/usr/bin/python3", RECEIVER, "--port", "0",
                                    "--ready-file", ready, "--out", self.spans_path,
                                    "--requests", self.requests_path] + list(extra))
        wait_for(lambda: os.path.exists(ready) or self.p.poll() is not None, timeout=30,
                 what="grpc receiver ready")
        check(self.p.poll() is None, "grpc receiver exited: " + self.err())
        self.endpoint = "http://127.0.0.1:%d" % int(open(ready).read())

    def _lines(self, path):
        return [json.loads(l) for l in open(path)] if os.path.exists(path) else []

    def spans(self):
        return self._lines(self.spans_path)

    def requests(self):
        return self._lines(self.requests_path)


def stats(err, prefix):
    found = {}
    for line in err.splitlines():
        if line.startswith(prefix + ": "):
            found = {k: int(v) for k, v in (kv.split("=", 1) for kv in line.split()[1:])
                     if v.isdigit()}
    return found


def comparable(span, keep_trace_id):
    """A span without what two exports of the same records may differ in:
    the random span id, and the trace id of a span that began its trace."""
    s = dict(span)
    s.pop("protocol", None)
    s.pop("request_seq", None)  # the HTTP receiver numbers its requests
    s.pop("span_id", None)
    if not keep_trace_id:
        s.pop("trace_id", None)
    return json.dumps(s, sort_keys=True)


def analyze(capture, env):
    r = subprocess.run([AGENTRACE, "analyze", capture], env=env, capture_output=True,
                       text=True, timeout=120)
    check(r.returncode == 0, "analyze failed: " + r.stderr[-2000:])
    return r.stderr


@test
def test_grpc_export_retries_gzip_metadata_equal_to_http():
    c = Case("grpc", receiver=False)
    grpc_rx = nogz = http_rx = None
    try:
        grpc_rx = GrpcReceiver(c.wd, ["--fail-first", "2"])
        capture = c.wd.file("run.agtrace")
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env.update(OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
                   OTEL_EXPORTER_OTLP_ENDPOINT=grpc_rx.endpoint,
                   OTEL_EXPORTER_OTLP_COMPRESSION="gzip",
                   OTEL_EXPORTER_OTLP_HEADERS="x-e2e-tenant=blue,api-key=" + SECRET,
                   AGENTRACE_EXPORT_RETRY_INITIAL_MS="200")
        ready = c.wd.file("ar.ready")
        ar = subprocess.Popen([AGENTRACE, "record", "-o", capture, "--comm", "e2e-client",
                               "--ready-file", ready, "--stats-interval", "0"], env=env,
                              stdout=open(c.wd.file("ar.out"), "wb"),
                              stderr=open(c.wd.file("ar.err"), "wb"), start_new_session=True)
        try:
            wait_for(lambda: os.path.exists(ready) or ar.poll() is not None, timeout=30,
                     what="agentrace ready")
            check(ar.poll() is None, "agentrace exited: " + open(c.wd.file("ar.err")).read())
            c.run_py([{"model": "grpc-0",
                       "headers": {"traceparent": "00-%s-%s-01" % (TRACE_ID, PARENT_ID)}},
                      {"model": "grpc-1"}, {"model": "grpc-2"}])
            wait_for(lambda: len(grpc_rx.spans()) >= 3, timeout=60, what="3 spans over gRPC")
        finally:
            ar.send_signal(signal.SIGINT)
            ar.wait(timeout=30)
        err = open(c.wd.file("ar.err")).read()
        out = open(c.wd.file("ar.out")).read()
        check(ar.returncode == 0, "agentrace exit %d: %s" % (ar.returncode, err[-2000:]))
        check("exporting otlp grpc to " + grpc_rx.endpoint in err, "not exporting over gRPC")

        spans = grpc_rx.spans()
        check_once(spans, 3, "grpc")
        reqs = grpc_rx.requests()
        check([r["status"] for r in reqs[:2]] == ["UNAVAILABLE", "UNAVAILABLE"] and
              reqs[2]["status"] == "OK", "calls %r" % [r["status"] for r in reqs])
        check(stats(err, "export").get("retries", 0) >= 2, "retries not counted")
        for r in reqs:
            md = r["metadata"]
            check(md.get("x-e2e-tenant") == "blue" and md.get("api-key") == SECRET,
                  "headers are not metadata: %r" % sorted(md))
        check(SECRET not in err and SECRET not in out, "a metadata value was logged")

        # The same run's records, replayed and exported over http/protobuf.
        http_rx = Receiver(c.wd)
        env_http = {k: v for k, v in env.items() if not k.startswith("OTEL_")}
        env_http["OTEL_EXPORTER_OTLP_ENDPOINT"] = http_rx.endpoint
        analyze(capture, env_http)
        wait_for(lambda: len(http_rx.spans()) >= 3, timeout=30, what="3 spans over HTTP")
        hspans = http_rx.spans()
        check(all(s["protocol"] == "http/protobuf" for s in hspans), "not http/protobuf")
        for keep in (True, False):
            g = sorted(comparable(s, keep) for s in spans
                       if keep == (s["trace_id"] == TRACE_ID))
            h = sorted(comparable(s, keep) for s in hspans
                       if keep == (s["trace_id"] == TRACE_ID))
            check(g == h, "gRPC and http/protobuf spans differ:\n%s\n%s" % (g, h))
        check(len([s for s in spans if s["trace_id"] == TRACE_ID]) == 1, "traceparent span")

        # gzip is on the wire: an identity-only server refuses the message.
        nogz = GrpcReceiver(c.wd, ["--no-gzip"], name="nogzip")
        env_nogz = dict(env, OTEL_EXPORTER_OTLP_ENDPOINT=nogz.endpoint)
        e = analyze(capture, env_nogz)
        check(not nogz.spans() and "0 spans exported" in e and "3 failed" in e,
              "gzip message accepted by an identity-only server:\n" + e[-1500:])
        check("UNIMPLEMENTED" in e, "no gRPC status in the log:\n" + e[-1500:])
    finally:
        for p in (grpc_rx, nogz, http_rx):
            if p:
                p.stop(signal.SIGTERM)
        c.stop()
