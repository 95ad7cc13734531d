#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A python3 stdlib CLI agent for the causal-graph e2e tests: no inbound
request, only its own loop against mock_llm_server.py over HTTPS.

Each conversation: chat (tools) -> the model asks for --tool-calls parallel
calls -> one HTTPS GET /tools/v1/weather?city=<argument> per call ->
chat with every result -> final answer. --truncate N cuts the FIRST
result to N characters before passing it on. --conversations K runs K
conversations at once on threads of this one process, each with its own
question. Prints {ok, conversations: [{question, calls: [{id, city,
body_len, passed_len}], final_finish}]} on stdout.

  py_agent.py --url https://127.0.0.1:P [--tool-calls 2] [--truncate N]
              [--conversations K]
"""

import argparse
import json
import ssl
import sys
import threading
import urllib.request
from urllib.parse import quote

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}]


def post(url, body, headers):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers=dict({"Content-Type": "application/json",
                                               "Authorization": "Bearer sk-agent-SECRET"},
                                              **headers))
    with urllib.request.urlopen(req, timeout=30, context=ssl.create_default_context()) as r:
        return json.loads(r.read())


def get_text(url):
    with urllib.request.urlopen(url, timeout=30, context=ssl.create_default_context()) as r:
        return r.read().decode()


def converse(a, question, out):
    chat = a.url + "/v1/chat/completions"
    msgs = [{"role": "system", "content": "You are a weather agent."},
            {"role": "user", "content": question}]
    r1 = post(chat, {"model": "gpt-4o-mini", "messages": msgs, "tools": TOOLS},
              {"x-mock-tool-calls": str(a.tool_calls)})
    m = r1["choices"][0]["message"]
    msgs.append(m)
    calls = []
    for i, tc in enumerate(m.get("tool_calls") or []):
        city = json.loads(tc["function"]["arguments"])["city"]
        body = get_text(a.url + "/tools/v1/weather?city=" + quote(city))
        passed = body[:a.truncate] if (a.truncate and i == 0) else body
        msgs.append({"role": "tool", "tool_call_id": tc["id"], "content": passed})
        calls.append({"id": tc["id"], "city": city, "body_len": len(body),
                      "passed_len": len(passed)})
    r2 = post(chat, {"model": "gpt-4o-mini", "messages": msgs, "tools": TOOLS}, {})
    out.append({"question": question, "calls": calls,
                "final_finish": r2["choices"][0]["finish_reason"]})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--tool-calls", type=int, default=2)
    ap.add_argument("--truncate", type=int, default=0)
    ap.add_argument("--conversations", type=int, default=1)
    a = ap.parse_args()
    out, errs = [], []

    def run(k):
        try:
            converse(a, "Weather for trip %d, please?" % k, out)
        except Exception as e:  # reported in the summary
            errs.append(repr(e))

    ts = [threading.Thread(target=run, args=(k,)) for k in range(a.conversations)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    ok = not errs and all(c["final_finish"] == "stop" for c in out)
    print(json.dumps({"ok": ok, "errors": errs, "conversations": out}))
    return 0 if ok else 3


if __name__ == "__main__":
    sys.exit(main())
