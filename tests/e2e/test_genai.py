#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end gen_ai span tests: real SDK clients over real TLS to the mock
provider server, agentrace with real BPF, spans checked at a real OTLP/HTTP
receiver against the server's ground truth."""

import json
import os
import subprocess
import sys
import time

import harness

import genai_truth
import otlp_receiver
from harness import (Agentrace, MockLLM, Receiver, Workdir, check, check_server_side, node_env,
                     run_client, spans_by_process, split_calls, teardown, test, wait_spans,
                     HERE)

PY = os.path.realpath(sys.executable)
PY_COMM = os.path.basename(PY)[:15]
NODE = os.path.join(HERE, "clients")
SECRETS = ["sk-proj-e2eTESTkey0123456789abcdef", "sk-ant-api03-e2eSECRET",
           "sk-test-python-0000", "sk-curl-SECRET-42"]


def attrs(span):
    return span.get("attributes", {})


def run_genai_case(clients, comms, trace_server=False):
    return genai_truth.run_case(clients, comms, SECRETS, trace_server)


@test
def test_genai_openai_sdk_chat():
    run_genai_case(lambda m: [["node", os.path.join(NODE, "openai_chat.mjs"),
                               "--base", m.base + "/v1", "--key", SECRETS[0],
                               "--mode", "nonstream,stream,tool,tool_stream,tool_result,"
                               "completions,completions_stream,embeddings"]], ["node"])


@test
def test_genai_openai_sdk_responses():
    run_genai_case(lambda m: [["node", os.path.join(NODE, "openai_responses.mjs"),
                               "--base", m.base + "/v1", "--key", SECRETS[0]]], ["node"])


@test
def test_genai_anthropic_sdk():
    run_genai_case(lambda m: [["node", os.path.join(NODE, "anthropic_messages.mjs"),
                               "--base", m.base, "--key", SECRETS[1]]], ["node"])


@test
def test_genai_python_urllib():
    def clients(m):
        base = [PY, os.path.join(NODE, "py_client.py"), "llm", "--url", m.base,
                "--key", SECRETS[2]]
        return [base + ["--provider", "openai"], base + ["--provider", "openai", "--stream"],
                base + ["--provider", "anthropic"], base + ["--provider", "anthropic", "--stream"],
                base + ["--provider", "openai", "--gzip"]]
    run_genai_case(clients, [PY_COMM], trace_server=True)


@test
def test_genai_curl_with_api_key():
    body = json.dumps({"model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": 300,
                       "messages": [{"role": "user", "content": "hello"}]})

    def clients(m):
        return [["curl", "-sS", "--fail", "-H", "Authorization: Bearer " + SECRETS[3],
                 "-H", "Content-Type: application/json", "--data", body,
                 m.base + "/v1/chat/completions?key=" + SECRETS[3]]]
    spans, _ = run_genai_case(clients, ["curl"])
    a = attrs(spans[0])
    check(a.get("gen_ai.request.temperature") == 0.2, "temperature %r" % a.get("gen_ai.request.temperature"))
    check(int(a.get("gen_ai.request.max_tokens", 0)) == 300, "max_tokens")


