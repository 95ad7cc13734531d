# SPDX-License-Identifier: MIT
"""Opens N keep-alive HTTP connections to 127.0.0.1:PORT, makes one GET on
each, and holds them all open until SIGTERM (at most --hold seconds).

  hold_conns.py --port P --count N --go FILE --done FILE [--hold S]

It waits for FILE --go to exist before it connects (so a tracer started
with --pid sees every connection from its first byte), and creates --done
once every connection has its answer. Exits 1 if any connection fails."""

import argparse
import os
import resource
import signal
import socket
import sys
import time


def read_answer(s):
    """Reads one response with a Content-Length body; returns False on EOF."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            return False
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            return False
        body += chunk
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--go", required=True)
    ap.add_argument("--done", required=True)
    ap.add_argument("--hold", type=float, default=120)
    a = ap.parse_args()
    need = a.count + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, max(hard, need)))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    end = time.time() + 30
    while not os.path.exists(a.go):
        if time.time() > end:
            sys.exit("no go file")
        time.sleep(0.01)
    req = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: agentrace-bench\r\n\r\n"
    socks = []
    for _ in range(a.count):
        s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
        s.sendall(req)
        if not read_answer(s):
            sys.exit("connection %d closed early" % len(socks))
        socks.append(s)
    with open(a.done, "w") as f:
        f.write("%d\n" % len(socks))
    time.sleep(a.hold)


if __name__ == "__main__":
    main()
