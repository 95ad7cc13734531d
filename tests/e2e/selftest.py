#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of the e2e harness WITHOUT agentrace: generates certs, starts
echo_server.py (TLS and --plain) and mock_llm_server.py, runs every client
against them and cross-checks the clients' summaries with the servers'
ground truth. Ends with 'N passed, N failed'; exit 1 on any failure.

  python3 tests/e2e/selftest.py [--keep DIR]

Needs node_modules (npm ci in tests/e2e) for the node clients; without them
the node checks are reported as skipped.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = os.path.join(HERE, "clients")


class Runner:
    def __init__(self, work):
        self.work = work
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.procs = []
        self.env = dict(os.environ)

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("PASS %s" % name)
        else:
            self.failed += 1
            print("FAIL %s %s" % (name, detail))

    def skip(self, name, why):
        self.skipped += 1
        print("SKIP %s (%s)" % (name, why))

    def start(self, name, argv):
        ready = os.path.join(self.work, name + ".ready")
        log = open(os.path.join(self.work, name + ".log"), "w")
        p = subprocess.Popen(argv + ["--port", "0", "--ready-file", ready],
                             stdout=log, stderr=subprocess.STDOUT,
                             env=self.env)
        self.procs.append((name, p))
        for _ in range(100):
            if os.path.exists(ready):
                return p, int(open(ready).read())
            if p.poll() is not None:
                break
            time.sleep(0.1)
        raise SystemExit("%s did not start" % name)

    def run(self, argv, timeout=120):
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=timeout, env=self.env)
        try:
            out = json.loads(r.stdout)
        except ValueError:
            out = None
        return r.returncode, out, r.stderr

    def stop_all(self):
        for name, p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for name, p in self.procs:
            try:
                rc = p.wait(timeout=6)
                self.check("%s exits on SIGTERM" % name, rc == 0, "rc=%s" % rc)
            except subprocess.TimeoutExpired:
                p.kill()
                self.check("%s exits on SIGTERM" % name, False, "timeout")


