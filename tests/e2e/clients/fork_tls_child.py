#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Forks (no exec); the child speaks TLS over an AF_UNIX socketpair, so it
opens no TCP connection that could make agentrace look at it: only the
fork itself can get the child probed. The parent waits.
usage: fork_tls_child.py CERT KEY CA MARKER
prints the child's pid on stdout."""
import os
import socket
import ssl
import sys
import threading
import time


def child(cert, key, ca, marker):
    time.sleep(1.0)  # the same wait a forked worker has before its first request
    a, b = socket.socketpair()
    srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv.load_cert_chain(cert, key)
    cli = ssl.create_default_context(cafile=ca)
    got = []

    def serve():
        s = srv.wrap_socket(a, server_side=True)
        got.append(s.recv(4096))
        s.sendall(b"ok")

    t = threading.Thread(target=serve)
    t.start()
    c = cli.wrap_socket(b, server_hostname="localhost")
    c.sendall(marker.encode())
    assert c.recv(16) == b"ok"
    t.join()
    assert got == [marker.encode()], got


def main():
    cert, key, ca, marker = sys.argv[1:5]
    pid = os.fork()
    if pid == 0:
        try:
            child(cert, key, ca, marker)
            os._exit(0)
        except BaseException as e:  # noqa: BLE001 - report and fail the child
            print("child failed: %r" % e, file=sys.stderr, flush=True)
            os._exit(1)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    sys.exit(0 if status == 0 else 1)


if __name__ == "__main__":
    main()
