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
"libssl": path of the file SSL_write was loaded from}
The bytes are those where agentrace's plan puts the write and read probes:
AR_PROBE_OFFS="WRITE_OFF,READ_OFF" (file offsets in libssl, from
agentrace --list-tls), or SSL_write's and SSL_read's first bytes without it."""
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


def byte_at_file_off(path, off):
    """The byte this process sees at file offset off of its mapping of path."""
    for line in open("/proc/self/maps").read().splitlines():
        f = line.split()
        if len(f) < 6 or f[-1] != path or "x" not in f[1]:
            continue
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        moff = int(f[2], 16)
        if moff <= off < moff + (hi - lo):
            return ctypes.string_at(lo + off - moff, 1)[0]
    raise SystemExit("file offset 0x%x of %s is not mapped executable" % (off, path))


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
    offs = os.environ.get("AR_PROBE_OFFS")
    if offs:
        w, r = (int(x, 16) for x in offs.split(","))
        wb, rb = byte_at_file_off(path, w), byte_at_file_off(path, r)
    else:
        wb, rb = first_byte(lib, "SSL_write"), first_byte(lib, "SSL_read")
    print(json.dumps({"ssl_write": wb, "ssl_read": rb,
                      "uprobes_vma": "[uprobes]" in maps, "libssl": path}), flush=True)


if __name__ == "__main__":
    main()