def truth_records(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def by_input(truth, n):
    hits = [t for t in truth if t.get("input_tokens") == n]
    return hits[0] if len(hits) == 1 else None


def usage_of(client, r):
    """(input_tokens, output_tokens) per gen_ai semconv from a summary."""
    u = r.get("usage") or {}
    if client in ("openai_chat",):
        if "prompt_tokens" in u and "completion_tokens" not in u:
            return u["prompt_tokens"], None  # embeddings
        return u.get("prompt_tokens"), u.get("completion_tokens")
    if client == "openai_responses":
        return u.get("input_tokens"), u.get("output_tokens")
    if client == "anthropic_messages":
        return (u.get("input_tokens", 0) + u.get("cache_read_input_tokens", 0)
                + u.get("cache_creation_input_tokens", 0),
                u.get("output_tokens"))
    if client == "gemini":
        return (u.get("promptTokenCount"),
                u.get("candidatesTokenCount", 0) +
                u.get("thoughtsTokenCount", 0))
    if client == "ollama":
        return r.get("prompt_eval_count"), r.get("eval_count")
    return None, None


def cross_check(R, client, out, truth):
    for r in out["results"]:
        name = "%s/%s" % (client, r["step"])
        if client == "ollama" and r["step"] == "tags":
            R.check(name, r["ok"] and r["models"], str(r))
            continue
        inp, outp = usage_of(client, r)
        t = by_input(truth, inp)
        if not r["ok"] or t is None:
            R.check(name, False, "no truth for %s: %s" % (inp, r))
            continue
        errs = []
        if outp is not None and t["output_tokens"] != outp:
            errs.append("output %s != %s" % (outp, t["output_tokens"]))
        if r.get("id") is not None and r["id"] != t["response_id"]:
            errs.append("id %s != %s" % (r["id"], t["response_id"]))
        if r.get("model") and r["model"] != t["response_model"]:
            errs.append("model %s != %s" % (r["model"], t["response_model"]))
        want_calls = [c["name"] for c in t["tool_calls"]]
        got_calls = [c["name"] for c in r.get("tool_calls") or []]
        if client != "openai_chat" or r["step"] != "embeddings":
            if want_calls != got_calls:
                errs.append("calls %s != %s" % (got_calls, want_calls))
        ids = [c["id"] for c in r.get("tool_calls") or [] if c.get("id")]
        if ids and ids != [c["id"] for c in t["tool_calls"]]:
            errs.append("call ids %s != %s" % (ids, t["tool_calls"]))
        if r["step"].endswith("stream") and r["step"] != "nonstream" \
                and not t["stream"]:
            errs.append("truth says not streamed")
        R.check(name, not errs, "; ".join(errs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", help="work dir to keep (default: temp, removed)")
    a = ap.parse_args()
    work = a.keep or tempfile.mkdtemp(prefix="agentrace-e2e-")
    os.makedirs(work, exist_ok=True)
    R = Runner(work)
    try:
        _main(R, work)
    finally:
        R.stop_all()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed, %d skipped" % (R.passed, R.failed, R.skipped))
    return 1 if R.failed else 0


def _main(R, work):
    certs = os.path.join(work, "certs")
    subprocess.run(["sh", os.path.join(HERE, "gen_cert.sh"), certs],
                   check=True, stdout=subprocess.DEVNULL)
    ca = os.path.join(certs, "ca.pem")
    R.env.update(SSL_CERT_FILE=ca, NODE_EXTRA_CA_CERTS=ca, CURL_CA_BUNDLE=ca)
    tls = ["--cert", os.path.join(certs, "server.pem"),
           "--key", os.path.join(certs, "server.key")]
    py = sys.executable
    elog = os.path.join(work, "echolog")
    plog = os.path.join(work, "echolog_plain")
    truth_path = os.path.join(work, "truth.jsonl")
    _, eport = R.start("echo_tls", [py, os.path.join(HERE, "echo_server.py"),
                                    "--log-dir", elog] + tls)
    _, pport = R.start("echo_plain", [py, os.path.join(HERE, "echo_server.py"),
                                      "--log-dir", plog, "--plain"])
    _, mport = R.start("mock", [py, os.path.join(HERE, "mock_llm_server.py"),
                                "--truth", truth_path, "--gzip", "all"] + tls)
    E = "https://127.0.0.1:%d" % eport
    M = "https://127.0.0.1:%d" % mport
    have_node = os.path.isdir(os.path.join(HERE, "node_modules", "openai")) \
        and shutil.which("node")

    # --- byte-exact: python over TLS and plain, node over TLS, curl
    rc, out, err = R.run([py, os.path.join(CLIENTS, "py_client.py"), "bytes",
                          "--url", E, "--sizes",
                          "0:0,17:100000,300000:1,1048576:2097152"])
    R.check("py bytes tls", rc == 0 and out and out["ok"], err[-300:])
    rc, out, err = R.run([py, os.path.join(CLIENTS, "py_client.py"), "bytes",
                          "--url", "http://127.0.0.1:%d" % pport,
                          "--sizes", "5:5,70000:70000"])
    R.check("py bytes plain", rc == 0 and out and out["ok"], err[-300:])
    if have_node:
        rc, out, err = R.run(["node", os.path.join(CLIENTS, "https_bytes.mjs"),
                              "--url", E, "--sizes",
                              "0:0,10:100000,300000:5,2000000:3000000"])
        R.check("node https_bytes", rc == 0 and out and out["ok"], err[-300:])
        rc, out2, err = R.run(["node", os.path.join(CLIENTS, "https_bytes.mjs"),
                               "--url", E, "--chunked", "--sizes",
                               "70000:10,1:1"])
        R.check("node https_bytes chunked", rc == 0 and out2 and out2["ok"],
                err[-300:])
    if shutil.which("curl"):
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", E + "/a?resp=10",
                            "-o", "/dev/null", E + "/b?resp=20000"],
                           env=R.env, capture_output=True, text=True)
        R.check("curl two requests", r.returncode == 0, r.stderr)
    time.sleep(0.5)  # let the server log the closed connections
    conns = [json.loads(l) for l in open(os.path.join(elog, "conns.jsonl"))]
    sizes_ok = all(os.path.getsize(os.path.join(elog, "%d.in" % c["n"])) ==
                   c["bytes_in"] and
                   os.path.getsize(os.path.join(elog, "%d.out" % c["n"])) ==
                   c["bytes_out"] for c in conns)
    R.check("echo logs match byte counts", conns and sizes_ok)
    if have_node and out:
        c = [x for x in conns if x["client_port"] == out["local_ports"][0]]
        R.check("echo conn of node keep-alive has 4 requests",
                len(c) == 1 and len(c[0]["requests"]) == 4, str(c)[:300])
        if c:
            raw = open(os.path.join(elog, "%d.in" % c[0]["n"]), "rb").read()
            R.check("echo .in holds the request bodies",
                    raw.count(b"POST /echo?resp=") == 4 and
                    len(raw) > 2300000)
    curl_conn = [x for x in conns if [r["target"] for r in x["requests"]] ==
                 ["/a?resp=10", "/b?resp=20000"]]
    if shutil.which("curl"):
        R.check("curl reused one connection", len(curl_conn) == 1)

    # --- SDK clients against the mock
    sdk = [("openai_chat", M + "/v1"), ("openai_responses", M + "/v1"),
           ("anthropic_messages", M), ("gemini", M), ("ollama", M)]
    outs = []
    for client, base in sdk:
        if not have_node:
            R.skip(client, "no node_modules")
            continue
        rc, out, err = R.run(["node", os.path.join(CLIENTS, client + ".mjs"),
                              "--base", base, "--key",
                              "sk-e2e-SECRET-%s-0123456789" % client])
        R.check("%s exit 0" % client, rc == 0 and out is not None,
                (err or "")[-400:])
        if out:
            outs.append((client, out))
    if have_node:
        rc, out, err = R.run(["node", os.path.join(CLIENTS, "gemini.mjs"),
                              "--base", M, "--api-version", "v1",
                              "--mode", "stream"])
        R.check("gemini v1 stream", rc == 0, err[-300:])
        if out:
            outs.append(("gemini", out))
        rc, out, err = R.run(["node", os.path.join(CLIENTS, "mcp_client.mjs"),
                              "--base", M, "--key", "mcp-SECRET-token"])
        R.check("mcp client", rc == 0 and out and out["ok"] and
                out["failing"]["isError"] and
                not out["weather"]["isError"], str(out)[:400] + err[-300:])
        rc, out, err = R.run(["node", os.path.join(CLIENTS, "mcp_client.mjs"),
                              "--base", M, "--path", "/mcp?mode=json"])
        R.check("mcp client json mode", rc == 0 and out and out["ok"],
                str(out)[:300])
        rc, out, err = R.run(["node", os.path.join(CLIENTS, "mcp_client.mjs"),
                              "--base", M, "--path", "/mcp?mode=sse"])
        R.check("mcp client sse mode", rc == 0 and out and out["ok"],
                str(out)[:300])
        # forced errors and cut streams
        rc, out, err = R.run(["node", os.path.join(CLIENTS, "openai_chat.mjs"),
                              "--base", M + "/v1", "--mode", "nonstream",
                              "--header", "x-mock-error:429"])
        R.check("openai 429 surfaces", rc == 3 and out and
                out["results"][0]["error"]["status"] == 429, str(out)[:300])
        rc, out, err = R.run(["node", os.path.join(CLIENTS,
                                                   "anthropic_messages.mjs"),
                              "--base", M, "--mode", "stream",
                              "--header", "x-mock-cut:4"])
        R.check("anthropic cut stream fails client", rc == 3, str(out)[:300])
        rc, out, err = R.run(["node", os.path.join(CLIENTS,
                                                   "openai_responses.mjs"),
                              "--base", M + "/v1", "--mode", "stream",
                              "--max-tokens", "9"])
        R.check("responses incomplete", rc == 0 and out and
                out["results"][0]["status"] == "incomplete", str(out)[:300])
        if out:
            outs.append(("openai_responses", out))

    rc, out, err = R.run([py, os.path.join(CLIENTS, "py_client.py"), "llm",
                          "--url", M, "--provider", "openai", "--stream",
                          "--gzip"])
    R.check("py llm openai stream", rc == 0 and out and out.get("done") and
            out["usage"], str(out)[:300] + err[-300:])
    rc, out, err = R.run([py, os.path.join(CLIENTS, "py_client.py"), "llm",
                          "--url", M, "--provider", "anthropic"])
    R.check("py llm anthropic", rc == 0 and out and out["ok"], err[-300:])
    rc, out, err = R.run([py, os.path.join(CLIENTS, "py_client.py"), "tool",
                          "--url", M, "--city", "Oslo"])
    R.check("py tool v1/v2", rc == 0 and out and out["ok"] and
            out["results"][0]["request_id"] != out["results"][1]["request_id"],
            str(out)[:300])

    truth = truth_records(truth_path)
    for client, out in outs:
        cross_check(R, client, out, truth)
    seqs = [t["seq"] for t in truth]
    R.check("truth seq unique", len(seqs) == len(set(seqs)))
    ids = [t["response_id"] for t in truth if t["response_id"]]
    R.check("truth response ids unique", len(ids) == len(set(ids)))
    mcp = [t for t in truth if t["provider"] == "mcp"]
    methods = {t["mcp_method"] for t in mcp}
    R.check("truth mcp methods", {"initialize", "notifications/initialized",
                                  "tools/list", "tools/call", "DELETE"} <=
            methods or not have_node, str(methods))
    R.check("truth mcp tool error", any(t["error"] == "tool_error" for t in
                                        mcp) or not have_node)
    R.check("truth has 429", any(t["status"] == 429 for t in truth) or
            not have_node)
    R.check("truth has cut", any(t["error"] == "cut" for t in truth) or
            not have_node)
    R.check("truth gzip seen", any(t.get("gzip") for t in truth))


if __name__ == "__main__":
    sys.exit(main())
