# SPDX-License-Identifier: MIT
"""Minimal raw HTTP/1.1 server core shared by echo_server.py and
mock_llm_server.py (stdlib only).

Built on socket+ssl instead of http.server so the tests control and can log
every plaintext byte a connection carried. One thread per connection,
keep-alive, Content-Length and chunked request bodies, Expect: 100-continue,
chunked responses for streams. Binds 127.0.0.1 only; SIGTERM/SIGINT stop the
accept loop, shut the open connections down and return from serve().
"""

import json
import os
import signal
import socket
import ssl
import threading
import time
import zlib

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
IDLE_TIMEOUT_S = 60.0
MAX_REQUESTS_PER_CONN = 100000

REASONS = {
    100: "Continue", 200: "OK", 202: "Accepted", 204: "No Content",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large",
    429: "Too Many Requests", 500: "Internal Server Error",
    502: "Bad Gateway", 503: "Service Unavailable", 529: "Overloaded",
}


class BadRequest(Exception):
    pass


class Closed(Exception):
    pass


class Request:
    def __init__(self, method, target, version, headers):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers  # list of (name, value) as received
        self.hdr = {}
        for k, v in headers:
            k = k.lower()
            self.hdr[k] = (self.hdr[k] + ", " + v) if k in self.hdr else v
        path, _, query = target.partition("?")
        self.path = path
        self.query_string = query
        self.query = {}
        for part in query.split("&"):
            if not part:
                continue
            k, _, v = part.partition("=")
            self.query[_unquote(k)] = _unquote(v)
        self.body = b""
        self.chunked = False

    def header(self, name, default=None):
        return self.hdr.get(name.lower(), default)

    def wants_close(self):
        conn = self.header("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" not in conn
        return "close" in conn


def _unquote(s):
    from urllib.parse import unquote_plus
    return unquote_plus(s)


class HttpConn:
    """One accepted connection: buffered reads, logged writes."""

    def __init__(self, sock, n, client_port, log_in=None, log_out=None):
        self.sock = sock
        self.n = n
        self.client_port = client_port
        self.buf = bytearray()
        self.bytes_in = 0
        self.bytes_out = 0
        self.log_in = log_in
        self.log_out = log_out
        self.closed = False
        self.requests = 0

    # -- reading --
    def _fill(self):
        try:
            data = self.sock.recv(65536)
        except (ssl.SSLError, OSError) as e:
            raise Closed(str(e))
        if not data:
            raise Closed("eof")
        self.bytes_in += len(data)
        if self.log_in:
            self.log_in.write(data)
            self.log_in.flush()
        self.buf += data

    def _read_line(self, limit):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return line
            if len(self.buf) > limit:
                raise BadRequest("line too long")
            self._fill()

    def _read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def read_request(self):
        """Returns the next Request, or None on a clean EOF between requests.
        Raises BadRequest on malformed input, Closed on a mid-request EOF."""
        try:
            while not self.buf:
                self._fill()
        except Closed:
            return None
        # tolerate stray CRLFs between requests (RFC 9112 2.2)
        line = self._read_line(MAX_HEADER_BYTES)
        for _ in range(8):
            if line.strip():
                break
            line = self._read_line(MAX_HEADER_BYTES)
        parts = line.decode("latin-1").strip().split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest("bad request line")
        method, target, version = parts
        headers = []
        total = len(line)
        while True:
            h = self._read_line(MAX_HEADER_BYTES)
            total += len(h)
            if total > MAX_HEADER_BYTES or len(headers) > 200:
                raise BadRequest("headers too large")
            h = h.rstrip(b"\r\n")
            if not h:
                break
            name, sep, value = h.decode("latin-1").partition(":")
            if not sep or not name or name != name.strip():
                raise BadRequest("bad header")
            headers.append((name, value.strip()))
        req = Request(method, target, version, headers)
        te = req.header("transfer-encoding", "").lower()
        cl = req.header("content-length")
        has_body = "chunked" in te or (cl is not None and cl.strip() != "0")
        if has_body and "100-continue" in req.header("expect", "").lower() \
                and not self.buf:
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in te:
            req.chunked = True
            req.body = self._read_chunked()
        elif cl is not None:
            try:
                n = int(cl)
            except ValueError:
                raise BadRequest("bad content-length")
            if n < 0 or n > MAX_BODY_BYTES:
                raise BadRequest("bad content-length")
            req.body = self._read_exact(n)
        self.requests += 1
        return req

    def _read_chunked(self):
        body = bytearray()
        for _ in range(1 << 20):
            line = self._read_line(4096).split(b";")[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise BadRequest("bad chunk size")
            if size == 0:
                for _ in range(100):  # trailers
                    if not self._read_line(MAX_HEADER_BYTES).strip():
                        return bytes(body)
                raise BadRequest("too many trailers")
            if len(body) + size > MAX_BODY_BYTES:
                raise BadRequest("body too large")
            body += self._read_exact(size)
            if self._read_exact(2) != b"\r\n":
                raise BadRequest("bad chunk end")
        raise BadRequest("too many chunks")

    # -- writing --
    def send(self, data):
        if self.closed:
            raise Closed("closed")
        try:
            self.sock.sendall(data)
        except (ssl.SSLError, OSError) as e:
            raise Closed(str(e))
        self.bytes_out += len(data)
        if self.log_out:
            self.log_out.write(data)
            self.log_out.flush()

    def abort(self):
        """Drop the connection without any further bytes (a cut stream)."""
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def head_bytes(status, headers):
    lines = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Status"))]
    for k, v in headers:
        lines.append("%s: %s" % (k, v))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send_response(conn, status, headers, body, gzip_body=False, close=False):
    """Sends a complete Content-Length response."""
    headers = list(headers)
    if gzip_body and body:
        co = zlib.compressobj(6, zlib.DEFLATED, 31)
        body = co.compress(body) + co.flush()
        headers.append(("Content-Encoding", "gzip"))
    headers.append(("Content-Length", str(len(body))))
    headers.append(("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                          time.gmtime())))
    if close:
        headers.append(("Connection", "close"))
    conn.send(head_bytes(status, headers) + body)


class ChunkedWriter:
    """A Transfer-Encoding: chunked response, optionally gzip'd with a
    sync flush per write so every event reaches the client at once."""

    def __init__(self, conn, status, headers, gzip_stream=False, close=False):
        self.conn = conn
        self.co = zlib.compressobj(6, zlib.DEFLATED, 31) if gzip_stream else None
        headers = list(headers)
        if self.co:
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Transfer-Encoding", "chunked"))
        headers.append(("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                              time.gmtime())))
        if close:
            headers.append(("Connection", "close"))
        conn.send(head_bytes(status, headers))
        self.writes = 0

    def write(self, data):
        if self.co:
            data = self.co.compress(data) + self.co.flush(zlib.Z_SYNC_FLUSH)
        if data:
            self.conn.send(b"%x\r\n" % len(data) + data + b"\r\n")
        self.writes += 1

    def finish(self):
        tail = b""
        if self.co:
            last = self.co.flush()
            if last:
                tail = b"%x\r\n" % len(last) + last + b"\r\n"
        self.conn.send(tail + b"0\r\n\r\n")


def add_common_args(p):
    p.add_argument("--port", type=int, default=0,
                   help="TCP port on 127.0.0.1 (0 = pick a free one)")
    p.add_argument("--port-file", help="write the bound port here")
    p.add_argument("--ready-file", help="create this file once listening")
    p.add_argument("--cert", help="server certificate (PEM)")
    p.add_argument("--key", help="server private key (PEM)")
    p.add_argument("--plain", action="store_true",
                   help="plain TCP instead of TLS")


def _write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def serve(args, conn_handler, name="server"):
    """Listens on 127.0.0.1:args.port and runs conn_handler(sock, n,
    client_port) in a thread per connection until SIGTERM/SIGINT."""
    ctx = None
    if not args.plain:
        if not args.cert or not args.key:
            raise SystemExit("%s: --cert and --key are required unless "
                             "--plain" % name)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        # HTTP/1.1 only: never offer h2, so clients stay on HTTP/1.1.
        ctx.set_alpn_protocols(["http/1.1"])

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", args.port))
    lsock.listen(128)
    lsock.settimeout(0.2)
    port = lsock.getsockname()[1]

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if args.port_file:
        _write_atomic(args.port_file, "%d\n" % port)
    if args.ready_file:
        _write_atomic(args.ready_file, "%d\n" % port)
    print("%s: listening on 127.0.0.1:%d (%s)" %
          (name, port, "plain" if args.plain else "tls"), flush=True)

    active = {}
    lock = threading.Lock()
    counter = [0]

    def run(raw, n, cport):
        sock = raw
        try:
            raw.settimeout(IDLE_TIMEOUT_S)
            if ctx is not None:
                sock = ctx.wrap_socket(raw, server_side=True)
            with lock:
                active[n] = sock
            conn_handler(sock, n, cport)
        except (ssl.SSLError, OSError, Closed):
            pass
        finally:
            with lock:
                active.pop(n, None)
            try:
                sock.close()
            except OSError:
                pass

    threads = []
    while not stop.is_set():
        try:
            raw, addr = lsock.accept()
        except socket.timeout:
            continue
        except OSError:
            if stop.is_set():
                break
            raise
        with lock:
            counter[0] += 1
            n = counter[0]
        t = threading.Thread(target=run, args=(raw, n, addr[1]), daemon=True)
        t.start()
        threads = [x for x in threads if x.is_alive()]
        threads.append(t)

    lsock.close()
    with lock:
        socks = list(active.values())
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    deadline = time.time() + 3.0
    for t in threads:
        t.join(max(0.0, deadline - time.time()))
    print("%s: stopped" % name, flush=True)


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))
