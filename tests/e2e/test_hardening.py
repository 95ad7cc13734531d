#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end hardening tests (issue #14): what the kernel side must get
right on hostile or unlucky timing, checked against real clients."""

import os
import subprocess
import time

import harness

from harness import Agentrace, MockLLM, Workdir, analyze_dump, check, node_env, stream_bytes, test, HERE

NODE = os.path.join(HERE, "clients")


def otlp_json_spans(path):
    import test_genai  # noqa: E402 - one reader of the file exporter's output
    return test_genai.otlp_json_spans(path)


@test
def test_hardening_preopened_tls_keepalive_never_plaintext():
    """A node keep-alive HTTPS connection opened BEFORE agentrace starts:
    its first bytes seen are TLS application data (0x17), not a handshake.
    Its ciphertext must never appear as a plaintext stream, and its later
    requests must still become spans (from the SSL uprobes)."""
    wd = Workdir("preopened-tls")
    mock = MockLLM(wd)
    cl = ar = None
    try:
        cl = subprocess.Popen(["node", os.path.join(NODE, "keepalive_wait.mjs"), str(mock.port), "3"],
                              env=node_env(wd), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        line = cl.stdout.readline().split()
        check(line[:1] == ["opened"], "client did not open its connection: %r %r" %
              (line, cl.stderr.read() if cl.poll() is not None else ""))
        port = line[1]
        cap = wd.file("cap.agt")
        ar = Agentrace(wd, ["-o", cap, "--pid", str(cl.pid)], mode="record")
        cl.stdin.write("go\n")
        cl.stdin.flush()
        out, err = cl.communicate(timeout=60)
        check(cl.returncode == 0, "client failed: %s" % err[-2000:])
        check(out.split() == ["call", port] * 3, "later calls reused the pre-opened socket: %r" % out)
        time.sleep(0.5)
        ar.finish()
        rows = analyze_dump(wd, cap)
        plain = [r for r in rows if r["tls"] == "0" and int(r["bytes"]) > 0]
        for r in plain:
            head = stream_bytes(r)[:8]
            check(False, "plaintext stream %s (%s bytes, starts %r) from a TLS-only client" %
                  (r["file"], r["bytes"], head))
        spans_path = wd.file("spans.jsonl")
        r = subprocess.run([harness.AGENTRACE, "analyze", cap, "--exporter", "file",
                            "--output", spans_path], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "analyze failed: " + r.stderr[-2000:])
        truth = [t for t in mock.truth() if t.get("response_id")]
        check(len(truth) == 4, "mock saw %d calls, want 4" % len(truth))
        got = {s["attributes"].get("gen_ai.response.id") for s in otlp_json_spans(spans_path)}
        for t in truth[1:]:
            check(t["response_id"] in got, "no span for call after the start: %s (have %r)" %
                  (t["response_id"], sorted(x for x in got if x)))
    finally:
        if cl and cl.poll() is None:
            cl.kill()
        if ar:
            ar.stop()
        mock.stop()
        wd.cleanup()
