#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes one HTTPS request, then reports whether its own libssl carries
uprobe breakpoints: a uprobe is an int3 (0xcc) written into the process's
copy of the page, visible to the process itself, and the first hit maps
the "[uprobes]" trampoline area.
usage: breakpoint_probe.py PORT CA [GO-FILE [SNI]]
With SNI, the TLS handshake (ClientHello naming SNI) comes first and the
GO-FILE wait after it, before the request.
prints one JSON line: {"ssl_write": byte, "ssl_read": byte, "uprobes_vma": bool,
"libssl": path of the file SSL_write was loaded from}"""
import ctypes
import http.client
import json
import os
import socket
import ssl
import sys
import time


def first_byte(lib, name):
    addr = ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
    return ctypes.string_at(addr, 1)[0]


def wait(path):
    while not os.path.exists(path):
        time.sleep(0.05)


def main():
    port, ca = int(sys.argv[1]), sys.argv[2]
    go = sys.argv[3] if len(sys.argv) > 3 else None
    sni = sys.argv[4] if len(sys.argv) > 4 else None
    if go and not sni:
        wait(go)
    ctx = ssl.create_default_context(cafile=ca)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    if sni:
        ctx.check_hostname = False  # the test CA's certificate names 127.0.0.1
        conn.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                                    server_hostname=sni)
        if go:
            wait(go)
    conn.request("POST", "/echo?resp=10", body=b"x" * 10)
    assert len(conn.getresponse().read()) == 10
    conn.close()
    # The ssl module loaded the system libssl; dlopen returns the same copy.
    lib = ctypes.CDLL("libssl.so.3")
    maps = open("/proc/self/maps").read()
    addr = ctypes.cast(lib.SSL_write, ctypes.c_void_p).value
    path = ""
    for line in maps.splitlines():
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        if lo <= addr < hi:
            path = line.split()[-1]
    print(json.dumps({"ssl_write": first_byte(lib, "SSL_write"),
                      "ssl_read": first_byte(lib, "SSL_read"),
                      "uprobes_vma": "[uprobes]" in maps, "libssl": path}), flush=True)


if __name__ == "__main__":
    main()