@test
def test_genai_errors_become_error_spans():
    """A 429 and a stream cut mid-way: each client's one request is tied to
    its span by the client's pid, and each span's status and error.type are
    the ones its own request calls for."""
    wd = Workdir("genai-err")
    rcv = Receiver(wd)
    mock = MockLLM(wd)
    ar = None
    try:
        ar = Agentrace(wd, ["--comm", "node"],
                       env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        cenv = node_env(wd)
        # both SDKs report the failed call with exit status 3
        r429 = run_client(["node", os.path.join(NODE, "openai_chat.mjs"), "--base",
                           mock.base + "/v1", "--mode", "nonstream",
                           "--header", "x-mock-error:429"], cenv, ok_codes=(3,))
        rcut = run_client(["node", os.path.join(NODE, "anthropic_messages.mjs"), "--base",
                           mock.base, "--mode", "stream", "--header", "x-mock-cut:3"],
                          cenv, ok_codes=(3,))
        truth = {t["seq"]: t for t in mock.truth()}
        check(sorted(truth) == [1, 2], "mock saw calls %r" % sorted(truth))
        check(truth[1]["status"] == 429 and truth[2]["error"] == "cut",
              "mock records %r" % [(t["status"], t["error"]) for t in truth.values()])
        wait_spans(rcv, ar, 2, pids={r429.pid, rcut.pid}, port=mock.port)
        ar.finish()
        by = spans_by_process(rcv.spans(), [r429.pid, rcut.pid, mock.p.pid], mock.port)
        check_server_side(by[mock.p.pid], 2, traced=False)
        for r, t in ((r429, truth[1]), (rcut, truth[2])):
            spans = split_calls(by[r.pid])
            check(len(spans) == 1, "client %d: %d spans for its one call" % (r.pid, len(spans)))
            s, a = spans[0], attrs(spans[0])
            where = "span %r of truth seq %d" % (s["name"], t["seq"])
            check(s["status"]["code"] == 2, "%s: status %r" % (where, s["status"]))
            check(a.get("error.type") == genai_truth.want_error_type(t),
                  "%s: error.type %r, want %r" % (where, a.get("error.type"),
                                                 genai_truth.want_error_type(t)))
            check(a.get("http.response.status_code") == t["status"], "%s: http status %r != %r" %
                  (where, a.get("http.response.status_code"), t["status"]))
            for k, tk in (("gen_ai.provider.name", "provider"),
                          ("gen_ai.operation.name", "operation"),
                          ("gen_ai.request.model", "model")):
                check(a.get(k) == t[tk], "%s: %s %r != %r" % (where, k, a.get(k), t[tk]))
    finally:
        teardown(wd, ar, mock, rcv)


def otlp_json_spans(path):
    """Spans from an OTLP JSON lines file (the file exporter's output), in
    the receiver's flat form."""
    out = []
    for line in open(path):
        if line.strip():
            out += otlp_receiver.decode_json(line)
    return out


# Set by the moment each tracer saw a byte, not by the exchange itself.
TIMED = ("gen_ai.response.time_to_first_chunk",)


def span_identity(s):
    """Everything of a span that a replay must reproduce exactly (ids and
    times are new on every run)."""
    a = {k: v for k, v in s["attributes"].items() if k not in TIMED}
    ev = [(e["name"], sorted(e["attributes"].items())) for e in s.get("events", [])]
    return json.dumps([s["name"], s["kind"], s["status"], sorted(a.items()),
                       sorted(s["resource"].items()), ev], sort_keys=True)


@test
def test_genai_analyze_replays_capture_file():
    """`record` beside a live tracer, then `analyze`: the replayed span set
    equals the live one span for span (duplicates included), and both equal
    the calls' ground truth."""
    wd = Workdir("genai-replay")
    mock = MockLLM(wd)
    rcv = Receiver(wd)
    live = rec = None
    try:
        cap = wd.file("calls.agt")
        live = Agentrace(wd, ["--comm", "node"], name="live",
                         env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        rec = Agentrace(wd, ["-o", cap, "--comm", "node"], mode="record", name="record")
        ran = genai_truth.run_clients(
            [["node", os.path.join(NODE, "openai_chat.mjs"), "--base", mock.base + "/v1",
              "--mode", "nonstream,stream,tool_stream"],
             ["node", os.path.join(NODE, "anthropic_messages.mjs"), "--base", mock.base,
              "--mode", "stream"]], node_env(wd))
        truth = mock.truth()
        check(len(truth) == 4, "mock saw %d calls" % len(truth))
        pids = [r[0] for r in ran]
        wait_spans(rcv, live, len(truth), pids=set(pids), port=mock.port)
        live.finish()
        rec.finish()
        out = wd.file("spans.jsonl")
        r = subprocess.run([harness.AGENTRACE, "analyze", cap, "--exporter", "file",
                            "--output", out], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "analyze failed: " + r.stderr[-2000:])
        replayed = spans_by_process(otlp_json_spans(out), pids + [mock.p.pid], mock.port)
        lived = spans_by_process(rcv.spans(), pids + [mock.p.pid], mock.port)
        for pid in pids + [mock.p.pid]:
            got = sorted(span_identity(s) for s in replayed[pid])
            want = sorted(span_identity(s) for s in lived[pid])
            check(got == want, "pid %d: replayed spans differ from live ones:\n%s\n!=\n%s" %
                  (pid, "\n".join(got), "\n".join(want)))
        spans = [s for p in pids for s in split_calls(replayed[p])]
        check(len(spans) == len(truth), "%d replayed spans for %d calls" % (len(spans), len(truth)))
        for t, span in genai_truth.match_calls(spans, truth):
            pid, exe = genai_truth.client_of(t, ran)
            genai_truth.check_genai_span(span, t, mock.port, pid, exe)
    finally:
        for p in (live, rec, mock, rcv):
            if p:
                p.stop()
        wd.cleanup()
