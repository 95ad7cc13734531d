#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""python3 stdlib client for the agentrace e2e tests.

Trusts the test CA through SSL_CERT_FILE (or --cafile). Prints one JSON
summary on stdout; exit code 0 when everything answered as expected.

  bytes  byte-exact requests to echo_server.py over ONE keep-alive connection
         (http.client.HTTPSConnection):
           py_client.py bytes --url https://127.0.0.1:P --sizes 10:100,0:5000
  llm    urllib POSTs of OpenAI / Anthropic shaped JSON to mock_llm_server.py:
           py_client.py llm --url https://127.0.0.1:P --provider openai
                        [--stream] [--key K] [--model M] [--header k:v]
  tool   urllib calls of /tools/v1/weather and /tools/v2/weather:
           py_client.py tool --url https://127.0.0.1:P --city Paris
"""

import argparse
import gzip
import http.client
import json
import ssl
import sys
import urllib.request
from urllib.parse import quote, urlsplit


def ssl_ctx(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    return ctx


def pattern(n, start=0):
    first = start // 16
    last = (start + n + 15) // 16
    blob = "".join("%015x\n" % (i * 16) for i in range(first, last)).encode()
    off = start - first * 16
    return blob[off:off + n]


def mode_bytes(a):
    u = urlsplit(a.url)
    if u.scheme == "http":
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    else:
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=60,
                                           context=ssl_ctx(a.cafile))
    results = []
    ok = True
    ports = set()
    for pair in a.sizes.split(","):
        q, s = (int(x) for x in pair.split(":"))
        body = bytes(97 + i % 26 for i in range(q)) if q else None
        headers = {"Content-Length": str(q)} if q else {}
        conn.request(a.method, "%s?resp=%d" % (a.path, s), body=body,
                     headers=headers)
        ports.add(conn.sock.getsockname()[1])
        r = conn.getresponse()
        data = r.read()
        match = data == pattern(s)
        saw = int(r.getheader("X-Req-Body-Len", "-1"))
        results.append({"req": q, "resp": s, "status": r.status,
                         "got": len(data), "match": match,
                         "server_saw_req": saw})
        if not match or r.status != 200 or saw != q:
            ok = False
    conn.close()
    one = len(ports) == 1
    return {"client": "py_bytes", "ok": ok and one, "one_connection": one,
            "local_ports": sorted(ports), "results": results}


def open_url(a, path, body=None, headers=None, method=None):
    h = {"User-Agent": "agentrace-e2e-py/1.0"}
    if a.gzip:
        h["Accept-Encoding"] = "gzip"
    h.update(headers or {})
    for kv in a.header or []:
        k, _, v = kv.partition(":")
        h[k.strip()] = v.strip()
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        h["Content-Type"] = "application/json"
    req = urllib.request.Request(a.url.rstrip("/") + path, data=data,
                                 headers=h, method=method)
    ctx = ssl_ctx(a.cafile) if a.url.startswith("https") else None
    try:
        resp = urllib.request.urlopen(req, context=ctx, timeout=60)
    except urllib.error.HTTPError as e:
        resp = e
    return resp


def read_body(resp):
    raw = resp.read()
    if resp.headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return raw


def sse_events(raw):
    """Splits an SSE body into (event, data) pairs."""
    out = []
    for block in raw.decode().replace("\r\n", "\n").split("\n\n"):
        ev, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                ev = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if data:
            out.append((ev, "\n".join(data)))
    return out


def mode_llm(a):
    if a.provider == "openai":
        path = "/v1/chat/completions"
        body = {"model": a.model or "gpt-4o-mini", "messages": [
            {"role": "user", "content": "Hello from python"}]}
        if a.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        headers = {"Authorization": "Bearer " + a.key}
    else:
        path = "/v1/messages"
        body = {"model": a.model or "claude-haiku-4-5", "max_tokens": 512,
                "messages": [{"role": "user", "content": "Hello from python"}]}
        if a.stream:
            body["stream"] = True
        headers = {"x-api-key": a.key, "anthropic-version": "2023-06-01"}
    resp = open_url(a, path, body, headers)
    raw = read_body(resp)
    out = {"client": "py_llm", "provider": a.provider, "status": resp.status,
           "stream": a.stream}
    if resp.status != 200:
        out.update(ok=False, error=json.loads(raw or b"null"))
        return out
    if not a.stream:
        d = json.loads(raw)
        out.update(ok=True, id=d.get("id"), model=d.get("model"),
                   usage=d.get("usage"))
        if a.provider == "openai":
            out["finish_reasons"] = [c["finish_reason"] for c in d["choices"]]
        else:
            out["finish_reasons"] = [d.get("stop_reason")]
        return out
    evs = sse_events(raw)
    out.update(ok=True, events=len(evs), usage=None, finish_reasons=[])
    for ev, data in evs:
        if data == "[DONE]":
            out["done"] = True
            continue
        d = json.loads(data)
        if a.provider == "openai":
            out["id"], out["model"] = d.get("id"), d.get("model")
            if d.get("usage"):
                out["usage"] = d["usage"]
            for c in d.get("choices", []):
                if c.get("finish_reason"):
                    out["finish_reasons"].append(c["finish_reason"])
        elif ev == "message_start":
            m = d["message"]
            out["id"], out["model"], out["usage"] = m["id"], m["model"], \
                dict(m["usage"])
        elif ev == "message_delta":
            out["usage"].update(d.get("usage") or {})
            out["finish_reasons"].append(d["delta"].get("stop_reason"))
    return out


def mode_tool(a):
    out = {"client": "py_tool", "ok": True, "results": []}
    for ver in ("v1", "v2"):
        resp = open_url(a, "/tools/%s/weather?city=%s" % (ver, quote(a.city)))
        raw = read_body(resp)
        d = json.loads(raw)
        if ver == "v1":
            norm = {"city": d.get("city"), "temp_c": d.get("temp_c"),
                    "request_id": d.get("request_id")}
        else:
            data = d.get("data", {})
            norm = {"city": data.get("location", {}).get("name"),
                    "temp_c": data.get("temperature", {}).get("value"),
                    "request_id": d.get("meta", {}).get("request_id")}
        ok = resp.status == 200 and norm["city"] == a.city
        out["ok"] = out["ok"] and ok
        out["results"].append(dict(norm, version=ver, status=resp.status,
                                   raw=d))
    return out


def main():
    p = argparse.ArgumentParser(description="agentrace e2e python client")
    p.add_argument("mode", choices=["bytes", "llm", "tool"])
    p.add_argument("--url", required=True, help="https://127.0.0.1:PORT")
    p.add_argument("--cafile", help="CA bundle (default: SSL_CERT_FILE)")
    p.add_argument("--sizes", default="100:100", help="bytes: REQ:RESP,...")
    p.add_argument("--path", default="/echo")
    p.add_argument("--method", default="POST")
    p.add_argument("--provider", choices=["openai", "anthropic"],
                   default="openai")
    p.add_argument("--stream", action="store_true")
    p.add_argument("--model")
    p.add_argument("--key", default="sk-test-python-0000")
    p.add_argument("--header", action="append", help="extra k:v header")
    p.add_argument("--gzip", action="store_true",
                   help="send Accept-Encoding: gzip")
    p.add_argument("--city", default="Paris")
    p.add_argument("--wait-file", help="with libssl loaded, wait for this file "
                   "before the first call (the test creates it once the copy is probed)")
    a = p.parse_args()
    if a.wait_file:
        import os
        import time
        for _ in range(600):
            if os.path.exists(a.wait_file):
                break
            time.sleep(0.05)
    out = {"bytes": mode_bytes, "llm": mode_llm, "tool": mode_tool}[a.mode](a)
    print(json.dumps(out, indent=1))
    return 0 if out.get("ok") else 3


if __name__ == "__main__":
    sys.exit(main())
