#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A plain agent server for the trace-assembly tests, stdlib only, no
tracing code: ThreadingHTTPServer, one thread per request.

POST /run (agent, --sub given): the LLM (tool_calls) over HTTPS, the tool
endpoint, the LLM again with the tool result, then the sub-agent over
plaintext HTTP. POST /run (sub-agent, no --sub): the LLM once.
--delegate-answer (agent): the sub-agent's task is the second LLM answer
(an LLM-written hand-off payload) instead of "summarise", and the request's
"cut" goes along as X-Cut; the sub-agent passes only the first X-Cut
characters of its task to its LLM (all when 0 or absent) and answers what
it received and what it sent on.
Prints nothing; writes its port to --port-file. Answers JSON with what
each step returned, so the test can match spans to calls."""

import argparse
import json
import ssl
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]


def post(url, body, ctx=None, headers=None):
    h = {"Content-Type": "application/json", "Authorization": "Bearer sk-agent-e2e-SECRET"}
    h.update(headers or {})
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=h)
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        return json.loads(r.read())


def get(url, ctx):
    with urllib.request.urlopen(url, context=ctx, timeout=30) as r:
        return json.loads(r.read())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        req = json.loads(self.rfile.read(n) or b"{}")
        task = req.get("task", "weather in Paris")
        a = self.server.args
        ctx = ssl.create_default_context()
        chat = a.mock + "/v1/chat/completions"
        out = {"llm": []}
        cut = int(self.headers.get("X-Cut", 0))
        if not a.sub and cut:
            out["task"], task = task, task[:cut]
            out["sent"] = task
        msgs = [{"role": "user", "content": task}]
        r1 = post(chat, {"model": "gpt-4o-mini", "messages": msgs, "tools": TOOLS}, ctx)
        out["llm"].append(r1["id"])
        if a.sub:
            call = r1["choices"][0]["message"]["tool_calls"][0]
            out["tool"] = get(a.mock + "/tools/v1/weather?city=Paris", ctx)
            msgs += [r1["choices"][0]["message"],
                     {"role": "tool", "tool_call_id": call["id"],
                      "content": json.dumps(out["tool"])}]
            r2 = post(chat, {"model": "gpt-4o-mini", "messages": msgs, "tools": TOOLS}, ctx)
            out["llm"].append(r2["id"])
            if a.delegate_answer:
                answer = r2["choices"][0]["message"].get("content") or ""
                out["sub"] = post(a.sub + "/run", {"task": answer},
                                  headers={"X-Cut": str(req.get("cut", 0))})
            else:
                out["sub"] = post(a.sub + "/run", {"task": "summarise"})
        body = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--mock", required=True, help="https://127.0.0.1:PORT of the mock LLM")
    p.add_argument("--sub", help="http://127.0.0.1:PORT of the sub-agent")
    p.add_argument("--delegate-answer", action="store_true",
                   help="hand the sub-agent the LLM's answer as its task")
    a = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.args = a
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
