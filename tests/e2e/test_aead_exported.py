#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The AEAD record probes (rustls's kind) on a shared BoringSSL libcrypto
located by its exported EVP_AEAD_CTX_* symbols: bench/aead_pingpong seals
and opens TLS 1.3 records as rustls does, on Debian's android-libboringssl,
doing OpenAI chat exchanges over HTTP/1.1 with its own server. Every
response the server logged must be one CLIENT span from the client, with
the server's ids and token counts, and no record may go unlinked.

A client of BoringSSL's own libssl over the same libcrypto (its SSL_read
opens records through EVP_AEAD_CTX_open) must have each response taken
once, from the SSL_* probes."""

import json
import os
import subprocess

from harness import (Agentrace, MockLLM, Proc, Receiver, Workdir, check, clean_env, run_client,
                     teardown, test, wait_for, wait_spans, HERE, KIND_CLIENT, span_pid)

SRC = os.path.join(HERE, "..", "..", "bench", "aead_pingpong.c")
BORING = "/usr/lib/x86_64-linux-gnu/android"
CALLS = (3, 2)  # chat exchanges per connection, one client run each


def build(wd):
    out = wd.file("aead_pingpong")
    r = subprocess.run(["gcc", "-O2", "-I/usr/include/android", "-o", out, SRC,
                        "-L" + BORING, "-Wl,-rpath," + BORING, "-lcrypto"],
                       capture_output=True, text=True)
    check(r.returncode == 0, "aead_pingpong build failed (android-libboringssl-dev, "
          "scripts/deps.sh): " + r.stderr[-1500:])
    subprocess.run(["cp", out, wd.file("aead_echo")], check=True)
    return out


def stat_line(err, prefix):
    for line in reversed(err.splitlines()):
        if line.startswith(prefix + ":"):
            return dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    return {}


@test
def test_aead_exported_boringssl_records():
    wd = Workdir("aead")
    rcv = srv = ar = None
    try:
        exe = build(wd)
        truth_path = wd.file("truth.jsonl")
        rcv = Receiver(wd)
        # The server maps the library before agentrace starts: its probes
        # are on when the client's first context is made (a context made
        # before them is never linked: counted, see docs/tls-libraries.md).
        srv = Proc(wd, "aead_echo", [wd.file("aead_echo"), "-l", "-t", truth_path])
        wait_for(lambda: srv.out().strip(), what="aead_echo port")
        port = int(srv.out().split()[0])
        ar = Agentrace(wd, ["--comm", "aead_pingpong"],
                       env=clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        # -d 100: the client waits before connecting. With --comm alone the
        # syscall tracepoints attach at its exec (2-8 ms, see
        # test_lazy_tracepoints.py), and a context is tied to its socket only
        # through a read they saw; this C client would connect within 1 ms.
        pids = [run_client([exe, "-p", str(port), "-n", str(n), "-d", "100"],
                           clean_env()).pid for n in CALLS]
        truth = [json.loads(l) for l in open(truth_path)]
        check(len(truth) == sum(CALLS), "server answered %d calls" % len(truth))
        wait_spans(rcv, ar, sum(CALLS), pids=set(pids))
        ar.finish()
        chats = [s for s in rcv.spans() if s["kind"] == KIND_CLIENT
                 and s.get("attributes", {}).get("gen_ai.operation.name") == "chat"]
        # Each response once, from the client run that made it; ids restart
        # per connection, so truth is matched per run, in order.
        at = 0
        for pid, n in zip(pids, CALLS):
            mine = sorted((s for s in chats if span_pid(s) == pid),
                          key=lambda s: s["attributes"]["gen_ai.response.id"])
            check(len(mine) == n, "pid %d: %d chat spans, want %d" % (pid, len(mine), n))
            for span, t in zip(mine, truth[at:at + n]):
                a = span["attributes"]
                for k, v in (("gen_ai.response.id", t["id"]),
                             ("gen_ai.usage.input_tokens", t["input_tokens"]),
                             ("gen_ai.usage.output_tokens", t["output_tokens"]),
                             ("gen_ai.provider.name", "openai"),
                             ("gen_ai.request.model", "gpt-4o-mini"),
                             ("gen_ai.response.finish_reasons", ["stop"]),
                             ("http.response.status_code", 200),
                             ("server.port", port)):
                    check(a.get(k) == v, "pid %d %s: %s %r != %r" % (pid, t["id"], k,
                                                                      a.get(k), v))
                check("authorization" not in json.dumps(a).lower(), "credential exported")
            at += n
        check(len(chats) == sum(CALLS), "%d chat spans for %d calls" % (len(chats), sum(CALLS)))
        kernel = stat_line(ar.err(), "kernel")
        check(kernel.get("tls_record_unlinked") == "0" and kernel.get("tls_record_lost") == "0",
              "records unlinked or lost: %r" % kernel)
        # the handshake records (inner type 22), one sealed and one opened
        # per connection, are not application data
        check(kernel.get("tls_record_not_data") == str(2 * len(CALLS)), "%r" % kernel)
        check(stat_line(ar.err(), "discover").get("tls_probed_aead") == "1",
              "libcrypto.so.0 not probed as the AEAD API: " + ar.err()[-2000:])
    finally:
        teardown(wd, ar, srv, rcv)


@test
def test_aead_exported_under_boringssl_libssl_once():
    wd = Workdir("bssl")
    rcv = mock = ar = client = None
    try:
        exe = wd.file("bssl_chat")
        r = subprocess.run(["gcc", "-O2", "-Wall", "-Werror", "-I/usr/include/android", "-o",
                            exe, os.path.join(HERE, "clients", "bssl_chat.c"), "-L" + BORING,
                            "-Wl,-rpath," + BORING, "-lssl", "-lcrypto"],
                           capture_output=True, text=True)
        check(r.returncode == 0, "bssl_chat build failed: " + r.stderr[-1500:])
        rcv = Receiver(wd)
        mock = MockLLM(wd)
        ar = Agentrace(wd, ["--comm", "bssl_chat"],
                       env=clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        go = wd.file("go")
        client = subprocess.Popen([exe, str(mock.port), "3", go], env=clean_env())
        # both libraries probed (found at its exec) before its first call
        wait_for(lambda: "AEAD API probes" in ar.err() and "android/libssl.so.0" in ar.err(),
                 what="libssl.so.0 and libcrypto.so.0 probed")
        open(go, "w").close()
        check(client.wait(30) == 0, "bssl_chat failed")
        wait_spans(rcv, ar, 3, pids={client.pid})
        ar.finish()
        ids = sorted(t["response_id"] for t in mock.truth() if t.get("response_id"))
        chats = sorted(s["attributes"].get("gen_ai.response.id") for s in rcv.spans()
                       if s["kind"] == KIND_CLIENT and span_pid(s) == client.pid
                       and s["attributes"].get("gen_ai.operation.name") == "chat")
        check(len(ids) == 3 and chats == ids, "spans %r, truth %r" % (chats, ids))
        # the records opened inside SSL_read were skipped by the AEAD
        # probes, not made into a second, response-only stream
        check(stat_line(ar.err(), "http").get("unpaired_responses") == "0",
              "http: %r" % stat_line(ar.err(), "http"))
        check(int(stat_line(ar.err(), "kernel").get("tls_record_in_ssl_call", 0)) >= 3,
              "kernel: %r" % stat_line(ar.err(), "kernel"))
    finally:
        if client and client.poll() is None:
            client.kill()
            client.wait()
        teardown(wd, ar, mock, rcv)
