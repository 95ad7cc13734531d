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

import genai_truth
from harness import check, test, HERE

NODE = os.path.join(HERE, "clients")
GEMINI_KEY = "AIzaSyB-e2eGEMINIsecret0123456789abcdefgh"
URL_KEY = "AIzaSyC-e2eURLkeySECRET9876543210zyxwvut"


def attrs(span):
    return span.get("attributes", {})


def run_case(clients, comms, secrets, trace_server=False):
    """genai_truth.run_case: every span attributed and compared exactly."""
    return genai_truth.run_case(clients, comms, secrets, trace_server)


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
    # a local model server is traced too: each call once per side
    _, truth = run_case(clients, ["node"], [], trace_server=True)
    seen = {(t["operation"], t["stream"]) for t in truth}
    for want in (("chat", False), ("chat", True), ("text_completion", False),
                 ("text_completion", True)):
        check(want in seen, "no Ollama call of kind %r: %r" % (want, sorted(seen)))
    check(any(t["tool_calls"] for t in truth), "no Ollama tool call")
    check(any(t["finish_reasons"] == ["length"] for t in truth), "no length finish")
