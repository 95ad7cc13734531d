#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Plain HTTP/1.1 clients for what the socket-layer capture must get right
(bpf/sock_call.bpf.h, bpf/sock_state.bpf.h):
  peek PORT REQ:RESP...  one keep-alive connection; every response is
                         peeked at (recv MSG_PEEK) before it is read
  shared PORT            a request on a first connection, whose socket a
                         forked child keeps open while this process closes
                         its fd, then a request on a second connection,
                         which gets the same fd number; prints both fds
  sendfile PORT N        a POST whose N-byte body leaves by sendfile(2)
  many PORT N            N connections open at once, a request on each,
                         then all closed
"""
import os
import socket
import sys
import time

from _wire import read_response


def body(n):
    return bytes((i * 7 + 3) % 251 for i in range(n))


def request(s, req, resp, send_body=True):
    s.sendall(b"POST /echo?resp=%d HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n"
              % (resp, req))
    if send_body:
        s.sendall(body(req))


def response(s, peek=False):
    def recv():
        if peek:
            s.recv(64, socket.MSG_PEEK)  # bytes stay queued
        return s.recv(65536)

    read_response(recv)


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "peek":
        s = socket.create_connection(("127.0.0.1", port))
        for pair in sys.argv[3:]:
            req, resp = (int(x) for x in pair.split(":"))
            request(s, req, resp)
            response(s, peek=True)
        s.close()
    elif mode == "shared":
        s1 = socket.create_connection(("127.0.0.1", port))
        fd1 = s1.fileno()
        request(s1, 300, 2000)
        response(s1)
        r, w = os.pipe()
        child = os.fork()
        if not child:  # holds the socket until the parent is done
            os.close(w)
            os.read(r, 1)
            os._exit(0)
        os.close(r)
        s1.close()  # not the socket's last close: the child has it
        s2 = socket.create_connection(("127.0.0.1", port))
        fd2 = s2.fileno()
        request(s2, 5000, 700)
        response(s2)
        request(s2, 1, 1)
        response(s2)
        s2.close()
        os.close(w)
        os.waitpid(child, 0)
        print(fd1, fd2, flush=True)
    elif mode == "many":
        # all alive together: each socket at its own address, none reused
        socks = [socket.create_connection(("127.0.0.1", port))
                 for _ in range(int(sys.argv[3]))]
        for s in socks:
            request(s, 10, 10)
            response(s)
        for s in socks:
            s.close()
    elif mode == "sendfile":
        n = int(sys.argv[3])
        path = "/tmp/agentrace-sendfile-%d.bin" % os.getpid()
        with open(path, "wb") as f:
            f.write(body(n))
        s = socket.create_connection(("127.0.0.1", port))
        request(s, n, 10, send_body=False)
        with open(path, "rb") as f:
            off = 0
            while off < n:
                off += os.sendfile(s.fileno(), f.fileno(), off, n - off)
        os.unlink(path)
        response(s)
        s.close()
        time.sleep(0.1)


main()
