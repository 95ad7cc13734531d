#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Byte-exact HTTP/1.1 test server (TLS, or plain TCP with --plain).

Any method and path is accepted. The response body is N deterministic bytes
where N comes from the query `resp=N` (default 0); the request body is read
and discarded. Every connection's plaintext is logged to --log-dir:

  <n>.in       exact bytes received (after TLS decryption)
  <n>.out      exact bytes sent
  conns.jsonl  one line per closed connection:
               {"n", "client_port", "fd", "bytes_in", "bytes_out", "requests":[
                 {"method","target","req_body_len","chunked_req",
                  "resp_body_len","status","req_body_sha256"}]}

Optional query switches: chunk=K answers with Transfer-Encoding: chunked in
K-byte chunks; close=1 answers with Connection: close; status=N sets the
status code.
"""

import argparse
import hashlib
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpwire  # noqa: E402

MAX_RESP = 64 * 1024 * 1024


def body_bytes(n, start=0):
    """Deterministic, non-periodic body: 16-byte records '%015x\\n' of the
    record's own offset, so a lost or shifted span is visible. Returns bytes
    [start, start+n)."""
    first = start // 16
    last = (start + n + 15) // 16
    blob = "".join("%015x\n" % (i * 16) for i in range(first, last)).encode()
    off = start - first * 16
    return blob[off:off + n]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    httpwire.add_common_args(p)
    p.add_argument("--log-dir", required=True,
                   help="directory for <n>.in, <n>.out and conns.jsonl")
    args = p.parse_args()
    os.makedirs(args.log_dir, exist_ok=True)
    conns_lock = threading.Lock()
    conns_path = os.path.join(args.log_dir, "conns.jsonl")

    def handle(sock, n, cport):
        fd = sock.fileno()
        fin = open(os.path.join(args.log_dir, "%d.in" % n), "wb")
        fout = open(os.path.join(args.log_dir, "%d.out" % n), "wb")
        conn = httpwire.HttpConn(sock, n, cport, fin, fout)
        reqs = []
        try:
            for _ in range(httpwire.MAX_REQUESTS_PER_CONN):
                try:
                    req = conn.read_request()
                except httpwire.BadRequest as e:
                    httpwire.send_response(
                        conn, 400, [("Content-Type", "text/plain")],
                        ("bad request: %s\n" % e).encode(), close=True)
                    break
                if req is None:
                    break
                try:
                    resp_n = int(req.query.get("resp", "0"))
                    chunk = int(req.query.get("chunk", "0"))
                    status = int(req.query.get("status", "200"))
                except ValueError:
                    resp_n, chunk, status = -1, 0, 200
                if resp_n < 0 or resp_n > MAX_RESP:
                    httpwire.send_response(
                        conn, 400, [("Content-Type", "text/plain")],
                        b"resp must be 0..67108864\n")
                    reqs.append(_rec(req, 0, 400))
                    continue
                close = req.wants_close() or req.query.get("close") == "1"
                hdrs = [("Content-Type", "application/octet-stream"),
                        ("X-Req-Body-Len", str(len(req.body)))]
                if chunk > 0:
                    w = httpwire.ChunkedWriter(conn, status, hdrs, close=close)
                    for off in range(0, resp_n, chunk):
                        w.write(body_bytes(min(chunk, resp_n - off), off))
                    w.finish()
                else:
                    httpwire.send_response(conn, status, hdrs,
                                           body_bytes(resp_n), close=close)
                reqs.append(_rec(req, resp_n, status))
                if close:
                    break
        except httpwire.Closed:
            pass
        finally:
            fin.close()
            fout.close()
            line = json.dumps({"n": n, "client_port": cport, "fd": fd,
                               "bytes_in": conn.bytes_in,
                               "bytes_out": conn.bytes_out,
                               "requests": reqs})
            with conns_lock:
                with open(conns_path, "a") as f:
                    f.write(line + "\n")

    httpwire.serve(args, handle, name="echo_server")


def _rec(req, resp_n, status):
    return {"method": req.method, "target": req.target,
            "req_body_len": len(req.body), "chunked_req": req.chunked,
            "req_body_sha256": hashlib.sha256(req.body).hexdigest(),
            "resp_body_len": resp_n, "status": status}


if __name__ == "__main__":
    main()
