#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Plain HTTP/1.1 over ONE keep-alive connection, every request written
with writev and every response read with readv, each in many small (and
some empty, some big) pieces: the capture must gather them byte-exact.
usage: vec_client.py PORT REQ:RESP [REQ:RESP ...]"""
import os
import socket
import sys

from _wire import read_response

# at most 16 iovecs per call (AR_MAX_IOV): the capture's limit, not the test's
PIECES = [1, 0, 700, 4096, 5000, 3, 20000]
READ_BUFS = [1, 0, 90, 4096, 0, 7, 16384, 300]


def body(n):
    return bytes((i * 7 + 3) % 251 for i in range(n))


def split(data):
    out, off = [], 0
    for p in PIECES:
        out.append(data[off:off + p])
        off += p
    out.append(data[off:])
    return out


def writev_all(fd, bufs):
    bufs = [memoryview(b) for b in bufs]
    while bufs:
        n = os.writev(fd, bufs)
        while bufs and n >= len(bufs[0]):
            n -= len(bufs[0])
            bufs.pop(0)
        if bufs:
            bufs[0] = bufs[0][n:]


def readv_some(fd):
    bufs = [bytearray(n) for n in READ_BUFS]
    n = os.readv(fd, bufs)
    if n == 0:
        raise EOFError("server closed")
    out = bytearray()
    for b in bufs:
        out += b[:n]
        n -= min(n, len(b))
    return bytes(out)


def response(fd, buf):
    return read_response(lambda: readv_some(fd), buf)


def main():
    port = int(sys.argv[1])
    s = socket.create_connection(("127.0.0.1", port))
    fd = s.fileno()
    left = b""
    for pair in sys.argv[2:]:
        req, resp = (int(x) for x in pair.split(":"))
        head = [b"POST ", b"/echo?resp=%d" % resp, b" HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"",
                b"Content-Type: application/octet-stream\r\n",
                b"Content-Length: %d\r\n" % req, b"\r\n"]
        writev_all(fd, head + split(body(req)))
        data, left = response(fd, left)
        assert len(data) == resp, (len(data), resp)
    s.close()


main()
