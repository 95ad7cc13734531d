#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""HTTPS mock of LLM provider APIs speaking their real wire formats, with a
ground-truth log of what every request was answered with.

Endpoints (any Host):
  OpenAI     POST /v1/chat/completions  (JSON; SSE with data: [DONE], usage
                                         chunk with stream_options.include_usage)
             POST /v1/responses         (JSON; SSE semantic events)
             POST /v1/completions, POST /v1/embeddings, GET /v1/models
  Anthropic  POST /v1/messages          (JSON; SSE message_start..message_stop)
  Gemini     POST /{v1,v1beta,v1alpha}/models/M:generateContent
             POST .../M:streamGenerateContent[?alt=sse]   (SSE, or JSON array)
  Ollama     POST /api/chat, /api/generate (NDJSON stream or JSON),
             /api/embed, GET /api/tags, /api/version, POST /api/show
  MCP        POST/GET/DELETE /mcp       (Streamable HTTP, JSON-RPC 2.0;
             ?tools=v2 lists get_weather with a changed inputSchema)
  Tool API   GET|POST /tools/v1/weather, /tools/v2/weather (different shapes;
             switches delay-ms, error, shape=v1|v2 to answer in either shape)

Deterministic behaviour, values unique per request (derived from `seq`):
  input tokens (semconv total, cached included) 10000+100*seq, output
  tokens 200+seq (reasoning included; clamped to the
  request's max tokens, which then gives the provider's length finish
  reason), cache read 100+seq, cache creation 50+seq (Anthropic), reasoning
  5+seq (OpenAI, Gemini thoughts). A request with tools whose last message is
  not a tool result gets a tool call to the first tool.

Per-request switches (header, or the query parameter in brackets):
  x-mock-error: NNN        [mock_error]   answer HTTP NNN with the provider's
                                          error JSON
  x-mock-cut: K            [mock_cut]     stream: drop the connection after K
                                          events; non-stream: after half the body
  x-mock-stream-error: 1   [mock_stream_error] provider's mid-stream error
  x-mock-cache: 0          [mock_cache]   no cached tokens
  x-mock-gzip: 0|1         [mock_gzip]    override --gzip for this request
  x-mock-delay-ms: D       [mock_delay_ms] sleep D ms between stream events
  x-mock-tool-calls: K     [mock_tool_calls] OpenAI chat with n=1: K (at most 4)
                           parallel tool calls, ids call_mock<seq>_0, _0_1, ...

