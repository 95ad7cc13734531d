# SPDX-License-Identifier: MIT
"""Case garbage_storm (issue #14, R4 "garbage at volume"): hostile traffic
through traced sockets while a real client makes LLM calls.

A hostile HTTP server and storm clients on 127.0.0.1 exchange
BENCH_STORM_MB (default 1024) of: valid HTTP with hostile bodies
(stacked gzip+zstd bombs, 4 MiB JSON, JSON-RPC batches of 50k ids), huge
header blocks, chunked nonsense and random garbage. Meanwhile the real
client (tests/e2e/clients/py_client.py over TLS to mock_llm_server.py)
makes LLM calls back to back for as long as the storm lasts. Reported: the daemon stayed up, its peak
RSS (VmRSS and own) against the 256 MiB DaemonSet limit, /healthz answers
during the storm, SIGTERM-to-exit time against --shutdown-timeout, and
how many of the real client's calls became spans (by response id)."""

import gzip
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

MB = 1 << 20
VOLUME = int(os.environ.get("BENCH_STORM_MB", "1024")) * MB
CLIENTS = int(os.environ.get("BENCH_STORM_CLIENTS", "2"))
SHUTDOWN_MS = 5000
E2E = os.path.join(b.ROOT, "tests", "e2e")


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c", "-"], input=data, capture_output=True,
                          check=True).stdout


def hostile_bodies():
    """(headers, body) pairs the server answers with."""
    bomb = zstd(gzip.compress(b"hi") + bytes(256 * MB))
    deep = zstd(gzip.compress(bytes(64 * MB)))
    ids = json.dumps([{"jsonrpc": "2.0", "id": i, "result": {}} for i in range(50000)]).encode()
    big = json.dumps({"id": "x", "choices": [{"message": {"content": "A" * (4 * MB)}}]}).encode()
    return [
        (b"Content-Type: text/event-stream\r\nContent-Encoding: gzip, zstd\r\n", bomb),
        (b"Content-Type: application/json\r\nContent-Encoding: gzip, zstd\r\n", deep),
        (b"Content-Type: application/json\r\n", ids),
        (b"Content-Type: application/json\r\n", big),
        (b"".join(b"X-Junk-%d: %s\r\n" % (i, b"v" * 8000) for i in range(40)), b"{}"),
        (b"Content-Type: application/json\r\nContent-Encoding: gzip\r\n",
         gzip.compress(b"") * 20000),
    ]


class Server:
    """Reads a request head, then answers with one hostile thing."""

    def __init__(self):
        self.bodies = hostile_bodies()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        rnd = random.Random()
        c.settimeout(5)
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf and len(buf) < 1 << 20:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                head, _, buf = buf.partition(b"\r\n\r\n")
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        want = int(line.split(b":", 1)[1])
                        while len(buf) < want:
                            d = c.recv(65536)
                            if not d:
                                return
                            buf += d
                        buf = buf[want:]
                k = rnd.randrange(9)
                if k < len(self.bodies):
                    h, body = self.bodies[k]
                    c.sendall(b"HTTP/1.1 200 OK\r\n" + h +
                              b"Content-Length: %d\r\n\r\n" % len(body) + body)
                elif k == 6:
                    c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              b"fffffffffffffff\r\n" + os.urandom(65536))
                    return
                elif k == 7:
                    c.sendall(os.urandom(256 * 1024))
                    return
                else:
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        except (OSError, ValueError):
            pass
        finally:
            c.close()


def read_response(s):
    """Reads one answer: its head, then Content-Length bytes, or to close
    for the answers that have none (chunked nonsense, garbage). Waiting out
    a timeout after every short answer would make the storm mostly idle.
    Returns (bytes read, connection finished)."""
    s.settimeout(5)
    buf, got = b"", 0
    try:
        while b"\r\n\r\n" not in buf:
            d = s.recv(1 << 20)
            if not d:
                return got, True
            got += len(d)
            buf += d
            if len(buf) > 1 << 20:
                break
        head, _, rest = buf.partition(b"\r\n\r\n")
        want = None
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                want = int(line.split(b":", 1)[1])
        if want is None:
            while s.recv(1 << 20):
                pass
            return got, True
        left = want - len(rest)
        while left > 0:
            d = s.recv(min(left, 1 << 20))
            if not d:
                return got, True
            got += len(d)
            left -= len(d)
        return got, False
    except (OSError, ValueError):
        return got, True


