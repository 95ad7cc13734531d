#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Builds the http1 seed corpus from the wire fixtures, in fuzz_http1's
framing: a flags byte (bit 0: TLS/unknown role), then records of one
control byte (bit 0 direction, bit 1 gap, bits 2-7: (len-1)/8) and data."""
import glob
import os

HERE = os.path.dirname(os.path.abspath(__file__))
WIRE = os.path.join(HERE, "..", "fixtures", "wire")
OUT = os.path.join(HERE, "corpus", "http1")


def frame(chunks):
    """A record holds 8*units+1 bytes (1..505): every length is a sum of
    such pieces, so no byte is cut (the tail used to lose up to 7 bytes
    per direction, leaving most fixtures truncated)."""
    out = bytearray([0])
    for d, data in chunks:
        i = 0
        while i < len(data):
            n = min(len(data) - i, 505)
            units = (n - 1) // 8
            n = units * 8 + 1
            out.append((units << 2) | d)
            out += data[i:i + n]
            i += n
    return bytes(out)


def unframe(blob):
    """fuzz_http1's reading of a framed input: bytes per direction."""
    got = [bytearray(), bytearray()]
    off = 1
    while off < len(blob):
        ctl = blob[off]
        off += 1
        n = min((ctl >> 2) * 8 + 1, len(blob) - off)
        if not ctl & 2:
            got[ctl & 1] += blob[off:off + n]
        off += n
    return got


def main():
    os.makedirs(OUT, exist_ok=True)
    for case in sorted(glob.glob(os.path.join(WIRE, "*"))):
        c2s, s2c = os.path.join(case, "c2s.bin"), os.path.join(case, "s2c.bin")
        if not (os.path.exists(c2s) and os.path.exists(s2c)):
            continue
        want = [open(c2s, "rb").read(), open(s2c, "rb").read()]
        data = frame([(0, want[0]), (1, want[1])])
        assert unframe(data) == want, "framing lost bytes of %s" % case
        if len(data) > 64 * 1024:
            continue
        name = os.path.relpath(case, WIRE).replace(os.sep, "_")
        open(os.path.join(OUT, name), "wb").write(data)


main()
