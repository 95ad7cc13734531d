#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tool spans: the official MCP SDK client (Streamable HTTP, JSON
and SSE answers) and plain HTTP tool calls (python urllib, curl) over real
TLS to the mock server, agentrace with real BPF, spans checked at a real
OTLP/HTTP receiver against the server's ground truth."""

import os
import sys
import time

from harness import (teardown, Agentrace, MockLLM, Receiver, Workdir, check, node_env, run_client,
                     test, HERE)

PY = os.path.realpath(sys.executable)
PY_COMM = os.path.basename(PY)[:15]
CLIENTS = os.path.join(HERE, "clients")
MCP_SECRET = "sk-mcp-e2e-BEARER-7f2c9a"
URL_SECRET = "AIzaE2EurlSECRET93"
MCP_POSTS = ("initialize", "notifications/initialized", "tools/list", "tools/call")


def attrs(span):
    return span.get("attributes", {})


def run_traced(comms, clients, extra_env=None):
    """Runs clients(mock) under agentrace; returns (spans, truth, output)."""
    wd = Workdir("tools")
    rcv = Receiver(wd)
    mock = MockLLM(wd)  # started before agentrace: not a target
    ar = None
    try:
        args = []
        for c in comms:
            args += ["--comm", c]
        ar = Agentrace(wd, args, env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        cenv = node_env(wd, **(extra_env or {}))
        for argv, ok in clients(mock):
            run_client(argv, cenv, ok_codes=ok)
        # no sleep: the exited clients' events are in the ring buffer, and
        # SIGINT drains it and flushes every span before agentrace exits
        ar.finish()
        out = ar.out() + ar.err()
        return rcv.spans(), mock.truth(), out, rcv.raw_bytes(), mock.port
    finally:
        teardown(wd, ar, mock, rcv)


def check_no_secret(secret, raw, out):
    check(secret.encode() not in raw, "secret %s reached the collector" % secret)
    check(secret not in out, "secret %s in agentrace output" % secret)


@test
def test_tools_mcp_sdk_json_and_sse():
    def clients(m):
        base = ["node", os.path.join(CLIENTS, "mcp_client.mjs"), "--base", m.base,
                "--key", MCP_SECRET]
        return [(base + ["--path", "/mcp?mode=json"], (0,)),
                (base + ["--path", "/mcp?mode=sse", "--city", "Oslo"], (0,))]

    spans, truth, out, raw, port = run_traced(["node"], clients)
    posts = [t for t in truth if t.get("provider") == "mcp" and t["mcp_method"] in MCP_POSTS]
    check(len(posts) == 2 * 5, "mock saw %d MCP posts: %r" % (len(posts), posts))
    check(len({t["mcp_session"] for t in posts}) == 2, "two sessions")
    mcp = [s for s in spans if "mcp.method.name" in attrs(s)]
    check(len(mcp) == len(posts), "%d MCP spans for %d MCP posts: %r" %
          (len(mcp), len(posts), [s["name"] for s in spans]))
    for t in posts:
        rid = None if t.get("mcp_id") is None else str(t["mcp_id"])
        found = [s for s in mcp
                 if attrs(s)["mcp.method.name"] == t["mcp_method"]
                 and attrs(s).get("mcp.session.id") == t["mcp_session"]
                 and attrs(s).get("jsonrpc.request.id") == rid]
        where = "truth seq %d (%s id %s session %s)" % (t["seq"], t["mcp_method"], rid,
                                                         t["mcp_session"])
        check(len(found) == 1, "%s: %d spans" % (where, len(found)))
        s = found[0]
        a = attrs(s)
        check(s["kind"] == 3, "%s: kind CLIENT" % where)
        check(int(a.get("http.response.status_code", 0)) == t["status"],
              "%s: status %r" % (where, a.get("http.response.status_code")))
        check(a.get("server.address") == "127.0.0.1" and int(a.get("server.port", 0)) == port,
              "%s: server %r:%r" % (where, a.get("server.address"), a.get("server.port")))
        check(a.get("mcp.protocol.version"), "%s: protocol version" % where)
        if t["mcp_method"] == "tools/call":
            check(s["name"] == "tools/call " + t["tool_name"], "%s: name %r" % (where, s["name"]))
            check(a.get("gen_ai.tool.name") == t["tool_name"], "%s: tool name" % where)
            check(a.get("gen_ai.operation.name") == "execute_tool", "%s: operation" % where)
            check(len(a.get("tool.schema.hash", "")) == 16, "%s: schema hash" % where)
        else:
            check(s["name"] == t["mcp_method"], "%s: name %r" % (where, s["name"]))
            check("gen_ai.tool.name" not in a, "%s: no tool name" % where)
        if t.get("error") == "tool_error":
            check(s["status"]["code"] == 2 and a.get("error.type") == "tool_error",
                  "%s: isError makes an error span: %r %r" % (where, s["status"],
                                                              a.get("error.type")))
        else:
            check(s["status"]["code"] == 0 and "error.type" not in a,
                  "%s: unexpected error %r" % (where, a.get("error.type")))
        check("gen_ai.tool.call.arguments" not in a and "gen_ai.tool.call.result" not in a,
              "%s: content without --capture-content" % where)
    # same tool, same answer shape: one schema hash across both transports
    weather = {attrs(s)["tool.schema.hash"] for s in mcp
               if attrs(s).get("gen_ai.tool.name") == "get_weather"}
    check(len(weather) == 1, "get_weather schema hashes %r" % weather)
    # GET (no server stream: 405) and DELETE are plain HTTP spans
    other = [s for s in spans if "mcp.method.name" not in attrs(s)]
    methods = sorted(attrs(s).get("http.request.method") for s in other)
    check(methods == ["DELETE", "DELETE", "GET", "GET"], "other spans %r" % methods)
    for s in other:
        a = attrs(s)
        check(a["url.full"].startswith("https://127.0.0.1:%d/mcp?mode=" % port),
              "url.full %r" % a["url.full"])
        if a["http.request.method"] == "GET":
            check(s["status"]["code"] == 2 and a.get("error.type") == "405",
                  "GET 405 is an error: %r" % a)
    check_no_secret(MCP_SECRET, raw, out)


@test
def test_tools_blackbox_schema_hash():
    curl_url = "/tools/v1/weather?city=Lima&api_key=" + URL_SECRET

    def clients(m):
        py = [PY, os.path.join(CLIENTS, "py_client.py"), "tool", "--url", m.base]
        return [(py + ["--city", "Paris"], (0,)), (py + ["--city", "Oslo"], (0,)),
                (["curl", "-sS", "--fail", "-o", "/dev/null", m.base + curl_url], (0,))]

    spans, truth, out, raw, port = run_traced([PY_COMM, "curl"], clients)
    tools = [t for t in truth if t.get("provider") == "tool_api"]
    check(len(tools) == 5, "mock saw %d tool calls" % len(tools))
    check(len(spans) == 5, "want 5 spans, got %r" % [(s["name"], attrs(s).get("url.full"))
                                                     for s in spans])
    by_url = {}
    for s in spans:
        by_url.setdefault(attrs(s).get("url.full"), []).append(s)
    base = "https://127.0.0.1:%d" % port
    v1 = by_url.get(base + "/tools/v1/weather?city=Paris", []) + \
        by_url.get(base + "/tools/v1/weather?city=Oslo", [])
    v2 = by_url.get(base + "/tools/v2/weather?city=Paris", []) + \
        by_url.get(base + "/tools/v2/weather?city=Oslo", [])
    lima = by_url.get(base + "/tools/v1/weather?city=Lima&api_key=REDACTED", [])
    check(len(v1) == 2 and len(v2) == 2 and len(lima) == 1, "urls %r" % sorted(by_url))
    for s in spans:
        a = attrs(s)
        check(s["name"] == "GET" and s["kind"] == 3, "name/kind %r %r" % (s["name"], s["kind"]))
        check(a.get("http.request.method") == "GET", "method")
        check(int(a.get("http.response.status_code", 0)) == 200, "status")
        check(s["status"]["code"] == 0 and "error.type" not in a, "no error")
        check(a.get("server.address") == "127.0.0.1" and int(a.get("server.port", 0)) == port,
              "server %r:%r" % (a.get("server.address"), a.get("server.port")))
        check("tool.input.hash" not in a, "GET has no body to hash")
        check(len(a.get("tool.output.hash", "")) == 16, "output hash %r" % a)
    h1 = {attrs(s)["tool.schema.hash"] for s in v1 + lima}
    h2 = {attrs(s)["tool.schema.hash"] for s in v2}
    check(len(h1) == 1, "v1 calls (python and curl) must share a schema hash: %r" % h1)
    check(len(h2) == 1, "v2 calls must share a schema hash: %r" % h2)
    check(h1 != h2, "v1 and v2 shapes must differ: %r" % h1)
    outs = {attrs(s)["tool.output.hash"] for s in spans}
    check(len(outs) == 5, "every answer has its own request_id: %r" % outs)
    check_no_secret(URL_SECRET, raw, out)
