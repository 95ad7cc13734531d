#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes one HTTPS request, then reports whether its own libssl carries
uprobe breakpoints: a uprobe is an int3 (0xcc) written into the process's
copy of the page, visible to the process itself, and the first hit maps
the "[uprobes]" trampoline area.
usage: breakpoint_probe.py PORT CA [GO-FILE]
prints one JSON line: {"ssl_write": byte, "ssl_read": byte, "uprobes_vma": bool}"""
import ctypes
import http.client
import json
import os
import ssl
import sys
import time


def first_byte(lib, name):
    addr = ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
    return ctypes.string_at(addr, 1)[0]


def main():
    port, ca = int(sys.argv[1]), sys.argv[2]
    if len(sys.argv) > 3:
        while not os.path.exists(sys.argv[3]):
            time.sleep(0.05)
    ctx = ssl.create_default_context(cafile=ca)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    conn.request("POST", "/echo?resp=10", body=b"x" * 10)
    assert len(conn.getresponse().read()) == 10
    conn.close()
    # The ssl module loaded the system libssl; dlopen returns the same copy.
    lib = ctypes.CDLL("libssl.so.3")
    maps = open("/proc/self/maps").read()
    print(json.dumps({"ssl_write": first_byte(lib, "SSL_write"),
                      "ssl_read": first_byte(lib, "SSL_read"),
                      "uprobes_vma": "[uprobes]" in maps}), flush=True)


if __name__ == "__main__":
    main()
