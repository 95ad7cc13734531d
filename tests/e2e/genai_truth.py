# SPDX-License-Identifier: MIT
"""The gen_ai CLIENT span a call must produce, derived from the mock's
ground truth (what it received and what it answered), and a strict
comparison: every attribute is compared with its expected value, and an
attribute nobody expects is an error. Used by test_genai.py and
test_providers.py."""

import os
import re
import time

from harness import (teardown, KIND_CLIENT, Agentrace, Failure, MockLLM, Receiver, Workdir, check,
                     check_server_side, node_env, run_client, span_pid, spans_by_process,
                     split_calls,
                     wait_spans)

STATUS_ERROR = 2

HEX16 = re.compile("[0-9a-f]{16}")
PARENT_SOURCES = ("traceparent", "server", "peer", "injected", "none", "agent_turn",
                  "execute_tool")
# Attributes whose value is not in the truth: checked for type/range only.
VARIABLE = {
    "thread.id": lambda v: isinstance(v, int) and v > 0,
    "gen_ai.response.time_to_first_chunk": lambda v: isinstance(v, float) and v >= 0,
    # the causal graph's (docs/attributes.md)
    "agentrace.graph.input.hash": lambda v: isinstance(v, str) and HEX16.fullmatch(v),
    "agentrace.graph.output.hash": lambda v: isinstance(v, str) and HEX16.fullmatch(v),
    "gen_ai.conversation.id": lambda v: isinstance(v, str) and v,
    "gen_ai.agent.name": lambda v: isinstance(v, str) and v,
    "agentrace.parent.source": lambda v: v in PARENT_SOURCES,
}


def request_tool_names(body):
    """The tool names a request offered the model, in any provider's dialect."""
    names = []
    for tool in body.get("tools") or []:
        if not isinstance(tool, dict):
            continue
        fn = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        if fn.get("name"):
            names.append(fn["name"])
        for decl in tool.get("functionDeclarations") or []:
            if isinstance(decl, dict) and decl.get("name"):
                names.append(decl["name"])
    return names


def check_tool_definitions(a, t, where):
    """tool.definitions.hash and tool.definition.hashes (tool contracts,
    docs/tool-contracts.md) are there exactly when the request offered
    tools, one NAME=HASH per offered tool. Pops them from a."""
    names = request_tool_names(t.get("request_json") or {})
    whole = a.pop("tool.definitions.hash", None)
    each = a.pop("tool.definition.hashes", None)
    if not names:
        check(whole is None and each is None,
              "%s: tool definition hashes without tools: %r %r" % (where, whole, each))
        return
    check(isinstance(whole, str) and HEX16.fullmatch(whole),
          "%s: tool.definitions.hash %r" % (where, whole))
    got = sorted(e.split("=")[0] for e in each or [])
    check(got == sorted(names) and all(HEX16.fullmatch(e.split("=", 1)[1]) for e in each),
          "%s: tool.definition.hashes %r for tools %r" % (where, each, names))


def want_finish(t):
    """The Responses API has no finish reason on the wire, only a status;
    agentrace maps it the way the chat API would have said it."""
    if not (t["path"] or "").startswith("/v1/responses"):
        return t["finish_reasons"]
    status = t["finish_reasons"][0]
    if status == "completed":
        return ["tool_calls" if t.get("tool_calls") else "stop"]
    if status == "incomplete":
        return ["max_output_tokens"]
    return ["error"]


def _stop_list(v):
    return [v] if isinstance(v, str) else list(v)


# (request key, attribute, converter) per request dialect
_OPENAI = [("temperature", "gen_ai.request.temperature", float),
           ("top_p", "gen_ai.request.top_p", float),
           ("max_tokens", "gen_ai.request.max_tokens", int),
           ("max_completion_tokens", "gen_ai.request.max_tokens", int),
           ("max_output_tokens", "gen_ai.request.max_tokens", int),
           ("seed", "gen_ai.request.seed", int),
           ("n", "gen_ai.request.choice.count", int),
           ("stop", "gen_ai.request.stop_sequences", _stop_list),
           ("frequency_penalty", "gen_ai.request.frequency_penalty", float),
           ("presence_penalty", "gen_ai.request.presence_penalty", float),
           ("encoding_format", "gen_ai.request.encoding_formats", _stop_list),
           ("dimensions", "gen_ai.embeddings.dimension.count", int)]
_ANTHROPIC = [("temperature", "gen_ai.request.temperature", float),
              ("top_p", "gen_ai.request.top_p", float),
              ("top_k", "gen_ai.request.top_k", float),
              ("max_tokens", "gen_ai.request.max_tokens", int),
              ("stop_sequences", "gen_ai.request.stop_sequences", list)]
_GEMINI = [("temperature", "gen_ai.request.temperature", float),
           ("topP", "gen_ai.request.top_p", float),
           ("topK", "gen_ai.request.top_k", float),
           ("maxOutputTokens", "gen_ai.request.max_tokens", int),
           ("seed", "gen_ai.request.seed", int),
           ("candidateCount", "gen_ai.request.choice.count", int),
           ("stopSequences", "gen_ai.request.stop_sequences", list),
           ("frequencyPenalty", "gen_ai.request.frequency_penalty", float),
           ("presencePenalty", "gen_ai.request.presence_penalty", float)]
