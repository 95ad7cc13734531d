#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of trace context, tenant baggage and OTLP delivery:
real clients over real TLS to the mock provider, agentrace live with real
BPF, spans checked at tests/e2e/otlp_receiver.py (including injected 503s,
a 30 s outage with a restart on the same port, gzip and http/json)."""

import json
import os
import re
import socket
import subprocess
import sys
import time

from harness import (Agentrace, Failure, MockLLM, Receiver, Workdir, check, free_port, node_env,
                     run_client, test, wait_for)

PY = os.path.realpath(sys.executable)
# Python clients run through a symlink of this name, so --comm selects them
# and not the (also python) mock server; /proc/PID/exe stays PY.
CLIENT_COMM = "e2e-client"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
SECRETS = {
    "authorization": "sk-e2e-AUTH-7f3a9c1d5b",
    "x-api-key": "sk-e2e-XAPIKEY-0c9e8d7f",
    "api-key": "sk-e2e-APIKEY-3b4c5d6e",
    "key_query": "AIzaE2EqueryKEY-5566aa",
    "cookie": "sess-e2e-COOKIE-99aa88",
}

# One process, one keep-alive TLS connection, the requests from a JSON spec;
# prints {"pid", "ports", "statuses"}.
CLIENT = r'''
import http.client, json, os, ssl, sys
spec = json.load(open(sys.argv[1]))
ctx = ssl.create_default_context(cafile=spec["ca"])
conn = http.client.HTTPSConnection("127.0.0.1", spec["port"], context=ctx, timeout=60)
ports, statuses = set(), {}
for r in spec["requests"]:
    body = json.dumps({"model": r["model"], "max_tokens": 1000,
                       "messages": [{"role": "user", "content": "hello"}]})
    h = {"Content-Type": "application/json"}
    h.update(r.get("headers", {}))
    conn.request("POST", r.get("path", "/v1/chat/completions"), body=body, headers=h)
    ports.add(conn.sock.getsockname()[1])
    resp = conn.getresponse()
    resp.read()
    statuses[str(resp.status)] = statuses.get(str(resp.status), 0) + 1
conn.close()
print(json.dumps({"pid": os.getpid(), "ports": sorted(ports), "statuses": statuses}))
'''


def attrs(span):
    return span.get("attributes", {})


def model_of(span):
    return attrs(span).get("gen_ai.request.model")


def by_model(spans):
    out = {}
    for s in spans:
        out.setdefault(model_of(s), []).append(s)
    return out


def stats(ar, prefix):
    """The last '<prefix>: k=v ...' line agentrace printed on stderr."""
    found = {}
    for line in ar.err().splitlines():
        if line.startswith(prefix + ":"):
            found = {k: int(v) for k, v in
                     (kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)}
    return found


class Case:
    """Receiver, mock LLM server and agentrace for one test; clients run
    with run_py()/run_curl(). stop() cleans every process up."""

    def __init__(self, name, comms=(CLIENT_COMM,), ar_env=None, rcv_extra=(), receiver=True):
        self.wd = Workdir(name)
        self.rcv = self.mock = self.ar = None
        self.n_clients = 0
        self.client_path = self.wd.file("client.py")
        with open(self.client_path, "w") as f:
            f.write(CLIENT)
        self.py = self.wd.file(CLIENT_COMM)
        os.symlink(PY, self.py)
        try:
            if receiver:
                self.rcv = Receiver(self.wd, rcv_extra)
            self.mock = MockLLM(self.wd)
            self.comms = comms
            self.ar_env = dict(ar_env or {})
            if receiver:
                self.ar_env.setdefault("OTEL_EXPORTER_OTLP_ENDPOINT", self.rcv.endpoint)
        except BaseException:
            self.stop()
            raise

    def start_agentrace(self):
        args = []
        for c in self.comms:
            args += ["--comm", c]
        env = node_env(self.wd, **self.ar_env)
        env.pop("OTEL_SERVICE_NAME", None)
        self.ar = Agentrace(self.wd, args, env=env)

    def client_env(self, **extra):
        env = node_env(self.wd, **extra)
        for k in list(env):
            if k.startswith("OTEL_") and k not in extra:
                del env[k]
        return env

    def run_py(self, requests, env=None, timeout=120):
        """Runs the requests on one TLS connection; returns the summary."""
        self.n_clients += 1
        spec_path = self.wd.file("spec%d.json" % self.n_clients)
        with open(spec_path, "w") as f:
            json.dump({"ca": os.path.join(self.wd.cert_dir(), "ca.pem"),
                       "port": self.mock.port, "requests": requests}, f)
        r = run_client([self.py, self.client_path, spec_path], env or self.client_env(),
                       timeout=timeout)
        out = json.loads(r.stdout)
        check(out["statuses"] == {"200": len(requests)}, "client statuses %r" % out["statuses"])
        check(len(out["ports"]) == 1, "client used %d connections" % len(out["ports"]))
        return out

    def curl_argv(self, model, headers=(), query=""):
        body = json.dumps({"model": model, "max_tokens": 1000,
                           "messages": [{"role": "user", "content": "hello"}]})
        argv = ["curl", "-sS", "--fail", "-o", "/dev/null", "-H",
                "Content-Type: application/json"]
        for h in headers:
            argv += ["-H", h]
        return argv + ["--data", body, self.mock.base + "/v1/chat/completions" + query]

    def run_curl(self, model, headers=(), query=""):
        run_client(self.curl_argv(model, headers, query), self.client_env())

    def truth_tokens(self):
        return sorted(t["input_tokens"] for t in self.mock.truth()
                      if t.get("input_tokens") is not None)

    def wait_spans(self, n, rcv=None, timeout=30):
        rcv = rcv or self.rcv
        try:
            wait_for(lambda: len(rcv.spans()) >= n, timeout=timeout,
                     what="%d spans at the receiver" % n)
        except Failure:
            raise Failure("have %d of %d spans after %ds; agentrace stderr:\n%s" %
                          (len(rcv.spans()), n, timeout, self.ar.err()[-3000:])) from None

    def finish(self):
        """Stops agentrace (SIGINT flushes); returns its stderr."""
        self.ar.finish()
        return self.ar.err()

    def stop(self):
        for p in (self.ar, self.mock, self.rcv):
            if p:
                p.stop()
        self.wd.cleanup()


def check_once(spans, n, what):
    """n spans, each span_id exactly once, well-formed ids."""
    ids = [s["span_id"] for s in spans]
    dups = len(ids) - len(set(ids))
    check(dups == 0, "%s: %d duplicate spans" % (what, dups))
    check(len(spans) == n, "%s: %d spans, want %d" % (what, len(spans), n))
    for s in spans:
        check(re.fullmatch("[0-9a-f]{32}", s["trace_id"]) and s["trace_id"] != "0" * 32,
              "%s: bad trace_id %r" % (what, s["trace_id"]))
        check(re.fullmatch("[0-9a-f]{16}", s["span_id"]) and s["span_id"] != "0" * 16,
              "%s: bad span_id %r" % (what, s["span_id"]))


def check_tokens(spans, want, what):
    got = sorted(int(attrs(s).get("gen_ai.usage.input_tokens", -1)) for s in spans)
    check(got == want, "%s: span input_tokens %r != truth %r" % (what, got[:20], want[:20]))


@test
def test_export_traceparent_tracestate_baggage():
    c = Case("export-tp", comms=("curl",))
    try:
        c.start_agentrace()
        c.run_curl("e2e-valid", ["traceparent: 00-%s-%s-01" % (TRACE_ID, PARENT_ID),
                                 "tracestate: vendor=x", "baggage: tenant.id=acme,other=1"])
        # uppercase hex is invalid (W3C): a new trace, tracestate ignored
        c.run_curl("e2e-invalid", ["traceparent: 00-%s-%s-01" % (TRACE_ID.upper(),
                                                                PARENT_ID.upper()),
                                   "tracestate: vendor=x"])
        c.run_curl("e2e-none", [])
        c.wait_spans(3)
        c.finish()
        spans = c.rcv.spans()
        check_once(spans, 3, "traceparent")
        m = by_model(spans)
        v, bad, none = m["e2e-valid"][0], m["e2e-invalid"][0], m["e2e-none"][0]
        check(v["trace_id"] == TRACE_ID, "valid: trace_id %s" % v["trace_id"])
        check(v["parent_span_id"] == PARENT_ID, "valid: parent %r" % v["parent_span_id"])
        check(v["span_id"] != PARENT_ID, "valid: span_id reuses the parent id")
        check(v["trace_state"] == "vendor=x", "valid: trace_state %r" % v["trace_state"])
        check(v["flags"] & 0xff == 0x01, "valid: flags %#x" % v["flags"])
        check(attrs(v).get("tenant.id") == "acme",
              "valid: tenant.id %r" % attrs(v).get("tenant.id"))
        check(not any(k.startswith("baggage.") for k in attrs(v)),
              "baggage copied without an allow-list: %r" % sorted(attrs(v)))
        for name, s in (("invalid", bad), ("none", none)):
            check(s["trace_id"] not in (TRACE_ID, TRACE_ID.lower()),
                  "%s: joined the header's trace" % name)
            check(s["parent_span_id"] == "", "%s: parent %r" % (name, s["parent_span_id"]))
            check(s["trace_state"] == "", "%s: trace_state %r" % (name, s["trace_state"]))
            check("tenant.id" not in attrs(s), "%s: tenant.id set" % name)
        check(bad["trace_id"] != none["trace_id"], "two new traces share an id")
        st = stats(c.ar, "spans")
        check(st.get("traceparent_joined") == 1 and st.get("new_traces") == 2,
              "trace stats %r" % st)
    finally:
        c.stop()


@test
def test_export_1000_keepalive_three_tenants():
    n, tenants = 1000, ("t0", "t1", "t2")
    c = Case("export-tenants")
    try:
        c.start_agentrace()
        reqs = []
        for i in range(n):
            t = tenants[i % 3]
            # half the requests say it with baggage, half with x-tenant-id
            h = ({"baggage": "tenant.id=%s,req=%d" % (t, i)} if (i // 3) % 2 == 0
                 else {"x-tenant-id": t})
            reqs.append({"model": "tenant-m%04d" % i, "headers": h})
        c.run_py(reqs, timeout=300)
        c.wait_spans(n, timeout=60)
        c.finish()
        spans = c.rcv.spans()
        check_once(spans, n, "keep-alive tenants")
        check_tokens(spans, c.truth_tokens(), "keep-alive tenants")
        conns = {t["conn"] for t in c.mock.truth()}
        check(len(conns) == 1, "mock saw %d connections" % len(conns))
        wrong = []
        for s in spans:
            i = int(model_of(s)[len("tenant-m"):])
            if attrs(s).get("tenant.id") != tenants[i % 3]:
                wrong.append((i, attrs(s).get("tenant.id")))
        check(not wrong, "%d misattributed spans, e.g. %r" % (len(wrong), wrong[:5]))
        check(len(by_model(spans)) == n, "models not unique")
    finally:
        c.stop()


@test
def test_export_retry_after_503_exactly_once():
    n = 20
    c = Case("export-503", rcv_extra=["--fail-first", "2", "--fail-status", "503",
                                      "--retry-after", "1"],
             ar_env={"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "5"})
    try:
        c.start_agentrace()
        c.run_py([{"model": "retry-m%02d" % i} for i in range(n)])
        c.wait_spans(n)
        c.finish()
        spans = c.rcv.spans()
        check_once(spans, n, "503 retry")
        check_tokens(spans, c.truth_tokens(), "503 retry")
        reqs = [json.loads(l) for l in open(c.rcv.requests_path)]
        statuses = [r["status"] for r in reqs]
        check(statuses[:2] == [503, 503] and all(s == 200 for s in statuses[2:]),
              "receiver answered %r" % statuses)
        st = stats(c.ar, "export")
        check(st.get("retries", 0) >= 2 and st.get("dropped_failed") == 0,
              "export stats %r" % st)
    finally:
        c.stop()


@test
def test_export_collector_down_30s_then_back():
    down_s = 30
    c = Case("export-down", comms=(CLIENT_COMM, "curl"), receiver=False)
    rcv2 = None
    try:
        port = free_port()
        c.rcv = Receiver(c.wd, port=port, name="rx1")
        c.ar_env = {"OTEL_EXPORTER_OTLP_ENDPOINT": c.rcv.endpoint,
                    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "4",
                    # backoff cap: a span is sent at most 2 s after the
                    # collector is back, well within the wait below
                    "AGENTRACE_EXPORT_RETRY_MAX_MS": "2000"}
        c.start_agentrace()
        c.run_py([{"model": "up-m%02d" % i} for i in range(3)])
        c.wait_spans(3)
        c.rcv.stop()
        down_at = time.time()
        # spans made while the collector is down
        c.run_py([{"model": "down-m%02d" % i} for i in range(10)])
        c.run_curl("down-curl")
        time.sleep(max(0, down_at + down_s - time.time()))
        rcv2 = Receiver(c.wd, port=port, name="rx2")
        check(rcv2.port == port, "receiver came back on port %d, not %d" % (rcv2.port, port))
        c.wait_spans(11, rcv=rcv2, timeout=30)
        c.finish()
        spans = c.rcv.spans() + rcv2.spans()
        check_once(spans, 14, "outage")
        check_tokens(spans, c.truth_tokens(), "outage")
        check(all(model_of(s).startswith("down-") for s in rcv2.spans()),
              "spans sent twice across the outage")
        st = stats(c.ar, "export")
        check(st.get("requests_failed", 0) >= 2 and st.get("dropped_failed") == 0 and
              st.get("dropped_shutdown") == 0, "export stats %r" % st)
    finally:
        if rcv2:
            rcv2.stop()
        c.stop()


def run_small_case(name, ar_env):
    """Two python requests (one with a traceparent) and a curl call."""
    c = Case(name, comms=(CLIENT_COMM, "curl"), ar_env=ar_env)
    try:
        c.start_agentrace()
        c.run_py([{"model": "small-py0",
                   "headers": {"traceparent": "00-%s-%s-01" % (TRACE_ID, PARENT_ID)}},
                  {"model": "small-py1", "headers": {"x-tenant-id": "small"}}])
        c.run_curl("small-curl")
        c.wait_spans(3)
        c.finish()
        spans = c.rcv.spans()
        check_once(spans, 3, name)
        check_tokens(spans, c.truth_tokens(), name)
        m = by_model(spans)
        check(m["small-py0"][0]["trace_id"] == TRACE_ID, "%s: trace id %s" %
              (name, m["small-py0"][0]["trace_id"]))
        check(m["small-py0"][0]["parent_span_id"] == PARENT_ID, "%s: parent id" % name)
        check(attrs(m["small-py1"][0]).get("tenant.id") == "small", "%s: tenant" % name)
        reqs = [json.loads(l) for l in open(c.rcv.requests_path)]
        check(reqs and all(r["status"] == 200 for r in reqs), "%s: requests %r" % (name, reqs))
        return spans, reqs, c.rcv.raw_dir
    finally:
        c.stop()


@test
def test_export_gzip():
    spans, reqs, _ = run_small_case("export-gzip", {"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"})
    for r in reqs:
        check(r["content_encoding"] == "gzip" and
              r["headers"].get("content-encoding") == "gzip",
              "request %d not gzip: %r" % (r["seq"], r["headers"]))
        check(r["content_type"] == "application/x-protobuf", "content type %r" % r["content_type"])


@test
def test_export_http_json():
    spans, reqs, _ = run_small_case("export-json", {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"})
    for r in reqs:
        check(r["content_type"] == "application/json", "content type %r" % r["content_type"])
        check(r["content_encoding"] in ("", "identity"), "encoding %r" % r["content_encoding"])
    check(all(s["protocol"] == "http/json" for s in spans), "spans not decoded as JSON")
    check(all(s["resource"].get("service.name") for s in spans), "JSON resource")


@test
def test_export_no_secrets_in_bodies():
    s = SECRETS
    c = Case("export-secrets", comms=(CLIENT_COMM, "curl"),
             ar_env={"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"})
    try:
        c.start_agentrace()
        c.run_curl("sec-curl", ["Authorization: Bearer " + s["authorization"],
                                "x-api-key: " + s["x-api-key"], "api-key: " + s["api-key"],
                                "Cookie: session=" + s["cookie"]],
                   query="?key=" + s["key_query"])
        c.run_py([{"model": "sec-py", "path": "/v1/chat/completions?alt=x&key=" +
                   s["key_query"],
                   "headers": {"Authorization": "Bearer " + s["authorization"],
                               "x-api-key": s["x-api-key"], "api-key": s["api-key"],
                               "x-goog-api-key": s["key_query"],
                               "Cookie": "session=" + s["cookie"]}}])
        c.wait_spans(2)
        err = c.finish()
        spans = c.rcv.spans()
        check_once(spans, 2, "secrets")
        raw = c.rcv.raw_bytes()
        check(b"sec-curl" in raw and b"sec-py" in raw, "raw bodies hold no spans")
        out = c.ar.out() + err
        for name, v in s.items():
            check(v.encode() not in raw, "%s value reached the collector" % name)
            check(v not in out, "%s value in agentrace output" % name)
        for sp in spans:
            url = attrs(sp).get("url.full") or attrs(sp).get("url.path") or ""
            check(s["key_query"] not in url, "key= in url attribute %r" % url)
    finally:
        c.stop()


@test
def test_export_resource_attributes():
    c = Case("export-resource", comms=(CLIENT_COMM, "curl"),
             ar_env={"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=e2e"})
    try:
        c.start_agentrace()
        named = c.run_py([{"model": "res-named"}],
                         env=c.client_env(OTEL_SERVICE_NAME="e2e-named-svc"))
        plain = c.run_py([{"model": "res-plain"}])
        cp = subprocess.Popen(c.curl_argv("res-curl"), env=c.client_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        cout, cerr = cp.communicate(timeout=60)
        check(cp.returncode == 0, "curl failed: %r" % cerr[-500:])
        c.wait_spans(3)
        c.finish()
        spans = c.rcv.spans()
        check_once(spans, 3, "resource")
        m = by_model(spans)
        host = socket.gethostname()
        want = {"res-named": ("e2e-named-svc", named["pid"]),
                "res-plain": (os.path.basename(PY), plain["pid"]),
                "res-curl": ("curl", cp.pid)}
        for model, (svc, pid) in want.items():
            r = m[model][0]["resource"]
            check(r.get("service.name") == svc, "%s: service.name %r, want %r" %
                  (model, r.get("service.name"), svc))
            check(r.get("process.pid") == pid, "%s: process.pid %r, want %d" %
                  (model, r.get("process.pid"), pid))
            check(r.get("host.name") == host, "%s: host.name %r" % (model, r.get("host.name")))
            check(r.get("deployment.environment") == "e2e",
                  "%s: deployment.environment %r" % (model, r.get("deployment.environment")))
            check(attrs(m[model][0]).get("process.pid") == pid, "%s: span process.pid" % model)
    finally:
        c.stop()
