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
    out = bytearray([0])
    for d, data in chunks:
        for i in range(0, len(data), 505):
            piece = data[i:i + 505]
            units = (len(piece) - 1) // 8
            out.append((units << 2) | d)
            out += piece[:units * 8 + 1]
    return bytes(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    for case in sorted(glob.glob(os.path.join(WIRE, "*"))):
        c2s, s2c = os.path.join(case, "c2s.bin"), os.path.join(case, "s2c.bin")
        if not (os.path.exists(c2s) and os.path.exists(s2c)):
            continue
        data = frame([(0, open(c2s, "rb").read()), (1, open(s2c, "rb").read())])
        if len(data) > 64 * 1024:
            continue
        name = os.path.relpath(case, WIRE).replace(os.sep, "_")
        open(os.path.join(OUT, name), "wb").write(data)


main()
