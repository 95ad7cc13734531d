#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Byte-exact client: several requests over ONE keep-alive connection.
usage: bytes_client.py https|http PORT CA REQ:RESP [REQ:RESP ...]"""
import http.client
import ssl
import sys


def body(n):
    return bytes((i * 7 + 3) % 251 for i in range(n))


def main():
    scheme, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if scheme == "https":
        ctx = ssl.create_default_context(cafile=ca)
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port)
    for pair in sys.argv[4:]:
        req, resp = (int(x) for x in pair.split(":"))
        conn.request("POST", "/echo?resp=%d" % resp, body=body(req),
                     headers={"Content-Type": "application/octet-stream"})
        r = conn.getresponse()
        data = r.read()
        assert len(data) == resp, (len(data), resp)
    conn.close()


main()
