#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Builds the http2 seed corpus in fuzz_http2's framing (the harness adds
the client preface): OpenAI-style calls over HTTP/2 with literal and
static-table header fields, the RFC 7541 C.4/C.6 Huffman blocks (dynamic
table across requests), multiplexed streams, SSE DATA frames, CONTINUATION,
padding, RST_STREAM and GOAWAY."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "http2")
E, I = 0, 1


def fr(ftype, flags, sid, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", sid) + payload


def lit(name, value):
    """Literal header field without indexing, new name (RFC 7541 6.2.2)."""
    n, v = name.encode(), value.encode()
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v


def frame(chunks):
    out = bytearray()
    for d, data in chunks:
        for i in range(0, len(data), 505):
            piece = data[i:i + 505]
            units = (len(piece) - 1) // 8
            out.append((units << 2) | d)
            out += piece[:units * 8 + 1]
    return bytes(out)


def req(sid, end=False):
    blk = b"\x83\x87" + lit(":path", "/v1/chat/completions") + \
        lit(":authority", "api.openai.com") + lit("content-type", "application/json")
    return fr(1, 0x4 | (1 if end else 0), sid, blk)


BODY = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
RESP = (b'{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini",'
        b'"choices":[{"index":0,"message":{"role":"assistant","content":"hello"},'
        b'"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2,'
        b'"total_tokens":11}}')
SSE = [b'data: {"id":"c2","object":"chat.completion.chunk","model":"gpt-4o-mini",'
       b'"choices":[{"index":0,"delta":{"content":"hel"},"finish_reason":null}]}\n\n',
       b'data: {"id":"c2","object":"chat.completion.chunk","model":"gpt-4o-mini",'
       b'"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],'
       b'"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}\n\n',
       b"data: [DONE]\n\n"]
SETTINGS = fr(4, 0, 0, b"\x00\x02\x00\x00\x00\x00")


def resp_hdr(sid, ctype, end=False):
    return fr(1, 0x4 | (1 if end else 0), sid, b"\x88" + lit("content-type", ctype))


CASES = {
    "chat_json": [(E, SETTINGS + req(1) + fr(0, 1, 1, BODY)),
                  (I, SETTINGS + resp_hdr(1, "application/json") + fr(0, 1, 1, RESP))],
    "chat_sse_multiplexed": [
        (E, SETTINGS + req(1) + req(3) + fr(0, 1, 3, BODY) + fr(0, 1, 1, BODY)),
        (I, resp_hdr(3, "text/event-stream") + fr(0, 0, 3, SSE[0]) +
         resp_hdr(1, "application/json") + fr(0, 0, 3, SSE[1]) + fr(0, 1, 3, SSE[2]) +
         fr(0, 1, 1, RESP))],
    "rfc7541_huffman": [
        (E, fr(1, 5, 1, bytes.fromhex("828684418cf1e3c2e5f23a6ba0ab90f4ff")) +
         fr(1, 5, 3, bytes.fromhex("828684be5886a8eb10649cbf"))),
        (I, fr(1, 5, 1, bytes.fromhex(
            "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d"
            "29ad171863c78f0b97c8e9ae82ae43d3")) +
         fr(1, 5, 3, bytes.fromhex("4883640effc1c0bf")))],
    "continuation_padding": [
        (E, fr(1, 0, 1, (b"\x83\x87" + lit(":path", "/v1/x"))[:5]) +
         fr(9, 4, 1, (b"\x83\x87" + lit(":path", "/v1/x"))[5:]) +
         fr(0, 0x9, 1, b"\x04{}\x00\x00\x00\x00")),
        (I, fr(1, 0x5, 1, b"\x88"))],
    "rst_goaway": [(E, req(1, True) + req(3, True) + req(5, True)),
                   (I, fr(3, 0, 1, b"\x00\x00\x00\x08") + fr(1, 5, 3, b"\x88") +
                    fr(7, 0, 0, b"\x00\x00\x00\x03\x00\x00\x00\x00"))],
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, chunks in CASES.items():
        open(os.path.join(OUT, name), "wb").write(frame(chunks))


main()
