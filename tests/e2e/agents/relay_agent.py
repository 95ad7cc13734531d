#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A relay agent for the injection race test, stdlib only, no tracing
code: ThreadingHTTPServer, one thread per request. POST /run calls
POST http://127.0.0.1:<callee>/step over plaintext HTTP at once, before
anything else (no delay: the call leaves within microseconds of the read
of the request), and answers with the callee's status. Writes its port
to the port file."""

import http.client
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    callee = 0

    def log_message(self, *a):
        pass

    def do_POST(self):
        c = http.client.HTTPConnection("127.0.0.1", self.callee, timeout=30)
        c.request("POST", "/step?resp=16", body=b'{"step":1}',
                  headers={"Content-Type": "application/json"})
        status = c.getresponse()
        status.read()
        c.close()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        out = b'{"callee":%d,"got":%d}' % (status.status, len(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def main():
    port_file, Handler.callee = sys.argv[1], int(sys.argv[2])
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
