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

from harness import (Agentrace, MockLLM, Receiver, Workdir, check, node_env, run_client,
                     test, HERE)

PY = os.path.realpath(sys.executable)
PY_COMM = os.path.basename(PY)[:15]
NODE = os.path.join(HERE, "clients")
SECRETS = ["sk-proj-e2eTESTkey0123456789abcdef", "sk-ant-api03-e2eSECRET",
           "sk-test-python-0000", "sk-curl-SECRET-42"]


def attrs(span):
    return span.get("attributes", {})


def by_input_tokens(spans):
    out = {}
    for s in spans:
        it = attrs(s).get("gen_ai.usage.input_tokens")
        if it is not None:
            out.setdefault(int(it), []).append(s)
    return out


def want_finish(t):
    """The Responses API has no finish reason on the wire, only a status;
    agentrace maps it the way the chat API would have said it."""
    if not t["path"].startswith("/v1/responses"):
        return t["finish_reasons"]
    status = t["finish_reasons"][0]
    if status == "completed":
        return ["tool_calls" if t.get("tool_calls") else "stop"]
    if status == "incomplete":
        return ["max_output_tokens"]
    return ["error"]


def check_span_matches_truth(span, t):
    a = attrs(span)
    where = "span %s for truth seq %s" % (span.get("name"), t["seq"])
    check(a.get("gen_ai.response.id") == t["response_id"],
          "%s: response.id %r != %r" % (where, a.get("gen_ai.response.id"), t["response_id"]))
    if t["output_tokens"] is None:
        check("gen_ai.usage.output_tokens" not in a, "%s: unexpected output_tokens" % where)
    else:
        check(int(a.get("gen_ai.usage.output_tokens", -1)) == t["output_tokens"],
              "%s: output_tokens %r != %r" % (where, a.get("gen_ai.usage.output_tokens"),
                                              t["output_tokens"]))
    if t.get("model"):
        check(a.get("gen_ai.request.model") == t["model"],
              "%s: request.model %r != %r" % (where, a.get("gen_ai.request.model"), t["model"]))
    if t.get("response_model"):
        check(a.get("gen_ai.response.model") == t["response_model"],
              "%s: response.model %r" % (where, a.get("gen_ai.response.model")))
    if t.get("cache_read"):
        check(int(a.get("gen_ai.usage.cache_read.input_tokens", -1)) == t["cache_read"],
              "%s: cache_read %r != %r" % (where, a.get("gen_ai.usage.cache_read.input_tokens"),
                                           t["cache_read"]))
    if t.get("cache_creation"):
        check(int(a.get("gen_ai.usage.cache_creation.input_tokens", -1)) == t["cache_creation"],
              "%s: cache_creation" % where)
    if t.get("reasoning"):
        check(int(a.get("gen_ai.usage.reasoning.output_tokens", -1)) == t["reasoning"],
              "%s: reasoning tokens" % where)
    if t.get("finish_reasons") and t.get("operation") != "embeddings":
        check(list(a.get("gen_ai.response.finish_reasons", [])) == want_finish(t),
              "%s: finish_reasons %r != %r" % (where, a.get("gen_ai.response.finish_reasons"),
                                              t["finish_reasons"]))
    check(int(a.get("http.response.status_code", 0)) == t["status"], "%s: status code" % where)
    check(span["kind"] == 3, "%s: kind CLIENT" % where)
    op = a.get("gen_ai.operation.name")
    check(op and span["name"].startswith(op), "%s: name starts with operation" % where)
    if t.get("stream"):
        check(float(a.get("gen_ai.response.time_to_first_chunk", -1)) >= 0,
              "%s: time_to_first_chunk" % where)
    got_ids = [e["attributes"].get("gen_ai.tool.call.id") for e in span.get("events", [])
               if "gen_ai.tool.call.id" in e.get("attributes", {})]
    want_ids = [c["id"] for c in t.get("tool_calls", [])]
    check(got_ids == want_ids, "%s: tool call ids %r != %r" % (where, got_ids, want_ids))
    for e in span.get("events", []):
        if "gen_ai.tool.call.id" in e.get("attributes", {}):
            name = [c["name"] for c in t["tool_calls"] if c["id"] == e["attributes"]["gen_ai.tool.call.id"]]
            check(e["attributes"].get("gen_ai.tool.name") == name[0], "%s: tool name" % where)
    for k in ("process.pid", "process.executable.name", "thread.id", "server.address",
              "server.port", "gen_ai.provider.name"):
        check(k in a, "%s: missing %s" % (where, k))
    check(span["resource"].get("service.name"), "%s: resource service.name" % where)


