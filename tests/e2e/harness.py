# SPDX-License-Identifier: MIT
"""Shared pieces of the end-to-end tests: a tiny test registry, the
agentrace daemon under test, the byte-exact echo server and stream dumps."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
AGENTRACE = os.path.join(ROOT, "build", "agentrace")

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def wait_for(pred, timeout=15.0, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.05)
    raise Failure("timed out waiting for " + what)


class Workdir:
    """A fresh temporary directory with a test certificate."""

    _cert = None

    def __init__(self, name):
        self.path = tempfile.mkdtemp(prefix="agentrace-%s-" % name)

    def file(self, *parts):
        return os.path.join(self.path, *parts)

    def cert_dir(self):
        if Workdir._cert is None:
            Workdir._cert = tempfile.mkdtemp(prefix="agentrace-cert-")
            subprocess.run(["sh", os.path.join(HERE, "gen_cert.sh"), Workdir._cert],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return Workdir._cert

    def cleanup(self):
        if os.environ.get("E2E_KEEP"):  # keep the logs of a hand run
            print("    kept", self.path)
            return
        shutil.rmtree(self.path, ignore_errors=True)


class Proc:
    """A background process whose output goes to files in the workdir."""

    def __init__(self, wd, name, argv, env=None):
        self.out_path = wd.file(name + ".out")
        self.err_path = wd.file(name + ".err")
        self.p = subprocess.Popen(argv, stdout=open(self.out_path, "wb"),
                                  stderr=open(self.err_path, "wb"),
                                  env=env, start_new_session=True)

    def stop(self, sig=signal.SIGINT, timeout=20):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise Failure("process did not stop after signal %d" % sig)

    def out(self):
        return open(self.out_path, "rb").read().decode(errors="replace")

    def err(self):
        return open(self.err_path, "rb").read().decode(errors="replace")


class EchoServer(Proc):
    def __init__(self, wd, plain=False, name="echo"):
        self.log_dir = wd.file(name + "-logs")
        port_file = wd.file(name + ".port")
        cert = wd.cert_dir()
        argv = [sys.executable, os.path.join(HERE, "echo_server.py"), "--port", "0",
                "--port-file", port_file, "--log-dir", self.log_dir]
        if plain:
            argv.append("--plain")
        else:
            argv += ["--cert", os.path.join(cert, "server.pem"),
                     "--key", os.path.join(cert, "server.key")]
        super().__init__(wd, name, argv)
        wait_for(lambda: os.path.exists(port_file) and open(port_file).read().strip(),
                 what="echo server port")
        self.port = int(open(port_file).read())

    def conns(self):
        path = os.path.join(self.log_dir, "conns.jsonl")
        if not os.path.exists(path):
            return []
        return [json.loads(l) for l in open(path) if l.strip()]

    def conn_bytes(self, n):
        return (open(os.path.join(self.log_dir, "%d.in" % n), "rb").read(),
                open(os.path.join(self.log_dir, "%d.out" % n), "rb").read())


# Flags that choose the targets; without one the binary is agent-first.
TARGETING = ("--pid", "-p", "--comm", "-c", "--cgroup", "--promote", "--trace-all")


def targeting(args, default_mode=False):
    """args, plus --trace-all unless they choose targets themselves or the
    test asks for the binary's real default (agent-first, issue #13): most
    tests check every process's exchanges, as the old default traced."""
    if default_mode or any(a in TARGETING for a in args):
        return list(args)
    return list(args) + ["--trace-all"]


class Agentrace(Proc):
    """agentrace in live or record mode, waited on until its ready file.
    default_mode: no --trace-all added (see targeting())."""

    def __init__(self, wd, args, mode=None, env=None, name="agentrace", default_mode=False):
        self.ready = wd.file(name + ".ready")
        argv = [AGENTRACE] + ([mode] if mode else []) + targeting(args, default_mode) + \
            ["--ready-file", self.ready, "--stats-interval", "0"]
        super().__init__(wd, name, argv, env=env)
        try:
            wait_for(lambda: os.path.exists(self.ready) or self.p.poll() is not None,
                     timeout=30, what="agentrace ready file")
        except Failure:
            self.stop(signal.SIGKILL)
            raise
        check(self.p.poll() is None, "agentrace exited early:\n" + self.err())

    def finish(self):
        rc = self.stop()
        check(rc == 0, "agentrace exit status %d:\n%s" % (rc, self.err()[-3000:]))
        return rc

    def kernel_stats(self):
        for line in self.err().splitlines():
            if line.startswith("kernel:"):
                return {k: int(v) for k, v in
                        (kv.split("=") for kv in line.split()[1:])}
        return {}


