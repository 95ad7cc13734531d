# SPDX-License-Identifier: MIT
"""HTTP/1.1 response reading shared by the raw-socket test clients."""


def read_response(recv, buf=b""):
    """One response with a Content-Length, read after buf with recv (a
    callable giving the next bytes, b"" at EOF). Returns (body, the bytes
    that followed it)."""
    while b"\r\n\r\n" not in buf:
        d = recv()
        if not d:
            raise EOFError("server closed")
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        d = recv()
        if not d:
            raise EOFError("server closed")
        rest += d
    return rest[:n], rest[n:]