def run_genai_case(clients, comms, extra_truth_filter=None, ar_args=()):
    """Runs clients under agentrace; every truth line must have its span."""
    wd = Workdir("genai")
    rcv = Receiver(wd)
    mock = MockLLM(wd)
    ar = None
    try:
        env = node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint)
        args = list(ar_args)
        for c in comms:
            args += ["--comm", c]
        ar = Agentrace(wd, args, env=env)
        cenv = node_env(wd)
        for argv in clients(mock):
            run_client(argv, cenv)
        time.sleep(1.0)
        ar.finish()
        ar_out = ar.out() + ar.err()
        truth = [t for t in mock.truth() if t.get("input_tokens") is not None]
        if extra_truth_filter:
            truth = [t for t in truth if extra_truth_filter(t)]
        check(truth, "the mock logged no calls")
        # Only calls to this test's mock: other node processes on the
        # machine may be traced too.
        spans = [s for s in rcv.spans() if int(attrs(s).get("server.port", 0)) == mock.port]
        idx = by_input_tokens(spans)
        for t in truth:
            found = idx.get(t["input_tokens"], [])
            check(len(found) == 1, "truth seq %d (%s %s): %d spans with input_tokens %d; "
                  "got %r" % (t["seq"], t["path"], t.get("stream"), len(found),
                              t["input_tokens"], sorted(idx)))
            check_span_matches_truth(found[0], t)
        raw = rcv.raw_bytes()
        for sec in SECRETS:
            check(sec.encode() not in raw, "secret %s reached the collector" % sec)
            check(sec not in ar_out, "secret %s in agentrace output" % sec)
        return spans, truth
    finally:
        if ar:
            ar.stop()
        mock.stop()
        rcv.stop()
        wd.cleanup()


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
    run_genai_case(clients, [PY_COMM])


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
    wd = Workdir("genai-err")
    rcv = Receiver(wd)
    mock = MockLLM(wd)
    try:
        ar = Agentrace(wd, ["--comm", "node"],
                       env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        cenv = node_env(wd)
        run_client(["node", os.path.join(NODE, "openai_chat.mjs"), "--base", mock.base + "/v1",
                    "--mode", "nonstream", "--header", "x-mock-error:429"], cenv, ok_codes=(3,))
        run_client(["node", os.path.join(NODE, "anthropic_messages.mjs"), "--base", mock.base,
                    "--mode", "stream", "--header", "x-mock-cut:3"], cenv, ok_codes=(0, 3))
        time.sleep(1.0)
        ar.finish()
        spans = [s for s in rcv.spans() if int(attrs(s).get("server.port", 0)) == mock.port]
        check(len(spans) == 2, "want 2 spans, got %d" % len(spans))
        for s in spans:
            check(s["status"]["code"] == 2, "span %s status %r" % (s["name"], s["status"]))
            check(attrs(s).get("error.type"), "span %s has error.type" % s["name"])
        codes = sorted(int(attrs(s).get("http.response.status_code", 0)) for s in spans)
        check(codes == [200, 429], "status codes %r" % codes)
    finally:
        mock.stop()
        rcv.stop()
        wd.cleanup()


def otlp_json_spans(path):
    """Spans from an OTLP JSON lines file (the file exporter's output)."""
    out = []
    for line in open(path):
        if not line.strip():
            continue
        for rs in json.loads(line).get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                for s in ss.get("spans", []):
                    a = {}
                    for kv in s.get("attributes", []):
                        v = kv["value"]
                        a[kv["key"]] = next(iter(v.values())) if v else None
                    out.append({"name": s["name"], "attributes": a})
    return out


@test
def test_genai_analyze_replays_capture_file():
    """`record` then `analyze`: the same spans as the calls' ground truth."""
    wd = Workdir("genai-replay")
    mock = MockLLM(wd)
    try:
        cap = wd.file("calls.agt")
        ar = Agentrace(wd, ["-o", cap, "--comm", "node"], mode="record")
        run_client(["node", os.path.join(NODE, "openai_chat.mjs"), "--base", mock.base + "/v1",
                    "--mode", "nonstream,stream,tool_stream"], node_env(wd))
        run_client(["node", os.path.join(NODE, "anthropic_messages.mjs"), "--base", mock.base,
                    "--mode", "stream"], node_env(wd))
        time.sleep(0.5)
        ar.finish()
        out = wd.file("spans.jsonl")
        r = subprocess.run([harness.AGENTRACE, "analyze", cap, "--exporter", "file",
                            "--output", out], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "analyze failed: " + r.stderr[-2000:])
        got = {s["attributes"].get("gen_ai.response.id"): s for s in otlp_json_spans(out)}
        truth = mock.truth()
        check(len(truth) == 4, "mock saw %d calls" % len(truth))
        for t in truth:
            s = got.get(t["response_id"])
            check(s is not None, "no replayed span for %s" % t["response_id"])
            check(int(s["attributes"]["gen_ai.usage.input_tokens"]) == t["input_tokens"],
                  "replayed input tokens")
            check(int(s["attributes"]["gen_ai.usage.output_tokens"]) == t["output_tokens"],
                  "replayed output tokens")
    finally:
        mock.stop()
        wd.cleanup()
