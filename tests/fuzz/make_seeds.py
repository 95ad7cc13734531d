#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seeds for the harnesses that have no wire-format corpus of their own
(make_corpus.py builds http1's): tools, trace, split, decode, otlp, small,
elf. Fields are joined with fuzz_exchange.h's separator b"\\x00|".
Run by hand after changing a harness's input format; seeds are committed."""
import glob
import gzip
import os
import subprocess
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")
SEP = b"\x00|"


def put(name, seed, data):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, seed), "wb") as f:
        f.write(data)


def split_http(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    hdrs = [l for l in lines[1:] if b":" in l]
    return lines[0], hdrs, body


def tools_seeds():
    for case in sorted(glob.glob(os.path.join(FIX, "mcp", "*", ""))):
        rq, rs = os.path.join(case, "request.http"), os.path.join(case, "response.http")
        if not (os.path.exists(rq) and os.path.exists(rs)):
            continue
        (start, qh, qb), (sline, sh, sb) = split_http(open(rq, "rb").read()), split_http(open(rs, "rb").read())
        method, target = start.split(b" ")[:2]
        host = next((h.split(b":", 1)[1].strip() for h in qh if h.lower().startswith(b"host:")), b"")
        ctype = next((h.split(b":", 1)[1].strip().split(b";")[0].lower() for h in sh
                      if h.lower().startswith(b"content-type:")), b"")
        status = sline.split(b" ")[1]
        put("tools", os.path.basename(case.rstrip("/")),
            SEP.join([b"\x05", method, target, host, b"\n".join(qh), qb, status, ctype,
                      b"\n".join(sh), sb]))
    put("tools", "blackbox_url", SEP.join([b"\x04", b"GET",
        b"/bot123:AAH/sendMessage?chat_id=1&api_key=x#f", b"api.telegram.org", b"", b"",
        b"200", b"application/json", b"", b'{"ok":true}']))
    put("tools", "resource_uri", SEP.join([b"\x05", b"POST", b"/mcp", b"h", b"mcp-method: resources/read",
        b'{"jsonrpc":"2.0","id":"r","method":"resources/read","params":{"uri":"postgres://u:p@db/x?token=t"}}',
        b"200", b"application/json", b"", b'{"jsonrpc":"2.0","id":"r","result":{"contents":[]}}']))


def trace_seeds():
    put("trace", "traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    put("trace", "tracestate", b"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
    put("trace", "baggage", b"tenant=acme;p=1,user.id=u%201,session=s")
    put("trace", "headers", SEP.join([b"\x00", b"POST", b"/v1/chat/completions", b"h",
        b"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n"
        b"tracestate: a=b\nbaggage: tenant=acme,user.id=7\nx-tenant-id: t2", b"{}"]))


def split_seeds():
    put("split", "sse", b"\x07\x01event: message\r\ndata: {\"a\":1}\n\n: ping\ndata: x\ndata: y\nid: 5\n\ndata: [DONE]\n\n")
    put("split", "ndjson", b"\x03\x00{\"a\":1}\n{\"b\":2}\r\n\n{\"done\":true}")
    for p in sorted(glob.glob(os.path.join(FIX, "genai", "*", "*stream*", "response.body")))[:6]:
        put("split", "fx_" + os.path.basename(os.path.dirname(p)), b"\x11\x22" + open(p, "rb").read()[:8192])


def zstd(data):
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        return subprocess.run(["zstd", "-q", "-c", f.name], capture_output=True, check=True).stdout


def decode_seeds():
    plain = b'{"id":"x","choices":[{"text":"hello"}]}' * 20
    put("decode", "gzip", b"gzip\n\x05" + gzip.compress(plain))
    put("decode", "deflate_raw", b"deflate\n\x01" + zlib.compress(plain)[2:-4])
    put("decode", "deflate_zlib", b"deflate\n\x10" + zlib.compress(plain))
    put("decode", "gzip_zstd", b"gzip, zstd\n\x07" + zstd(gzip.compress(plain)))
    put("decode", "gzip_deflate", b"gzip,deflate\n\x03" + zlib.compress(gzip.compress(plain)))
    # the bomb: zstd over a tiny gzip member followed by zeros
    put("decode", "bomb_gzip_then_zeros_zstd", b"gzip, zstd\n\x40" + zstd(gzip.compress(b"hi") + bytes(8 << 20)))
    put("decode", "bomb_empty_members", b"gzip\n\x20" + gzip.compress(b"") * 2000)
    put("decode", "four_layers", b"gzip, gzip, gzip, zstd\n\x09" + zstd(gzip.compress(gzip.compress(gzip.compress(plain)))))


def otlp_seeds():
    put("otlp", "spans", SEP.join([b"chat gpt-4o", b"gen_ai.request.model", b"gpt-4o", b"abc",
                                   b"execute_tool \xff\xfe", b"k\x01", b"v\xc3", b"1"]))
    put("otlp", "pb_response", b"\x0a\x05\x08\x03\x12\x01x")
    put("otlp", "json_response", b'{"partialSuccess":{"rejectedSpans":"2","errorMessage":"no"}}')


def small_seeds():
    put("small", "retry_after", b"120")
    put("small", "retry_date", b"Wed, 21 Oct 2015 07:28:00 GMT")
    put("small", "health", b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    put("small", "readyz", b"GET /readyz HTTP/1.0\r\n\r\n")
    put("small", "cgroup_v2", b"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234abcd_5678_90ef_1234_567890abcdef.slice/"
        b"cri-containerd-" + b"a" * 64 + b".scope\n")
    put("small", "cgroup_v1", b"12:memory:/docker/" + b"b" * 64 + b"\n11:cpu:/\n")


def elf_seeds():
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "s.c")
        open(src, "w").write("int SSL_read(void*a,void*b,int n){return n;}\n"
                             "int SSL_write(void*a,const void*b,int n){return n;}\n"
                             "int SSL_read_ex(void){return 0;}\n")
        so = os.path.join(d, "libssl.so.3")
        subprocess.run(["gcc", "-shared", "-fPIC", "-Os", "-s", "-nostdlib", "-o", so, src], check=True)
        put("elf", "tiny_libssl", open(so, "rb").read())
    put("elf", "not_elf", b"\x7fELF\x02\x01\x01" + bytes(57))


tools_seeds()
trace_seeds()
split_seeds()
decode_seeds()
otlp_seeds()
small_seeds()
elf_seeds()
