#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Raw HTTP/1.1 client for the --inject-traceparent test: one keep-alive
connection, opened only once GO_FILE exists (after agentrace attached),
carrying requests written the awkward ways: a body that looks like a
request, an own traceparent, two pipelined requests in one send, a request
line split over three sends, a chunked body in several sends. Writes the
exact bytes it sent to OUT.bin and the sha256 of each request body to
OUT.json.
Then one HTTPS request to TLS_PORT (never injected: ciphertext), its
plaintext written to OUT.tls.
usage: inject_client.py PORT GO_FILE OUT TLS_PORT CA"""
import hashlib
import json
import os
import socket
import ssl
import sys
import time

import _wire

OWN_TP = "Traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
TRICKY = b"GET /fake HTTP/1.1\r\nHost: x\r\n\r\n\r\n\r\n"


def read_response(s, buf):
    try:
        return _wire.read_response(lambda: s.recv(65536), buf)[1]
    except EOFError:
        raise SystemExit("connection closed")


def main():
    port, go, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    while not os.path.exists(go):
        time.sleep(0.02)
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sent, bodies = [], []

    def send(b):
        s.sendall(b)
        sent.append(b)
        time.sleep(0.05)  # separate send calls, separate segments

    def post(path, body, extra=""):
        bodies.append(hashlib.sha256(body).hexdigest())
        return (("POST %s HTTP/1.1\r\nHost: tool\r\n%sContent-Length: %d\r\n\r\n"
                 % (path, extra, len(body))).encode() + body)

    buf = b""
    send(post("/a?resp=5", TRICKY + bytes(range(256)) * 2))
    buf = read_response(s, buf)
    send(("GET /b?resp=3 HTTP/1.1\r\nHost: tool\r\n%s\r\n\r\n" % OWN_TP).encode())
    bodies.append(hashlib.sha256(b"").hexdigest())
    buf = read_response(s, buf)
    send(b"GET /c1?resp=1 HTTP/1.1\r\nHost: tool\r\n\r\n" + post("/c2?resp=2", TRICKY))
    bodies.insert(len(bodies) - 1, hashlib.sha256(b"").hexdigest())
    buf = read_response(s, buf)
    buf = read_response(s, buf)
    whole = post("/d?resp=4", b"0123456789")
    for part in (whole[:2], whole[2:40], whole[40:]):
        send(part)
    buf = read_response(s, buf)
    chunks = [TRICKY, b"x" * 1000, b"\r\n0\r\n"]
    bodies.append(hashlib.sha256(b"".join(chunks)).hexdigest())
    send(b"POST /e?resp=6 HTTP/1.1\r\nHost: tool\r\nTransfer-Encoding: chunked\r\n\r\n")
    for c in chunks:
        send(b"%x\r\n" % len(c) + c + b"\r\n")
    send(b"0\r\n\r\n")
    buf = read_response(s, buf)
    s.close()
    ctx = ssl.create_default_context(cafile=sys.argv[5])
    t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[4]))),
                        server_hostname="localhost")
    tls_req = post("/tls?resp=7", b"secret body")
    bodies.pop()
    t.sendall(tls_req)
    read_response(t, b"")
    t.close()
    open(out + ".tls", "wb").write(tls_req)
    open(out + ".bin", "wb").write(b"".join(sent))
    json.dump({"bodies": bodies}, open(out + ".json", "w"))


if __name__ == "__main__":
    main()