def teardown(wd, *procs):
    """The end of a test: stops each process that was started (SIGINT,
    in order), then removes the workdir."""
    for p in procs:
        if p:
            p.stop()
    wd.cleanup()


def free_port():
    """A TCP port nothing listens on now (for a collector started later)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def clean_env(**extra):
    env = dict(os.environ)
    env.update(extra)
    return env


def analyze_dump(wd, capture):
    """Replays a capture file with --dump-streams; returns index rows."""
    out = wd.file("dump")
    r = subprocess.run([AGENTRACE, "analyze", capture, "--dump-streams", out],
                       capture_output=True, text=True)
    check(r.returncode == 0, "analyze failed: " + r.stderr[-2000:])
    rows = []
    with open(os.path.join(out, "index.tsv")) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            if line.strip():
                row = dict(zip(head, line.rstrip("\n").split("\t")))
                row["path"] = os.path.join(out, row["file"])
                rows.append(row)
    return rows


def stream_bytes(row):
    return open(row["path"], "rb").read()


def run_all(only=None):
    passed = failed = 0
    for t in TESTS:
        if only and not any(o in t.__name__ for o in only):
            continue
        start = time.time()
        try:
            t()
            passed += 1
            print("PASS %s (%.1fs)" % (t.__name__, time.time() - start), flush=True)
        except Exception:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print("FAIL %s (%.1fs)\n%s" % (t.__name__, time.time() - start,
                                            traceback.format_exc()), flush=True)
    return passed, failed


class MockLLM(Proc):
    """tests/e2e/mock_llm_server.py over TLS, logging ground truth."""

    def __init__(self, wd, extra=(), name="mock"):
        self.truth_path = wd.file(name + "-truth.jsonl")
        ready = wd.file(name + ".ready")
        cert = wd.cert_dir()
        argv = [sys.executable, os.path.join(HERE, "mock_llm_server.py"), "--port", "0",
                "--ready-file", ready, "--truth", self.truth_path,
                "--cert", os.path.join(cert, "server.pem"),
                "--key", os.path.join(cert, "server.key")] + list(extra)
        super().__init__(wd, name, argv)
        wait_for(lambda: os.path.exists(ready) and open(ready).read().strip(),
                 what="mock server ready")
        self.port = int(open(ready).read().split()[0])
        self.base = "https://127.0.0.1:%d" % self.port

    def truth(self):
        if not os.path.exists(self.truth_path):
            return []
        return [json.loads(l) for l in open(self.truth_path) if l.strip()]


class Receiver(Proc):
    """tests/e2e/otlp_receiver.py: a real OTLP/HTTP endpoint."""

    def __init__(self, wd, extra=(), port=0, name="receiver"):
        self.spans_path = wd.file(name + "-spans.jsonl")
        self.raw_dir = wd.file(name + "-raw")
        self.requests_path = wd.file(name + "-requests.jsonl")
        self.metrics_path = wd.file(name + "-metrics.jsonl")
        ready = wd.file(name + ".ready")
        if os.path.exists(ready):
            os.unlink(ready)
        argv = [sys.executable, os.path.join(HERE, "otlp_receiver.py"), "--port", str(port),
                "--out", self.spans_path, "--raw-dir", self.raw_dir,
                "--requests", self.requests_path, "--metrics", self.metrics_path,
                "--ready-file", ready] + list(extra)
        super().__init__(wd, name, argv)
        wait_for(lambda: os.path.exists(ready) and open(ready).read().strip(),
                 what="receiver ready")
        self.port = int(open(ready).read().split()[0])
        self.endpoint = "http://127.0.0.1:%d" % self.port

    def spans(self):
        if not os.path.exists(self.spans_path):
            return []
        return [json.loads(l) for l in open(self.spans_path) if l.strip()]

    def metrics(self):
        """Decoded metric data points, one dict each (see otlp_receiver.py)."""
        if not os.path.exists(self.metrics_path):
            return []
        return [json.loads(l) for l in open(self.metrics_path) if l.strip()]

    def raw_bytes(self):
        out = b""
        if os.path.isdir(self.raw_dir):
            for f in sorted(os.listdir(self.raw_dir)):
                out += open(os.path.join(self.raw_dir, f), "rb").read()
        return out


def node_env(wd, **extra):
    return clean_env(NODE_EXTRA_CA_CERTS=os.path.join(wd.cert_dir(), "ca.pem"),
                     SSL_CERT_FILE=os.path.join(wd.cert_dir(), "ca.pem"),
                     CURL_CA_BUNDLE=os.path.join(wd.cert_dir(), "ca.pem"), **extra)


def run_client(argv, env, timeout=60, ok_codes=(0,)):
    """Runs one client to its end; the result also carries its .pid, the
    process.pid its spans must have."""
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise
    r = subprocess.CompletedProcess(argv, p.returncode, out, err)
    r.pid = p.pid
    check(r.returncode in ok_codes, "client %s exited %d: %s %s" %
          (argv[:3], r.returncode, r.stdout[-1500:], r.stderr[-1500:]))
    return r


# ---------------------------------------------------------------------------
# Span accounting: every span the receiver got is attributed to the process
# that made it (process.pid on the resource), and each process must produce
# exactly its expected set. Nothing is filtered away before counting.

KIND_SERVER, KIND_CLIENT = 2, 3


def span_pid(span):
    pid = span.get("resource", {}).get("process.pid")
    return int(pid) if pid is not None else None


def server_side_kinds(n_exchanges):
    """The spans a TRACED callee must yield for the n exchanges it answered:
    issue 10 section 1, one SERVER span per exchange and never a (second,
    gen_ai) CLIENT span. The one place to adjust the server-side spec."""
    return [KIND_SERVER] * n_exchanges


KIND_INTERNAL = 1


def is_derived(span):
    """A span agentrace builds on top of the observed calls (the causal
    graph's invoke_agent turns and execute_tool windows): INTERNAL, never a
    call of its own, so it must not carry usage (a dashboard summing tokens
    would count the call twice). The one place to adjust what a traced
    process may emit besides one span per call."""
    a = span.get("attributes", {})
    return span.get("kind") == KIND_INTERNAL and \
        span.get("name", "").split(" ")[0] in ("invoke_agent", "execute_tool") and \
        not any(k.startswith("gen_ai.usage.") for k in a)


def split_calls(spans, what="client"):
    """A process's spans -> its CLIENT spans (one per call); anything else
    must be is_derived()."""
    calls = [s for s in spans if s.get("kind") == KIND_CLIENT]
    odd = [(s.get("kind"), s.get("name")) for s in spans
           if s.get("kind") != KIND_CLIENT and not is_derived(s)]
    check(not odd, "%s process: spans that are neither calls nor derived: %r" % (what, odd))
    return calls


def names_port(span, port):
    a = span.get("attributes", {})
    return port in (a.get("server.port"), a.get("client.port"))


def spans_by_process(spans, pids, port):
    """Groups every span by process.pid into {pid: [spans]} for the test's
    own pids. A span of any other process is allowed only when it has
    nothing to do with this test's server: one naming `port` was
    attributed to a process the test did not start."""
    out = {p: [] for p in pids}
    for s in spans:
        pid = span_pid(s)
        if pid in out:
            out[pid].append(s)
            continue
        check(not names_port(s, port), "span %r for port %d has process.pid %r, not one of the "
              "test's processes %r" % (s.get("name"), port, pid, sorted(out)))
    return out


def check_server_side(spans, n_exchanges, traced, what="server"):
    """The callee's spans against server_side_kinds(): none when it is not
    traced; when traced, exactly the specified kinds."""
    want = sorted(server_side_kinds(n_exchanges)) if traced else []
    got = sorted(s.get("kind") for s in spans)
    check(got == want, "%s process: span kinds %r, want %r (names %r)" %
          (what, got, want, [s.get("name") for s in spans]))


def wait_spans(rcv, ar, n, pids=None, port=None, timeout=30):
    """Waits until the receiver has n spans (of these pids or naming this
    port, if given): the flush signal to use instead of a fixed sleep
    before stopping agentrace."""
    def mine(s):
        return pids is None or span_pid(s) in pids or (port and names_port(s, port))

    def have():
        return len([s for s in rcv.spans() if mine(s)])
    try:
        wait_for(lambda: have() >= n, timeout=timeout, what="%d spans" % n)
    except Failure:
        raise Failure("have %d of %d spans after %ds; agentrace stderr:\n%s" %
                      (have(), n, timeout, ar.err()[-3000:])) from None