def storm_client(port, budget, seed, counter):
    """One traced process's worth of hostile requests (run as a child)."""
    rnd = random.Random(seed)
    sent = 0
    while sent < budget:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            for _ in range(rnd.randrange(1, 6)):
                k = rnd.randrange(4)
                if k == 0:
                    body = os.urandom(rnd.randrange(1, 256 * 1024))
                    req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n"
                           b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                           % len(body)) + body
                elif k == 1:
                    body = json.dumps([{"jsonrpc": "2.0", "id": i, "method": "tools/list"}
                                       for i in range(rnd.randrange(1, 30000))]).encode()
                    req = (b"POST /mcp HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                           b"Content-Length: %d\r\n\r\n" % len(body)) + body
                elif k == 2:
                    req = b"GET /" + b"a" * rnd.randrange(1, 200000) + b" HTTP/1.1\r\nHost: h\r\n\r\n"
                else:
                    req = b"POST /v1/messages HTTP/1.1\r\nHost: h\r\n" + os.urandom(4096) + b"\r\n\r\n"
                s.sendall(req)
                sent += len(req)
                got, done = read_response(s)
                sent += got
                if done:
                    break
            s.close()
        except OSError:
            time.sleep(0.01)
    print(sent)


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "client":
        storm_client(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), None)
        return
    case = b.Case("garbage_storm", "R4: %d MiB of hostile HTTP through traced sockets, "
                  "real LLM calls back to back during it" % (VOLUME // MB))
    b.need("zstd")
    srv = Server()
    certs = b.certs(case)
    truth = case.file("truth.jsonl")
    ready = case.file("mock.ready")
    mock = subprocess.Popen([sys.executable, os.path.join(E2E, "mock_llm_server.py"), "--port", "0",
                             "--ready-file", ready, "--truth", truth,
                             "--cert", os.path.join(certs, "server.pem"),
                             "--key", os.path.join(certs, "server.key")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    b.wait_for(lambda: os.path.exists(ready) and open(ready).read().strip(), 20, "mock ready")
    mport = int(open(ready).read().split()[0])
    hport = b.free_port()
    spans = case.file("spans.jsonl")
    ar = b.Agentrace(case, ["--exporter", "file", "-o", spans, "--health-addr",
                            "127.0.0.1:%d" % hport, "--shutdown-timeout", str(SHUTDOWN_MS)])
    rss, health_ok, health_bad = [], 0, 0
    t0 = time.monotonic()
    clients = [subprocess.Popen([sys.executable, __file__, "client", str(srv.port),
                                 str(VOLUME // CLIENTS), str(i)], stdout=subprocess.PIPE)
               for i in range(CLIENTS)]
    env = dict(os.environ, SSL_CERT_FILE=os.path.join(certs, "ca.pem"))
    calls = {"made": 0, "ok": 0}

    def storming():
        return any(c.poll() is None for c in clients) and ar.p.poll() is None

    def real_client():
        """Real LLM calls back to back for as long as the storm lasts."""
        while storming():
            r = subprocess.run([sys.executable, os.path.join(E2E, "clients", "py_client.py"),
                                "llm", "--url", "https://127.0.0.1:%d" % mport,
                                "--provider", "openai",
                                "--stream" if calls["made"] % 2 else "--model=gpt-4o-mini"],
                               env=env, capture_output=True, timeout=60)
            calls["ok"] += r.returncode == 0
            calls["made"] += 1

    caller = threading.Thread(target=real_client, daemon=True)
    caller.start()
    while storming():
        rss.append(ar.rss_kb())
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % hport, timeout=2) as r:
                health_ok += r.status == 200
        except Exception:  # noqa: BLE001 - any failure to answer counts
            health_bad += 1
        time.sleep(0.25)
    caller.join(120)
    calls_ok = calls["ok"]
    storm_s = time.monotonic() - t0
    moved = sum(int((c.communicate()[0] or b"0").split()[-1]) for c in clients)
    up = ar.p.poll() is None
    t1 = time.monotonic()
    ar.p.send_signal(signal.SIGTERM)
    try:
        ar.p.wait(SHUTDOWN_MS / 1000 + 10)
    except subprocess.TimeoutExpired:
        ar.p.kill()
        ar.p.wait()
    exit_s = time.monotonic() - t1
    stats = b.parse_stats(ar.err())
    stats["limits"] = next((l[len("limits: "):] for l in ar.err().splitlines()
                            if l.startswith("limits: ")), None)
    mock.terminate()
    srv.stop = True
    ids = set()
    if os.path.exists(spans):
        for line in open(spans):
            for rs in json.loads(line).get("resourceSpans", []) if line.strip() else []:
                for ss in rs.get("scopeSpans", []):
                    for s in ss.get("spans", []):
                        for kv in s.get("attributes", []):
                            if kv["key"] == "gen_ai.response.id":
                                ids.add(next(iter(kv["value"].values())))
    truth_ids = [json.loads(l)["response_id"] for l in open(truth) if l.strip()] \
        if os.path.exists(truth) else []
    reported = sum(1 for t in truth_ids if t in ids)
    peak = max(x[0] for x in rss) / 1024.0 if rss else 0
    peak_own = max(x[1] for x in rss) / 1024.0 if rss else 0
    case.row("daemon up after the storm", int(up), 1, None, "1", [int(up)])
    case.row("storm volume", round(moved / MB, 1), VOLUME // MB, round(moved / VOLUME, 2),
             "1 GiB", [round(moved / MB, 1)], "MiB")
    case.row("storm duration", round(storm_s, 1), None, None, "-", [round(storm_s, 1)], "s")
    case.row("peak VmRSS", round(peak, 1), 256, round(peak / 256, 2), "< 256 MiB",
             [round(x[0] / 1024.0, 1) for x in rss], "MiB")
    case.row("peak RSS outside BPF maps", round(peak_own, 1), 256, round(peak_own / 256, 2),
             "< 256 MiB", [round(x[1] / 1024.0, 1) for x in rss], "MiB")
    case.row("healthz answered", health_ok, health_ok + health_bad, None, "all",
             [health_ok])
    case.row("SIGTERM to exit", round(exit_s, 2), SHUTDOWN_MS / 1000,
             round(exit_s / (SHUTDOWN_MS / 1000), 2), "< shutdown timeout", [round(exit_s, 2)], "s")
    case.row("real LLM calls reported", reported, len(truth_ids), None, "all (%d ok)" % calls_ok,
             [reported])
    case.note("limits at exit: %s" % stats.get("limits"))
    case.note("http at exit: %s" % stats.get("http"))
    case.note("kernel at exit: %s" % stats.get("kernel"))
    case.finish()


if __name__ == "__main__":
    main()
