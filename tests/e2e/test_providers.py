#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end gen_ai spans for Gemini and Ollama: the official SDKs
(@google/genai against /v1beta and /v1, streamed and not; the ollama
package, NDJSON-streamed and not) and curl with the Gemini key in the URL,
over real TLS to the mock server, under agentrace with real BPF. Spans at
a real OTLP receiver are matched to the mock's ground truth by input
tokens. Gemini: output tokens = candidatesTokenCount + thoughtsTokenCount
(thoughts are reasoning, counted apart from candidates on the wire), input
= promptTokenCount (cached tokens included), finish reasons raw ("STOP",
"MAX_TOKENS"), function calls without ids. Ollama: prompt_eval_count and
eval_count, raw done_reason, no response id."""

import json
import os
import time

from harness import (Agentrace, MockLLM, Receiver, Workdir, check, node_env, run_client,
                     test, HERE)

NODE = os.path.join(HERE, "clients")
GEMINI_KEY = "AIzaSyB-e2eGEMINIsecret0123456789abcdefgh"
URL_KEY = "AIzaSyC-e2eURLkeySECRET9876543210zyxwvut"


def attrs(span):
    return span.get("attributes", {})


def check_span(span, t):
    a = attrs(span)
    where = "span %r for truth seq %s (%s)" % (span.get("name"), t["seq"], t["path"])

    def same(key, want):
        check(a.get(key) == want, "%s: %s %r != %r" % (where, key, a.get(key), want))

    same("gen_ai.provider.name", t["provider"])
    same("gen_ai.operation.name", t["operation"])
    same("gen_ai.request.model", t["model"])
    same("gen_ai.response.model", t["response_model"])
    same("gen_ai.response.id", t["response_id"])
    same("gen_ai.request.stream", bool(t["stream"]))
    check(int(a.get("gen_ai.usage.output_tokens", -1)) == t["output_tokens"],
          "%s: output tokens %r != %r" % (where, a.get("gen_ai.usage.output_tokens"),
                                          t["output_tokens"]))
    for key, tk in (("gen_ai.usage.cache_read.input_tokens", "cache_read"),
                    ("gen_ai.usage.reasoning.output_tokens", "reasoning")):
        if t.get(tk):
            check(int(a.get(key, -1)) == t[tk], "%s: %s %r != %r" % (where, key, a.get(key), t[tk]))
        else:
            check(key not in a, "%s: unexpected %s" % (where, key))
    same("gen_ai.response.finish_reasons", t["finish_reasons"])
    check(int(a.get("http.response.status_code", 0)) == t["status"], "%s: status" % where)
    check(span["status"].get("code", 0) != 2, "%s: error status %r" % (where, span["status"]))
    check(span["kind"] == 3, "%s: kind CLIENT" % where)
    check(span["name"] == "%s %s" % (t["operation"], t["model"]), "%s: name" % where)
    if t["stream"]:
        check(float(a.get("gen_ai.response.time_to_first_chunk", -1)) >= 0,
              "%s: time_to_first_chunk" % where)
    calls = [e["attributes"] for e in span.get("events", []) if e.get("name") == "gen_ai.tool.call"]
    check([c.get("gen_ai.tool.name") for c in calls] == [c["name"] for c in t["tool_calls"]],
          "%s: tool calls %r != %r" % (where, calls, t["tool_calls"]))
    for c, want in zip(calls, t["tool_calls"]):
        check(c.get("gen_ai.tool.call.id") == want["id"], "%s: tool call id %r" % (where, c))
    for k in ("server.address", "server.port", "process.pid"):
        check(k in a, "%s: missing %s" % (where, k))


def run_case(clients, comms, secrets):
    """Runs the clients under agentrace; every truth line with tokens must
    have exactly one matching span. Returns (spans, truth)."""
    wd = Workdir("providers")
    rcv = Receiver(wd)
    mock = MockLLM(wd)
    ar = None
    try:
        args = []
        for c in comms:
            args += ["--comm", c]
        ar = Agentrace(wd, args, env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        cenv = node_env(wd)
        for argv in clients(mock):
            run_client(argv, cenv)
        time.sleep(1.0)
        ar.finish()
        ar_out = ar.out() + ar.err()
        truth = [t for t in mock.truth() if t.get("input_tokens") is not None]
        check(truth, "the mock logged no calls")
        # other node/curl processes on the host may be traced too: only
        # spans for calls to this mock count
        spans = [s for s in rcv.spans() if int(attrs(s).get("server.port", 0)) == mock.port]
        idx = {}
        for s in spans:
            it = attrs(s).get("gen_ai.usage.input_tokens")
            if it is not None:
                idx.setdefault(int(it), []).append(s)
        for t in truth:
            found = idx.get(t["input_tokens"], [])
            check(len(found) == 1, "truth seq %d (%s stream=%s): %d spans with input_tokens "
                  "%d; have %r" % (t["seq"], t["path"], t["stream"], len(found),
                                   t["input_tokens"], sorted(idx)))
            check_span(found[0], t)
        # Calls that are not LLM calls (e.g. a model list) are tool spans.
        llm = [s for s in spans if "gen_ai.provider.name" in attrs(s)]
        check(len(llm) == len(truth), "%d LLM spans for %d calls" % (len(llm), len(truth)))
        raw = rcv.raw_bytes()
        for sec in secrets:
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
def test_providers_gemini_sdk():
    def clients(m):
        base = ["node", os.path.join(NODE, "gemini.mjs"), "--base", m.base, "--key", GEMINI_KEY]
        return [base + ["--api-version", "v1beta"],
                base + ["--api-version", "v1", "--mode", "nonstream,stream"],
                base + ["--api-version", "v1alpha", "--mode", "stream", "--max-tokens", "40"]]
    _, truth = run_case(clients, ["node"], [GEMINI_KEY])
    seen = {(t["api_version"], t["stream"], bool(t["tool_calls"])) for t in truth}
    for want in (("v1beta", False, False), ("v1beta", True, False), ("v1beta", False, True),
                 ("v1beta", True, True), ("v1", False, False), ("v1", True, False),
                 ("v1alpha", True, False)):
        check(want in seen, "no Gemini call of kind %r: %r" % (want, sorted(seen)))
    check(any(t["finish_reasons"] == ["MAX_TOKENS"] for t in truth), "no MAX_TOKENS call")


@test
def test_providers_gemini_key_in_url():
    body = json.dumps({"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
                       "generationConfig": {"temperature": 0.3}})

    def clients(m):
        url = m.base + "/v1beta/models/gemini-2.0-flash:%s?%skey=" + URL_KEY
        return [["curl", "-sS", "--fail", "-H", "Content-Type: application/json", "--data", body,
                 url % ("generateContent", "")],
                ["curl", "-sS", "--fail", "-N", "-H", "Content-Type: application/json",
                 "--data", body, url % ("streamGenerateContent", "alt=sse&")]]
    spans, _ = run_case(clients, ["curl"], [URL_KEY])
    for s in spans:
        check(attrs(s).get("gen_ai.request.temperature") == 0.3, "temperature in %r" % s["name"])


@test
def test_providers_ollama_sdk():
    def clients(m):
        base = ["node", os.path.join(NODE, "ollama.mjs"), "--base", m.base]
        return [base + ["--mode", "chat,chat_stream,generate,generate_stream,tool,tags"],
                base + ["--mode", "chat_stream,generate", "--max-tokens", "30"]]
    _, truth = run_case(clients, ["node"], [])
    seen = {(t["operation"], t["stream"]) for t in truth}
    for want in (("chat", False), ("chat", True), ("text_completion", False),
                 ("text_completion", True)):
        check(want in seen, "no Ollama call of kind %r: %r" % (want, sorted(seen)))
    check(any(t["tool_calls"] for t in truth), "no Ollama tool call")
    check(any(t["finish_reasons"] == ["length"] for t in truth), "no length finish")