_OLLAMA = [("temperature", "gen_ai.request.temperature", float),
           ("top_p", "gen_ai.request.top_p", float),
           ("top_k", "gen_ai.request.top_k", float),
           ("num_predict", "gen_ai.request.max_tokens", int),
           ("seed", "gen_ai.request.seed", int),
           ("stop", "gen_ai.request.stop_sequences", _stop_list)]


def request_attrs(t):
    """gen_ai.request.* from the request body the mock received."""
    body = t.get("request_json") or {}
    prov = t["provider"]
    if prov == "gcp.gemini":
        src, table = body.get("generationConfig") or {}, _GEMINI
    elif prov == "ollama":
        src, table = body.get("options") or {}, _OLLAMA
    elif prov == "anthropic":
        src, table = body, _ANTHROPIC
    else:
        src, table = body, _OPENAI
    out = {}
    for key, attr, conv in table:
        if src.get(key) is not None:
            out[attr] = conv(src[key])
    if t.get("model"):
        out["gen_ai.request.model"] = t["model"]
    # Gemini and Ollama say "stream" by URL or by default, so it is always
    # known; OpenAI and Anthropic only when the body says it (or it streamed).
    if prov in ("gcp.gemini", "ollama") or "stream" in body or t["stream"]:
        out["gen_ai.request.stream"] = bool(t["stream"])
    return out


def error_type_sent(t):
    """The provider's own error type in the error body the mock sent
    (OpenAI: type, else code), or the status code when it has none."""
    body = t.get("error_body") or {}
    err = body.get("error")
    if t["provider"] == "gcp.gemini" and isinstance(err, dict):
        return err.get("status") or str(t["status"])
    if isinstance(err, dict):
        return err.get("type") or err.get("code") or str(t["status"])
    return str(t["status"])


def want_error_type(t):
    """error.type as the span must carry it, or None for a successful call."""
    if t["status"] and t["status"] >= 400:
        return error_type_sent(t)
    if t.get("error") == "cut":
        return "stream_incomplete" if t["stream"] else "response_incomplete"
    return None


def expected_attrs(t, port, pid, exe):
    """Every attribute of the call's CLIENT span with a value the truth
    fixes, VARIABLE ones aside."""
    a = {"gen_ai.operation.name": t["operation"], "gen_ai.provider.name": t["provider"],
         "server.address": "127.0.0.1", "server.port": port,
         "process.pid": pid, "process.executable.name": exe,
         "http.response.status_code": t["status"]}
    a.update(request_attrs(t))
    for key, tk in (("gen_ai.response.id", "response_id"),
                    ("gen_ai.response.model", "response_model"),
                    ("gen_ai.usage.input_tokens", "input_tokens"),
                    ("gen_ai.usage.output_tokens", "output_tokens"),
                    # the parts: present exactly when sent, zero included
                    ("gen_ai.usage.cache_read.input_tokens", "cache_read"),
                    ("gen_ai.usage.cache_creation.input_tokens", "cache_creation"),
                    ("gen_ai.usage.reasoning.output_tokens", "reasoning")):
        if t.get(tk) is not None:
            a[key] = t[tk]
    if t.get("finish_reasons") and t["operation"] != "embeddings":
        a["gen_ai.response.finish_reasons"] = want_finish(t)
    err = want_error_type(t)
    if err:
        a["error.type"] = err
    return a


def exe_name(argv0):
    """process.executable.name of a client started as argv0 (the kernel's
    comm: the file name, at most 15 bytes)."""
    return os.path.basename(argv0)[:15]


def check_genai_span(span, t, port, pid, exe):
    """Compares one gen_ai CLIENT span with the call's truth, exactly."""
    a = dict(span.get("attributes", {}))
    where = "span %r for truth seq %s (%s stream=%s)" % (span.get("name"), t["seq"], t["path"],
                                                          t["stream"])
    want = expected_attrs(t, port, pid, exe)
    check_tool_definitions(a, t, where)
    for k, v in want.items():
        got = a.get(k)
        same = got == v if not isinstance(v, float) else isinstance(got, float) and got == v
        check(same, "%s: %s %r != truth %r" % (where, k, got, v))
    extra = sorted(set(a) - set(want) - set(VARIABLE))
    check(not extra, "%s: unexpected attributes %r" % (where, {k: a[k] for k in extra}))
    for k, ok in VARIABLE.items():
        check(k not in a or ok(a[k]), "%s: %s %r" % (where, k, a.get(k)))
    check("thread.id" in a, "%s: no thread.id" % where)
    ttfc = a.get("gen_ai.response.time_to_first_chunk")
    if t["stream"] and t["status"] == 200:
        check(isinstance(ttfc, float) and ttfc >= 0, "%s: time_to_first_chunk %r" % (where, ttfc))
    else:
        check(ttfc is None, "%s: time_to_first_chunk on a non-stream call" % where)
    check(span["kind"] == KIND_CLIENT, "%s: kind %r, want CLIENT" % (where, span["kind"]))
    name = "%s %s" % (t["operation"], t["model"]) if t.get("model") else t["operation"]
    check(span["name"] == name, "%s: name %r != %r" % (where, span["name"], name))
    want_code = STATUS_ERROR if "error.type" in want else 0
    check(span["status"]["code"] == want_code, "%s: status %r, want code %d" %
          (where, span["status"], want_code))
    check(span_pid(span) == pid, "%s: resource process.pid %r != %d" % (where, span_pid(span), pid))
    check(span["resource"].get("service.name"), "%s: resource service.name" % where)
    calls = [e for e in span.get("events", [])]
    check(all(e.get("name") == "gen_ai.tool.call" for e in calls),
          "%s: events %r" % (where, [e.get("name") for e in calls]))
    got = [(e["attributes"].get("gen_ai.tool.call.id"), e["attributes"].get("gen_ai.tool.name"),
            e["attributes"].get("gen_ai.tool.type")) for e in calls]
    exp = [(c["id"], c["name"], "function") for c in t.get("tool_calls", [])]
    check(got == exp, "%s: tool calls %r != truth %r" % (where, got, exp))