Ground truth: one JSON line per request appended to --truth (see README.md).
"""

import argparse
import base64
import json
import os
import re
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpwire  # noqa: E402
from httpwire import dumps  # noqa: E402

MAX_STREAM_DELAY_MS = 2000


class Cut(Exception):
    """The handler dropped the connection on purpose."""


class Ctx:
    """One request being answered: switches, counters, truth record."""

    def __init__(self, server, conn, req, seq):
        self.server = server
        self.conn = conn
        self.req = req
        self.seq = seq
        self.json = None
        self.truth = {
            "seq": seq, "path": req.path, "method": req.method,
            "client_port": conn.client_port, "conn": conn.n,
            "provider": None, "operation": None, "model": None,
            "response_model": None, "response_id": None, "stream": False,
            "input_tokens": None, "output_tokens": None, "cache_read": None,
            "cache_creation": None, "reasoning": None, "finish_reasons": [],
            "tool_calls": [], "status": None, "mcp_method": None,
            "mcp_session": None, "tool_name": None, "error": None,
            "events": 0, "gzip": False, "t_start": time.time(),
            "t_end": None,
        }

    def switch(self, name, default=None):
        v = self.req.header("x-mock-" + name)
        if v is None:
            v = self.req.query.get("mock_" + name.replace("-", "_"))
        return default if v is None else v

    def int_switch(self, name, default=0):
        try:
            return int(self.switch(name, default))
        except (TypeError, ValueError):
            return default

    def want_gzip(self):
        sw = self.switch("gzip")
        if sw is not None:
            on = sw == "1"
        else:
            on = self.server.args.gzip != "off"
        return on and "gzip" in self.req.header("accept-encoding", "").lower()

    def want_gzip_stream(self):
        sw = self.switch("gzip")
        if sw is not None:
            on = sw == "1"
        else:
            on = self.server.args.gzip == "all"
        return on and "gzip" in self.req.header("accept-encoding", "").lower()

    # token numbers
    def tokens(self, max_out=None):
        s = self.seq
        cache = self.switch("cache", "1") != "0"
        # "input" is the semconv total (cached included), unique per seq
        t = {"input": 10000 + 100 * s, "output": 200 + s,
             "cache_read": (100 + s) if cache else 0,
             "cache_creation": (50 + s) if cache else 0,
             "reasoning": 5 + s, "truncated": False}
        if max_out is not None and isinstance(max_out, int) and \
                0 < max_out < t["output"]:
            t["output"] = max_out
            t["reasoning"] = min(t["reasoning"], max_out // 2)
            t["truncated"] = True
        return t

    # responses
    def send_json(self, status, obj, headers=()):
        body = (dumps(obj) if not isinstance(obj, bytes) else obj)
        if isinstance(body, str):
            body = body.encode()
        self.truth["status"] = status
        hdrs = [("Content-Type", "application/json")] + list(headers)
        hdrs += self.server.std_headers(self)
        if self.switch("cut") is not None:
            # headers + half the body, then drop the connection
            hdrs.append(("Content-Length", str(len(body))))
            self.conn.send(httpwire.head_bytes(status, hdrs) +
                           body[:len(body) // 2])
            self.truth["error"] = "cut"
            self.conn.abort()
            raise Cut()
        self.truth["gzip"] = self.want_gzip()
        httpwire.send_response(self.conn, status, hdrs, body,
                               gzip_body=self.truth["gzip"],
                               close=self.req.wants_close())

    def start_stream(self, content_type, status=200, headers=()):
        self.truth["status"] = status
        self.truth["stream"] = True
        hdrs = [("Content-Type", content_type),
                ("Cache-Control", "no-cache")] + list(headers)
        hdrs += self.server.std_headers(self)
        self.cut_after = self.int_switch("cut", -1)
        self.delay = min(max(self.int_switch("delay-ms", 0), 0),
                         MAX_STREAM_DELAY_MS) / 1000.0
        self.truth["gzip"] = self.want_gzip_stream()
        self.writer = httpwire.ChunkedWriter(
            self.conn, status, hdrs, gzip_stream=self.truth["gzip"],
            close=self.req.wants_close())

    def event(self, data):
        if self.cut_after >= 0 and self.truth["events"] >= self.cut_after:
            self.truth["error"] = "cut"
            self.conn.abort()
            raise Cut()
        if self.delay and self.truth["events"]:
            time.sleep(self.delay)
        self.writer.write(data.encode() if isinstance(data, str) else data)
        self.truth["events"] += 1

    def sse(self, obj, event=None, crlf=False):
        nl = "\r\n" if crlf else "\n"
        s = ""
        if event:
            s += "event: " + event + nl
        s += "data: " + (obj if isinstance(obj, str) else dumps(obj)) + nl + nl
        self.event(s)

    def end_stream(self):
        self.writer.finish()


# ---------------------------------------------------------------- helpers

def words(seq, n=6):
    base = ["mock", "reply", "number", str(seq), "from", "the", "test",
            "server", "with", "deterministic", "text", "pieces"]
    return [base[i % len(base)] + " " for i in range(n)]


# cities of the extra parallel tool calls (x-mock-tool-calls): no one is a
# substring of another, so a tool request tells which call it serves
EXTRA_CITIES = ["City", "Town", "Port", "Bay"]


def last_is_tool_result_openai(messages):
    if not isinstance(messages, list) or not messages:
        return False
    m = messages[-1]
    return isinstance(m, dict) and m.get("role") == "tool"


def first_tool_name_openai(tools):
    if not isinstance(tools, list) or not tools:
        return None
    t = tools[0]
    if not isinstance(t, dict):
        return None
    if isinstance(t.get("function"), dict):
        return t["function"].get("name")
    return t.get("name")


def error_body(provider, status, seq):
    msg = "mock error %d for request %d" % (status, seq)
    if provider == "anthropic":
        typ = {400: "invalid_request_error", 401: "authentication_error",
               403: "permission_error", 404: "not_found_error",
               413: "request_too_large", 429: "rate_limit_error",
               529: "overloaded_error"}.get(status, "api_error")
        return typ, {"type": "error", "error": {"type": typ, "message": msg},
                     "request_id": "req_mock%06d" % seq}
    if provider == "gcp.gemini":
        st = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED",
              403: "PERMISSION_DENIED", 404: "NOT_FOUND",
              429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}.get(
                  status, "INTERNAL")
        return st, {"error": {"code": status, "message": msg, "status": st}}
    if provider == "ollama":
        return str(status), {"error": msg}
    typ, code = {400: ("invalid_request_error", None),
                 401: ("invalid_request_error", "invalid_api_key"),
                 404: ("invalid_request_error", "model_not_found"),
                 429: ("requests", "rate_limit_exceeded"),
                 503: ("server_error", None)}.get(status, ("server_error", None))
    return (code or typ), {"error": {"message": msg, "type": typ,
                                     "param": None, "code": code}}


# ---------------------------------------------------------------- OpenAI

def openai_chat(ctx):
    b = ctx.json
    t = ctx.truth
    t.update(provider="openai", operation="chat", model=b.get("model"))
    stream = bool(b.get("stream"))
    max_out = b.get("max_completion_tokens", b.get("max_tokens"))
    tok = ctx.tokens(max_out)
    n = b.get("n") if isinstance(b.get("n"), int) else 1
    n = min(max(n, 1), 4)
    rid = "chatcmpl-mock%06d" % ctx.seq
    rmodel = "%s-rev%d" % (b.get("model") or "unknown", ctx.seq)
    tool = None
    if b.get("tools") and b.get("tool_choice") != "none" and \
            not last_is_tool_result_openai(b.get("messages")):
        tool = first_tool_name_openai(b.get("tools"))
    finish = "length" if tok["truncated"] else ("tool_calls" if tool else "stop")
    usage = {"prompt_tokens": tok["input"],
             "completion_tokens": tok["output"],
             "total_tokens": tok["input"] + tok["output"],
             "prompt_tokens_details": {"cached_tokens": tok["cache_read"],
                                       "audio_tokens": 0},
             "completion_tokens_details": {
                 "reasoning_tokens": tok["reasoning"], "audio_tokens": 0,
                 "accepted_prediction_tokens": 0,
                 "rejected_prediction_tokens": 0}}
    calls = []
    if tool:
        for i in range(n):
            calls.append({"id": "call_mock%06d_%d" % (ctx.seq, i),
                          "name": tool,
                          "arguments": dumps({"city": "City%d" % ctx.seq})})
    # x-mock-tool-calls: K (n == 1): K parallel calls in the one message
    extra_calls = []
    if tool and n == 1:
        for k in range(1, min(max(ctx.int_switch("tool-calls", 1), 1), 4)):
            extra_calls.append({"id": "call_mock%06d_0_%d" % (ctx.seq, k),
                                "name": tool, "arguments": dumps(
                                    {"city": EXTRA_CITIES[k] + str(ctx.seq)})})
    t.update(response_model=rmodel, response_id=rid, stream=stream,
             input_tokens=usage["prompt_tokens"],
             output_tokens=tok["output"], cache_read=tok["cache_read"],
             cache_creation=None, reasoning=tok["reasoning"],
             finish_reasons=[finish] * n,
             tool_calls=[{"id": c["id"], "name": c["name"]}
                         for c in calls + extra_calls])
    created = int(time.time())
    text = "".join(words(ctx.seq))
    include_usage = isinstance(b.get("stream_options"), dict) and \
        b["stream_options"].get("include_usage")
    if not stream:
        choices = []
        for i in range(n):
            msg = {"role": "assistant", "content": None if tool else text,
                   "refusal": None, "annotations": []}
            if tool:
                c = calls[i]
                msg["tool_calls"] = [{"id": c["id"], "type": "function",
                                      "function": {"name": c["name"],
                                                   "arguments": c["arguments"]}}
                                     for c in [calls[i]] + extra_calls]
            choices.append({"index": i, "message": msg, "logprobs": None,
                            "finish_reason": finish})
        ctx.send_json(200, {"id": rid, "object": "chat.completion",
                            "created": created, "model": rmodel,
                            "choices": choices, "usage": usage,
                            "service_tier": "default",
                            "system_fingerprint": "fp_mock%d" % ctx.seq})
        return
    ctx.start_stream("text/event-stream; charset=utf-8")
    base = {"id": rid, "object": "chat.completion.chunk", "created": created,
            "model": rmodel, "service_tier": "default",
            "system_fingerprint": "fp_mock%d" % ctx.seq}

    def chunk(choices, **extra):
        o = dict(base, choices=choices)
        if include_usage:
            o["usage"] = None
        o.update(extra)
        ctx.sse(o)

    for i in range(n):
        chunk([{"index": i, "delta": {"role": "assistant", "content": None
                                      if tool else "", "refusal": None},
                "logprobs": None, "finish_reason": None}])
    if ctx.switch("stream-error") == "1":
        ctx.sse({"error": {"message": "mock mid-stream error", "type":
                           "server_error", "param": None, "code": None}})
        t["error"] = "stream_error"
        ctx.end_stream()
        return
    for i in range(n):
        if tool:
            c = calls[i]
            chunk([{"index": i, "delta": {"tool_calls": [{
                "index": 0, "id": c["id"], "type": "function",
                "function": {"name": c["name"], "arguments": ""}}]},
                "logprobs": None, "finish_reason": None}])
            a = c["arguments"]
            for j in range(0, len(a), 7):
                chunk([{"index": i, "delta": {"tool_calls": [{
                    "index": 0, "function": {"arguments": a[j:j + 7]}}]},
                    "logprobs": None, "finish_reason": None}])
            for k, e in enumerate(extra_calls, 1):
                chunk([{"index": i, "delta": {"tool_calls": [{
                    "index": k, "id": e["id"], "type": "function",
                    "function": {"name": e["name"],
                                 "arguments": e["arguments"]}}]},
                    "logprobs": None, "finish_reason": None}])
        else:
            for w in words(ctx.seq):
                chunk([{"index": i, "delta": {"content": w},
                        "logprobs": None, "finish_reason": None}])
    for i in range(n):
        chunk([{"index": i, "delta": {}, "logprobs": None,
                "finish_reason": finish}])
    if include_usage:
        o = dict(base, choices=[], usage=usage)
        ctx.sse(o)
    ctx.sse("[DONE]")
    ctx.end_stream()


def openai_completions(ctx):
    b = ctx.json
    t = ctx.truth
    t.update(provider="openai", operation="text_completion",
             model=b.get("model"))
    stream = bool(b.get("stream"))
    tok = ctx.tokens(b.get("max_tokens"))
    tok["cache_read"] = 0
    rid = "cmpl-mock%06d" % ctx.seq
    rmodel = "%s-rev%d" % (b.get("model") or "unknown", ctx.seq)
    finish = "length" if tok["truncated"] else "stop"
    usage = {"prompt_tokens": tok["input"], "completion_tokens": tok["output"],
             "total_tokens": tok["input"] + tok["output"]}
    t.update(response_model=rmodel, response_id=rid, stream=stream,
             input_tokens=tok["input"], output_tokens=tok["output"],
             finish_reasons=[finish])
    created = int(time.time())
    if not stream:
        ctx.send_json(200, {"id": rid, "object": "text_completion",
                            "created": created, "model": rmodel,
                            "choices": [{"text": "".join(words(ctx.seq)),
                                         "index": 0, "logprobs": None,
                                         "finish_reason": finish}],
                            "usage": usage})
        return
    include_usage = isinstance(b.get("stream_options"), dict) and \
        b["stream_options"].get("include_usage")
    ctx.start_stream("text/event-stream; charset=utf-8")
    ws = words(ctx.seq)
    for k, w in enumerate(ws):
        o = {"id": rid, "object": "text_completion", "created": created,
             "model": rmodel, "choices": [{
                 "text": w, "index": 0, "logprobs": None,
                 "finish_reason": finish if k == len(ws) - 1 else None}]}
        if include_usage:
            o["usage"] = None
        ctx.sse(o)
    if include_usage:
        ctx.sse({"id": rid, "object": "text_completion", "created": created,
                 "model": rmodel, "choices": [], "usage": usage})
    ctx.sse("[DONE]")
    ctx.end_stream()


def openai_embeddings(ctx):
    b = ctx.json
    t = ctx.truth
    t.update(provider="openai", operation="embeddings", model=b.get("model"))
    inp = b.get("input")
    items = inp if isinstance(inp, list) and inp and \
        not isinstance(inp[0], int) else [inp]
    items = items[:64]
    dims = b.get("dimensions") if isinstance(b.get("dimensions"), int) else 8
    dims = min(max(dims, 1), 4096)
    fmt = b.get("encoding_format") or "float"
    data = []
    for i in range(len(items)):
        vec = [round(((ctx.seq * 31 + i * 7 + d) % 97) / 97.0, 6)
               for d in range(dims)]
        emb = base64.b64encode(struct.pack("<%df" % dims, *vec)).decode() \
            if fmt == "base64" else vec
        data.append({"object": "embedding", "index": i, "embedding": emb})
    tokens = 10000 + 100 * ctx.seq
    t.update(response_model="%s-rev%d" % (b.get("model") or "unknown",
                                          ctx.seq),
             input_tokens=tokens, dimensions=dims, embeddings=len(data))
    ctx.send_json(200, {"object": "list", "data": data,
                        "model": t["response_model"],
                        "usage": {"prompt_tokens": tokens,
                                  "total_tokens": tokens}})


def openai_responses(ctx):
    b = ctx.json
    t = ctx.truth
    t.update(provider="openai", operation="chat", model=b.get("model"),
             api="responses")
    stream = bool(b.get("stream"))
    tok = ctx.tokens(b.get("max_output_tokens"))
    rid = "resp_mock%06d" % ctx.seq
    rmodel = "%s-rev%d" % (b.get("model") or "unknown", ctx.seq)
    inp = b.get("input")
    last_is_output = isinstance(inp, list) and inp and isinstance(inp[-1], dict) \
        and inp[-1].get("type") == "function_call_output"
    tool = None
    if b.get("tools") and b.get("tool_choice") != "none" and not last_is_output:
        tool = first_tool_name_openai(b.get("tools"))
    failed = stream and ctx.switch("stream-error") == "1"
    status = "failed" if failed else (
        "incomplete" if tok["truncated"] else "completed")
    usage = {"input_tokens": tok["input"],
             "input_tokens_details": {"cached_tokens": tok["cache_read"]},
             "output_tokens": tok["output"],
             "output_tokens_details": {"reasoning_tokens": tok["reasoning"]},
             "total_tokens": tok["input"] + tok["output"]}
    text = "".join(words(ctx.seq))
    call = None
    if tool:
        call = {"type": "function_call", "id": "fc_mock%06d" % ctx.seq,
                "call_id": "call_mock%06d" % ctx.seq, "name": tool,
                "arguments": dumps({"city": "City%d" % ctx.seq}),
                "status": "completed"}
        item = call
    else:
        item = {"type": "message", "id": "msg_mock%06d" % ctx.seq,
                "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": text,
                             "annotations": [], "logprobs": []}]}
    created = int(time.time())

    def resp_obj(st, output, with_usage):
        return {"id": rid, "object": "response", "created_at": created,
                "status": st, "background": False,
                "error": ({"code": "server_error",
                           "message": "mock mid-stream failure"}
                          if st == "failed" else None),
                "incomplete_details": ({"reason": "max_output_tokens"}
                                       if st == "incomplete" else None),
                "instructions": b.get("instructions"),
                "max_output_tokens": b.get("max_output_tokens"),
                "model": rmodel, "output": output,
                "parallel_tool_calls": True, "previous_response_id": None,
                "reasoning": {"effort": None, "summary": None},
                "store": True, "temperature": 1.0,
                "text": {"format": {"type": "text"}}, "tool_choice": "auto",
                "tools": b.get("tools") or [], "top_p": 1.0,
                "truncation": "disabled",
                "usage": usage if with_usage else None,
                "user": None, "metadata": {}}

    t.update(response_model=rmodel, response_id=rid, stream=stream,
             input_tokens=usage["input_tokens"], output_tokens=tok["output"],
             cache_read=tok["cache_read"], reasoning=tok["reasoning"],
             finish_reasons=[status],
             tool_calls=[{"id": call["call_id"], "name": tool}] if tool else [])
    if failed:
        t["error"] = "stream_error"
        t["input_tokens"] = t["output_tokens"] = None
        t["cache_read"] = t["reasoning"] = None
    if not stream:
        ctx.send_json(200, resp_obj(status, [item], True))
        return
    ctx.start_stream("text/event-stream; charset=utf-8")
    sn = [0]

    def ev(typ, **kw):
        o = {"type": typ}
        o.update(kw)
        o["sequence_number"] = sn[0]
        sn[0] += 1
        ctx.sse(o, event=typ)

    ev("response.created", response=resp_obj("in_progress", [], False))
    ev("response.in_progress", response=resp_obj("in_progress", [], False))
    if failed:
        ev("response.failed", response=resp_obj("failed", [], False))
        ctx.end_stream()
        return
    if tool:
        ev("response.output_item.added", output_index=0,
           item=dict(call, arguments="", status="in_progress"))
        a = call["arguments"]
        for j in range(0, len(a), 7):
            ev("response.function_call_arguments.delta", item_id=call["id"],
               output_index=0, delta=a[j:j + 7])
        ev("response.function_call_arguments.done", item_id=call["id"],
           output_index=0, arguments=a)
        ev("response.output_item.done", output_index=0, item=call)
    else:
        ev("response.output_item.added", output_index=0,
           item=dict(item, status="in_progress", content=[]))
        ev("response.content_part.added", item_id=item["id"], output_index=0,
           content_index=0, part={"type": "output_text", "text": "",
                                  "annotations": []})
        for w in words(ctx.seq):
            ev("response.output_text.delta", item_id=item["id"],
               output_index=0, content_index=0, delta=w, logprobs=[])
        ev("response.output_text.done", item_id=item["id"], output_index=0,
           content_index=0, text=text, logprobs=[])
        ev("response.content_part.done", item_id=item["id"], output_index=0,
           content_index=0, part=item["content"][0])
        ev("response.output_item.done", output_index=0, item=item)
    final = "response.incomplete" if status == "incomplete" else \
        "response.completed"
    ev(final, response=resp_obj(status, [item], True))
    ctx.end_stream()


def openai_models(ctx):
    ctx.truth.update(provider="openai", operation="list_models")
    ctx.send_json(200, {"object": "list", "data": [
        {"id": "gpt-4o-mini", "object": "model", "created": 1700000000,
         "owned_by": "system"}]})


# ---------------------------------------------------------------- Anthropic

def anthropic_messages(ctx):
    b = ctx.json
    t = ctx.truth
    t.update(provider="anthropic", operation="chat", model=b.get("model"))
    stream = bool(b.get("stream"))
    tok = ctx.tokens(b.get("max_tokens"))
    rid = "msg_mock%06d" % ctx.seq
    rmodel = "%s-rev%d" % (b.get("model") or "unknown", ctx.seq)
    msgs = b.get("messages") or []
    last_tool_result = False
    if isinstance(msgs, list) and msgs and isinstance(msgs[-1], dict):
        c = msgs[-1].get("content")
        last_tool_result = isinstance(c, list) and any(
            isinstance(x, dict) and x.get("type") == "tool_result" for x in c)
    tool = None
    tc = b.get("tool_choice")
    if b.get("tools") and not (isinstance(tc, dict) and tc.get("type") ==
                               "none") and not last_tool_result:
        tool = first_tool_name_openai(b.get("tools"))
    stop = "max_tokens" if tok["truncated"] else (
        "tool_use" if tool else "end_turn")
    uncached = tok["input"] - tok["cache_read"] - tok["cache_creation"]
    usage = {"input_tokens": uncached,
             "cache_creation_input_tokens": tok["cache_creation"],
             "cache_read_input_tokens": tok["cache_read"],
             "output_tokens": tok["output"], "service_tier": "standard"}
    text = "".join(words(ctx.seq))
    tid = "toolu_mock%06d" % ctx.seq
    args = {"city": "City%d" % ctx.seq}
    t.update(response_model=rmodel, response_id=rid, stream=stream,
             input_tokens=tok["input"], output_tokens=tok["output"],
             cache_read=tok["cache_read"],
             cache_creation=tok["cache_creation"], finish_reasons=[stop],
             tool_calls=[{"id": tid, "name": tool}] if tool else [])
    content = [{"type": "text", "text": text, "citations": None}]
    if tool:
        content = [{"type": "text", "text": "Let me check. "},
                   {"type": "tool_use", "id": tid, "name": tool,
                    "input": args}]
    if not stream:
        ctx.send_json(200, {"id": rid, "type": "message", "role": "assistant",
                            "model": rmodel, "content": content,
                            "stop_reason": stop, "stop_sequence": None,
                            "usage": usage},
                      headers=[("request-id", "req_mock%06d" % ctx.seq)])
        return
    ctx.start_stream("text/event-stream; charset=utf-8",
                     headers=[("request-id", "req_mock%06d" % ctx.seq)])
    start_usage = dict(usage, output_tokens=1)

    def ev(typ, **kw):
        o = {"type": typ}
        o.update(kw)
        ctx.sse(o, event=typ)

    ev("message_start", message={
        "id": rid, "type": "message", "role": "assistant", "model": rmodel,
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": start_usage})
    ev("content_block_start", index=0,
       content_block={"type": "text", "text": ""})
    ev("ping")
    if ctx.switch("stream-error") == "1":
        ev("error", error={"type": "overloaded_error",
                           "message": "Overloaded"})
        t["error"] = "stream_error"
        ctx.end_stream()
        return
    pieces = ["Let me check. "] if tool else words(ctx.seq)
    for w in pieces:
        ev("content_block_delta", index=0,
           delta={"type": "text_delta", "text": w})
    ev("content_block_stop", index=0)
    if tool:
        ev("content_block_start", index=1,
           content_block={"type": "tool_use", "id": tid, "name": tool,
                          "input": {}})
        a = dumps(args)
        ev("content_block_delta", index=1,
           delta={"type": "input_json_delta", "partial_json": ""})
        for j in range(0, len(a), 6):
            ev("content_block_delta", index=1,
               delta={"type": "input_json_delta", "partial_json": a[j:j + 6]})
        ev("content_block_stop", index=1)
    ev("message_delta", delta={"stop_reason": stop, "stop_sequence": None},
       usage={"input_tokens": uncached,
              "cache_creation_input_tokens": tok["cache_creation"],
              "cache_read_input_tokens": tok["cache_read"],
              "output_tokens": tok["output"]})
    ev("message_stop")
    ctx.end_stream()


# ---------------------------------------------------------------- Gemini

GEMINI_RE = re.compile(
    r"^/(v1|v1beta|v1alpha)/(?:projects/[^/]+/locations/[^/]+/publishers/"
    r"google/)?models/([^/:]+):(generateContent|streamGenerateContent)$")


def gemini(ctx, m):
    b = ctx.json
    t = ctx.truth
    model = m.group(2)
    stream = m.group(3) == "streamGenerateContent"
    t.update(provider="gcp.gemini", operation="generate_content",
             model=model, api_version=m.group(1))
    gc = b.get("generationConfig") or b.get("generation_config") or {}
    tok = ctx.tokens(gc.get("maxOutputTokens") if isinstance(gc, dict)
                     else None)
    contents = b.get("contents") or []
    last_fr = False
    if isinstance(contents, list) and contents and isinstance(contents[-1],
                                                              dict):
        parts = contents[-1].get("parts") or []
        last_fr = isinstance(parts, list) and any(
            isinstance(p, dict) and ("functionResponse" in p or
                                     "function_response" in p) for p in parts)
    tool = None
    tools = b.get("tools")
    if isinstance(tools, list) and tools and not last_fr:
        for tl in tools:
            fds = isinstance(tl, dict) and (tl.get("functionDeclarations") or
                                            tl.get("function_declarations"))
            if fds and isinstance(fds[0], dict):
                tool = fds[0].get("name")
                break
    finish = "MAX_TOKENS" if tok["truncated"] else "STOP"
    rid = "mockresp%06d" % ctx.seq
    rmodel = "%s-rev%d" % (model, ctx.seq)
    prompt = tok["input"]
    um = {"promptTokenCount": prompt,
          "candidatesTokenCount": tok["output"] - tok["reasoning"],
          "totalTokenCount": prompt + tok["output"],
          "thoughtsTokenCount": tok["reasoning"],
          "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}]}
    if tok["cache_read"]:
        um["cachedContentTokenCount"] = tok["cache_read"]
        um["cacheTokensDetails"] = [{"modality": "TEXT",
                                     "tokenCount": tok["cache_read"]}]
    t.update(response_model=rmodel, response_id=rid, stream=stream,
             input_tokens=prompt, output_tokens=tok["output"],
             cache_read=tok["cache_read"], reasoning=tok["reasoning"],
             finish_reasons=[finish],
             tool_calls=[{"id": None, "name": tool}] if tool else [])
    if tool:
        final_parts = [{"functionCall": {"name": tool, "args": {
            "city": "City%d" % ctx.seq}}}]
    else:
        final_parts = [{"text": "".join(words(ctx.seq))}]
    if not stream:
        ctx.send_json(200, {"candidates": [{
            "content": {"parts": final_parts, "role": "model"},
            "finishReason": finish, "index": 0}],
            "usageMetadata": um, "modelVersion": rmodel, "responseId": rid})
        return
    sse = ctx.req.query.get("alt") == "sse"
    ctx.start_stream("text/event-stream" if sse else
                     "application/json; charset=UTF-8")
    chunks = []
    if tool:
        chunks.append(final_parts)
    else:
        chunks = [[{"text": w}] for w in words(ctx.seq)]
    first = True
    for k, parts in enumerate(chunks):
        last = k == len(chunks) - 1
        cand = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if last:
            cand["finishReason"] = finish
        part_um = um if last else {"promptTokenCount": prompt,
                                   "totalTokenCount": prompt,
                                   "promptTokensDetails":
                                   um["promptTokensDetails"]}
        o = {"candidates": [cand], "usageMetadata": part_um,
             "modelVersion": rmodel, "responseId": rid}
        if sse:
            ctx.sse(o, crlf=True)
        else:
            ctx.event(("[" if first else ",\r\n") + dumps(o))
        first = False
        if k == 0 and ctx.switch("stream-error") == "1":
            err = {"error": {"code": 500, "message": "mock mid-stream error",
                             "status": "INTERNAL"}}
            if sse:
                ctx.sse(err, crlf=True)
            else:
                ctx.event(",\r\n" + dumps(err))
                ctx.event("]")
            t["error"] = "stream_error"
            ctx.end_stream()
            return
    if not sse:
        ctx.event("]")
    ctx.end_stream()


# ---------------------------------------------------------------- Ollama

def iso_now():
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + \
        (".%06dZ" % int((now % 1) * 1e6))


def ollama_gen(ctx, chat):
    b = ctx.json
    t = ctx.truth
    model = b.get("model")
    t.update(provider="ollama", operation="chat" if chat else
             "text_completion", model=model)
    stream = b.get("stream", True) is not False
    opts = b.get("options") if isinstance(b.get("options"), dict) else {}
    tok = ctx.tokens(opts.get("num_predict"))
    finish = "length" if tok["truncated"] else "stop"
    tool = None
    if chat and b.get("tools") and not last_is_tool_result_openai(
            b.get("messages")):
        tool = first_tool_name_openai(b.get("tools"))
    t.update(response_model=model, response_id=None, stream=stream,
             input_tokens=tok["input"], output_tokens=tok["output"],
             finish_reasons=[finish],
             tool_calls=[{"id": None, "name": tool}] if tool else [])
    final_counts = {"done": True, "done_reason": finish,
                    "total_duration": 1000000 + ctx.seq,
                    "load_duration": 1000 + ctx.seq,
                    "prompt_eval_count": tok["input"],
                    "prompt_eval_duration": 2000 + ctx.seq,
                    "eval_count": tok["output"],
                    "eval_duration": 3000 + ctx.seq}
    text = "".join(words(ctx.seq))
    calls = [{"function": {"name": tool, "arguments": {
        "city": "City%d" % ctx.seq}}}] if tool else None

    def body(piece, done):
        o = {"model": model, "created_at": iso_now()}
        if chat:
            msg = {"role": "assistant", "content": piece}
            if done is None and calls:
                msg["tool_calls"] = calls
            o["message"] = msg
        else:
            o["response"] = piece
        if done:
            o.update(final_counts)
            if not chat:
                o["context"] = [1, 2, 3]
        else:
            o["done"] = False
        return o

    if not stream:
        o = body("" if tool else text, True)
        if calls:
            o["message"]["tool_calls"] = calls
        ctx.send_json(200, o)
        return
    ctx.start_stream("application/x-ndjson")
    if tool:
        ctx.event(dumps(body("", None)) + "\n")
    else:
        for w in words(ctx.seq):
            ctx.event(dumps(body(w, False)) + "\n")
    if ctx.switch("stream-error") == "1":
        ctx.event(dumps({"error": "mock mid-stream error"}) + "\n")
        t["error"] = "stream_error"
        ctx.end_stream()
        return
    ctx.event(dumps(body("", True)) + "\n")
    ctx.end_stream()


def ollama_misc(ctx):
    t = ctx.truth
    t.update(provider="ollama")
    p = ctx.req.path
    if p == "/api/tags":
        t["operation"] = "list_models"
        ctx.send_json(200, {"models": [{
            "name": "llama3.2:1b", "model": "llama3.2:1b",
            "modified_at": "2025-01-01T00:00:00Z", "size": 1321098329,
            "digest": "baf6a787fdffd633537aa2eb51cfd54cb93ff08e28040095462bb63daf552878",
            "details": {"format": "gguf", "family": "llama",
                        "parameter_size": "1.2B",
                        "quantization_level": "Q8_0"}}]})
    elif p == "/api/version":
        t["operation"] = "version"
        ctx.send_json(200, {"version": "0.6.0"})
    elif p == "/api/show":
        t["operation"] = "show"
        t["model"] = (ctx.json or {}).get("model")
        ctx.send_json(200, {"modelfile": "", "parameters": "",
                            "template": "{{ .Prompt }}",
                            "details": {"family": "llama"},
                            "capabilities": ["completion", "tools"]})
    elif p in ("/api/embed", "/api/embeddings"):
        b = ctx.json or {}
        t.update(operation="embeddings", model=b.get("model"),
                 response_model=b.get("model"),
                 input_tokens=10000 + 100 * ctx.seq)
        inp = b.get("input", b.get("prompt"))
        n = len(inp) if isinstance(inp, list) else 1
        vec = [round(((ctx.seq + d) % 13) / 13.0, 6) for d in range(8)]
        if p == "/api/embeddings":
            ctx.send_json(200, {"embedding": vec})
        else:
            ctx.send_json(200, {"model": b.get("model"),
                                "embeddings": [vec] * n,
                                "total_duration": 1000, "load_duration": 10,
                                "prompt_eval_count": 10000 + 100 * ctx.seq})


# ---------------------------------------------------------------- MCP

MCP_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
MCP_TOOLS = [
    {"name": "get_weather", "title": "Weather",
     "description": "Current weather for a city",
     "inputSchema": {"type": "object",
                     "properties": {"city": {"type": "string"}},
                     "required": ["city"]}},
    {"name": "failing_tool", "description": "Always reports an error",
     "inputSchema": {"type": "object", "properties": {}}},
]
# the same tools, get_weather's input grown a field: listing drift
MCP_TOOLS_V2 = [dict(MCP_TOOLS[0], inputSchema={
    "type": "object", "properties": {"city": {"type": "string"},
                                     "units": {"type": "string"}},
    "required": ["city"]})] + MCP_TOOLS[1:]


def mcp(ctx):
    t = ctx.truth
    t.update(provider="mcp", operation="mcp")
    srv = ctx.server
    req = ctx.req
    sid = req.header("mcp-session-id")
    t["mcp_session"] = sid
    if req.method == "GET":
        t["mcp_method"] = "GET"
        ctx.send_json(405, {"jsonrpc": "2.0", "error": {
            "code": -32000, "message": "Method not allowed."}, "id": None},
            headers=[("Allow", "POST, DELETE")])
        return
    if req.method == "DELETE":
        t["mcp_method"] = "DELETE"
        with srv.lock:
            known = srv.mcp_sessions.pop(sid, None) is not None
        if known:
            ctx.send_json(200, {})
        else:
            ctx.send_json(404, {"jsonrpc": "2.0", "error": {
                "code": -32001, "message": "Session not found"}, "id": None})
        return
    if req.method != "POST":
        ctx.send_json(405, {})
        return
    msg = ctx.json
    if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0" or \
            not isinstance(msg.get("method"), str):
        t["error"] = "parse_error"
        ctx.send_json(400, {"jsonrpc": "2.0", "error": {
            "code": -32700, "message": "Parse error"}, "id": None})
        return
    method = msg["method"]
    t["mcp_method"] = method
    rpc_id = msg.get("id")
    t["mcp_id"] = rpc_id
    headers = []
    if method == "initialize":
        sid = "mcp-sess-%06d" % ctx.seq
        with srv.lock:
            srv.mcp_sessions[sid] = True
        t["mcp_session"] = sid
        headers.append(("Mcp-Session-Id", sid))
    else:
        with srv.lock:
            known = sid in srv.mcp_sessions
        if not sid:
            t["error"] = "no_session"
            ctx.send_json(400, {"jsonrpc": "2.0", "error": {
                "code": -32000, "message": "Bad Request: No valid session ID "
                "provided"}, "id": rpc_id})
            return
        if not known:
            t["error"] = "unknown_session"
            ctx.send_json(404, {"jsonrpc": "2.0", "error": {
                "code": -32001, "message": "Session not found"}, "id": rpc_id})
            return
    if rpc_id is None:  # notification
        t["status"] = 202
        hdrs = headers + srv.std_headers(ctx)
        httpwire.send_response(ctx.conn, 202, hdrs, b"",
                               close=req.wants_close())
        return
    params = msg.get("params") if isinstance(msg.get("params"), dict) else {}
    result = None
    error = None
    if method == "initialize":
        v = params.get("protocolVersion")
        result = {"protocolVersion": v if v in MCP_VERSIONS else
                  MCP_VERSIONS[0],
                  "capabilities": {"tools": {"listChanged": False}},
                  "serverInfo": {"name": "agentrace-mock-mcp",
                                 "version": "1.0.0"}}
    elif method == "ping":
        result = {}
    elif method == "tools/list":
        result = {"tools": MCP_TOOLS_V2 if req.query.get("tools") == "v2" else MCP_TOOLS}
    elif method == "tools/call":
        name = params.get("name")
        t["tool_name"] = name
        args = params.get("arguments") if isinstance(
            params.get("arguments"), dict) else {}
        if name == "get_weather":
            city = str(args.get("city", "?"))
            data = {"city": city, "temp_c": 10 + ctx.seq % 20,
                    "conditions": "sunny", "request_id": "wx-%d" % ctx.seq}
            result = {"content": [{"type": "text", "text": dumps(data)}],
                      "structuredContent": data, "isError": False}
        elif name == "failing_tool":
            result = {"content": [{"type": "text", "text":
                                   "tool failed on purpose (%d)" % ctx.seq}],
                      "isError": True}
            t["error"] = "tool_error"
        else:
            error = {"code": -32602, "message": "Unknown tool: %s" % name}
    else:
        error = {"code": -32601, "message": "Method not found"}
    if error:
        t["error"] = "jsonrpc_%d" % error["code"]
        out = {"jsonrpc": "2.0", "id": rpc_id, "error": error}
    else:
        out = {"jsonrpc": "2.0", "id": rpc_id, "result": result}
    mode = req.query.get("mode", srv.args.mcp_mode)
    use_sse = mode == "sse" or (mode == "mixed" and method == "tools/call")
    if "text/event-stream" not in req.header("accept", ""):
        use_sse = False
    if not use_sse:
        ctx.send_json(200, out, headers=headers)
        return
    ctx.start_stream("text/event-stream", headers=headers)
    ctx.sse(out, event="message")
    ctx.end_stream()


# ---------------------------------------------------------------- tool API

def tool_api(ctx, version):
    t = ctx.truth
    t.update(provider="tool_api", operation="execute_tool",
             tool_name="weather", api_version=version)
    # x-mock-delay-ms / x-mock-error / x-mock-shape (v1|v2: answer with the
    # other version's shape on this path, a provider changing its response)
    delay = min(ctx.int_switch("delay-ms"), MAX_STREAM_DELAY_MS * 5)
    if delay > 0:
        time.sleep(delay / 1000.0)
    code = ctx.int_switch("error")
    if code >= 400:
        t["error"] = str(code)
        ctx.send_json(code, {"error": {"code": code, "message": "mock tool failure"}})
        return
    if ctx.switch("shape") in ("v1", "v2"):
        version = ctx.switch("shape")
        t["shape"] = version
    city = ctx.req.query.get("city")
    if city is None and isinstance(ctx.json, dict):
        city = ctx.json.get("city")
    city = str(city or "Nowhere")
    temp = 10 + ctx.seq % 20
    if version == "v1":
        out = {"city": city, "temp_c": temp, "conditions": "sunny",
               "request_id": "wx1-%d" % ctx.seq}
    else:
        out = {"data": {"location": {"name": city},
                        "temperature": {"value": temp, "unit": "C"},
                        "summary": "sunny"},
               "meta": {"request_id": "wx2-%d" % ctx.seq, "version": 2}}
    t["response_id"] = "wx%s-%d" % (version[1:], ctx.seq)
    ctx.send_json(200, out)


# ---------------------------------------------------------------- dispatch

PROVIDER_BY_PATH = [
    ("/v1/messages", "anthropic"), ("/api/", "ollama"),
    ("/v1/chat/completions", "openai"), ("/v1/responses", "openai"),
    ("/v1/completions", "openai"), ("/v1/embeddings", "openai"),
]


class Server:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.seq = 0
        self.truth_f = open(args.truth, "a") if args.truth else None
        self.mcp_sessions = {}

    def next_seq(self):
        with self.lock:
            self.seq += 1
            return self.seq

    def std_headers(self, ctx):
        return [("x-request-id", "req_mock%06d" % ctx.seq),
                ("Server", "agentrace-mock")]

    def write_truth(self, rec):
        if not self.truth_f:
            return
        line = json.dumps(rec, sort_keys=True)
        with self.lock:
            self.truth_f.write(line + "\n")
            self.truth_f.flush()

    def route(self, ctx):
        p = ctx.req.path.rstrip("/") or "/"
        m = ctx.req.method
        if p == "/mcp":
            return mcp(ctx)
        if p in ("/tools/v1/weather", "/tools/v2/weather"):
            return tool_api(ctx, p.split("/")[2])
        if m == "GET":
            if p == "/v1/models":
                return openai_models(ctx)
            if p in ("/api/tags", "/api/version"):
                return ollama_misc(ctx)
        if m == "POST":
            if ctx.json is None or not isinstance(ctx.json, dict):
                return self.bad_json(ctx)
            provider = self.provider_for(p)
            code = ctx.switch("error")
            if code is not None and provider:
                return self.forced_error(ctx, provider, code)
            if p in ("/v1/chat/completions", "/chat/completions"):
                return openai_chat(ctx)
            if p in ("/v1/responses", "/responses"):
                return openai_responses(ctx)
            if p in ("/v1/completions", "/completions"):
                return openai_completions(ctx)
            if p in ("/v1/embeddings", "/embeddings"):
                return openai_embeddings(ctx)
            if p == "/v1/messages":
                return anthropic_messages(ctx)
            g = GEMINI_RE.match(p)
            if g:
                return gemini(ctx, g)
            if p == "/api/chat":
                return ollama_gen(ctx, True)
            if p == "/api/generate":
                return ollama_gen(ctx, False)
            if p in ("/api/show", "/api/embed", "/api/embeddings"):
                return ollama_misc(ctx)
        ctx.truth["error"] = "not_found"
        ctx.send_json(404, {"error": {"message": "no mock for %s %s" %
                                      (m, p), "type": "invalid_request_error",
                                      "param": None, "code": None}})

    def provider_for(self, p):
        if GEMINI_RE.match(p):
            return "gcp.gemini"
        for prefix, prov in PROVIDER_BY_PATH:
            if p.startswith(prefix):
                return prov
        return None

    @staticmethod
    def operation_for(p):
        if GEMINI_RE.match(p):
            return "generate_content"
        if p.endswith("/embeddings") or p in ("/api/embed",):
            return "embeddings"
        if p.endswith("/completions") and "chat" not in p or \
                p == "/api/generate":
            return "text_completion"
        return "chat"

    def forced_error(self, ctx, provider, code):
        try:
            status = int(code)
        except ValueError:
            status = 500
        if status < 400 or status > 599:
            status = 500
        b = ctx.json
        t = ctx.truth
        model = b.get("model")
        g = GEMINI_RE.match(ctx.req.path)
        if g:
            model = g.group(2)
        t.update(provider=provider, model=model,
                 operation=self.operation_for(ctx.req.path),
                 stream=bool(b.get("stream")) or
                 ctx.req.path.endswith(":streamGenerateContent"))
        etype, body = error_body(provider, status, ctx.seq)
        t["error"] = etype
        t["error_body"] = body
        hdrs = []
        if status == 429:
            hdrs.append(("retry-after", "1"))
        ctx.send_json(status, body, headers=hdrs)

    def bad_json(self, ctx):
        t = ctx.truth
        t["error"] = "bad_json"
        ctx.send_json(400, {"error": {"message": "request body is not a JSON "
                                      "object", "type": "invalid_request_error",
                                      "param": None, "code": None}})

    def handle_conn(self, sock, n, cport):
        conn = httpwire.HttpConn(sock, n, cport)
        for _ in range(httpwire.MAX_REQUESTS_PER_CONN):
            try:
                req = conn.read_request()
            except httpwire.BadRequest as e:
                httpwire.send_response(conn, 400,
                                       [("Content-Type", "text/plain")],
                                       ("bad request: %s\n" % e).encode(),
                                       close=True)
                return
            if req is None:
                return
            ctx = Ctx(self, conn, req, self.next_seq())
            ctx.truth["req_body_len"] = len(req.body)
            if req.body:
                try:
                    ctx.json = json.loads(req.body)
                except (ValueError, UnicodeDecodeError):
                    ctx.json = None
            elif req.method == "POST":
                ctx.json = None
            # the request as received: the truth for gen_ai.request.* attributes
            ctx.truth["request_json"] = ctx.json if isinstance(ctx.json, dict) else None
            try:
                self.route(ctx)
            except Cut:
                pass
            except httpwire.Closed:
                ctx.truth["error"] = ctx.truth["error"] or "client_closed"
            except Exception as e:  # a mock bug: record it, answer 500
                ctx.truth["error"] = "mock_exception: %r" % (e,)
                try:
                    httpwire.send_response(conn, 500,
                                           [("Content-Type", "text/plain")],
                                           b"mock exception\n", close=True)
                except httpwire.Closed:
                    pass
                conn.closed = True
            ctx.truth["t_end"] = time.time()
            self.write_truth(ctx.truth)
            if conn.closed or req.wants_close():
                return


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    httpwire.add_common_args(p)
    p.add_argument("--truth", help="append one JSON line per request here")
    p.add_argument("--gzip", choices=["off", "body", "all"], default="off",
                   help="gzip responses for clients sending Accept-Encoding: "
                   "gzip: body = non-streamed bodies, all = streams too")
    p.add_argument("--mcp-mode", choices=["json", "sse", "mixed"],
                   default="mixed", help="MCP answers: JSON, SSE, or SSE "
                   "only for tools/call (default)")
    args = p.parse_args()
    srv = Server(args)
    httpwire.serve(args, srv.handle_conn, name="mock_llm_server")


if __name__ == "__main__":
    main()
