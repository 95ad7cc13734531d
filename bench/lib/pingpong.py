# SPDX-License-Identifier: MIT
"""OpenSSL side of bench/lib/probe_cost.py: N round trips of SIZE bytes over
one TLS connection with python's ssl module (libssl's SSL_write_ex and
SSL_read_ex). usage: pingpong.py PORT N SIZE"""
import socket
import ssl
import sys

port, n, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
buf = b"x" * size
for _ in range(n):
    s.sendall(buf)
    got = 0
    while got < size:
        got += len(s.recv(size - got))
s.close()