def match_calls(spans, truth):
    """Pairs each truth record with exactly one span (by input tokens, which
    the mock makes unique per request; by response id where there are no
    tokens). Returns [(truth, span)]; fails on a missing or doubled span."""
    pairs, used = [], set()
    for t in truth:
        if t.get("input_tokens") is not None:
            found = [s for s in spans
                     if s.get("attributes", {}).get("gen_ai.usage.input_tokens") == t["input_tokens"]]
        else:
            found = [s for s in spans if t.get("response_id") and
                     s.get("attributes", {}).get("gen_ai.response.id") == t["response_id"]]
        check(len(found) == 1, "truth seq %d (%s stream=%s): %d spans match, want 1" %
              (t["seq"], t["path"], t["stream"], len(found)))
        used.add(id(found[0]))
        pairs.append((t, found[0]))
    return pairs


def run_clients(clients, env):
    """Runs the clients one after another; returns [(pid, exe, t0, t1)]."""
    ran = []
    for argv in clients:
        t0 = time.time()
        r = run_client(argv, env)
        ran.append((r.pid, exe_name(argv[0]), t0, time.time()))
    return ran


def client_of(t, ran):
    """The client that made the truth's request: the one running at its start."""
    for pid, exe, t0, t1 in ran:
        if t0 <= t["t_start"] <= t1:
            return pid, exe
    raise Failure("truth seq %d started outside every client's run" % t["seq"])


def run_case(clients, comms, secrets, trace_server=False):
    """Runs clients(mock) -> [argv] under agentrace --comm COMMS. Every span the receiver got is
    attributed to its process: each call to the mock is exactly one CLIENT
    span of the client that made it, compared attribute by attribute with
    the truth; the mock itself yields harness.server_side_kinds() when it
    is traced (trace_server) and nothing otherwise."""
    wd = Workdir("genai")
    rcv = Receiver(wd)
    mock = MockLLM(wd)
    ar = None
    try:
        env = node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint)
        args = []
        for c in comms:
            args += ["--comm", c]
        if trace_server:
            args += ["--pid", str(mock.p.pid)]
        ar = Agentrace(wd, args, env=env)
        ran = run_clients(clients(mock), node_env(wd))
        calls = mock.truth()
        check(calls, "the mock logged no calls")
        pids = [r[0] for r in ran]
        want = len(calls) * (2 if trace_server else 1)
        wait_spans(rcv, ar, want, pids=set(pids + [mock.p.pid]), port=mock.port)
        ar.finish()
        ar_out = ar.out() + ar.err()
        by = spans_by_process(rcv.spans(), pids + [mock.p.pid, rcv.p.pid], mock.port)
        check_server_side(by[mock.p.pid], len(calls), trace_server, "mock server")
        check(not by[rcv.p.pid], "the OTLP receiver has spans: agentrace traced its own export")
        client_spans = [s for p in pids for s in split_calls(by[p])]
        check(len(client_spans) == len(calls), "%d client spans for %d calls to the mock: %r" %
              (len(client_spans), len(calls), sorted(s["name"] for s in client_spans)))
        truth = [t for t in calls if t.get("input_tokens") is not None]
        check(truth, "no gen_ai calls in the truth")
        # the other calls (a model list, tags) are not gen_ai spans
        llm = [s for s in client_spans if "gen_ai.provider.name" in s.get("attributes", {})]
        check(len(llm) == len(truth), "%d gen_ai spans for %d gen_ai calls" % (len(llm), len(truth)))
        for t, span in match_calls(client_spans, truth):
            pid, exe = client_of(t, ran)
            check_genai_span(span, t, mock.port, pid, exe)
        raw = rcv.raw_bytes()
        for sec in secrets:
            check(sec.encode() not in raw, "secret %s reached the collector" % sec)
            check(sec not in ar_out, "secret %s in agentrace output" % sec)
        return client_spans, truth
    finally:
        teardown(wd, ar, mock, rcv)
