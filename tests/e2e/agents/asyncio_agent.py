#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An asyncio agent server (one thread, many requests), stdlib only, no
tracing code. POST /run {"wf": N}: two LLM calls to the HTTPS mock over
asyncio streams (TLS through memory BIOs), then the answer
{"wf": N, "llm": [response ids]}. Writes its port to --port-file."""

import argparse
import asyncio
import json
import os
import ssl


async def llm(base, ctx, wf, step):
    host, port = base.split("//")[1].split(":")
    r, w = await asyncio.open_connection(host, int(port), ssl=ctx)
    body = json.dumps({"model": "gpt-4o-mini",
                       "messages": [{"role": "user", "content": "wf %d step %d" % (wf, step)}]})
    w.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: %s:%s\r\n"
             "Content-Type: application/json\r\nContent-Length: %d\r\n"
             "Connection: close\r\n\r\n%s" % (host, port, len(body), body)).encode())
    await w.drain()
    data = await r.read()
    w.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    return json.loads(payload)["id"]


async def handle(reader, writer, args, ctx):
    head = await reader.readuntil(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    req = json.loads(await reader.readexactly(n) if n else b"{}")
    wf = req.get("wf", 0)
    # let the other workflows arrive: they are all being served at once
    await asyncio.sleep(args.think)
    ids = [await llm(args.mock, ctx, wf, 1)]
    await asyncio.sleep(args.think)
    ids.append(await llm(args.mock, ctx, wf, 2))
    body = json.dumps({"wf": wf, "llm": ids}).encode()
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
    await writer.drain()
    writer.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--mock", required=True)
    p.add_argument("--think", type=float, default=0.2)
    a = p.parse_args()
    ctx = ssl.create_default_context()
    srv = await asyncio.start_server(lambda r, w: handle(r, w, a, ctx), "127.0.0.1", 0)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.sockets[0].getsockname()[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
    async with srv:
        await srv.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
