#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The coding agents people run (tests/agents, pinned by its lockfile),
unmodified. Codex's static, stripped OpenSSL 3 is located and traced.
Claude Code's native Bun build carries BoringSSL, which agentrace cannot
probe yet: it must say so rather than be silently blind, once per
executable on stderr, in the discover stats line and in --list-tls PID."""

import os
import re
import signal
import subprocess
import time

from harness import (KIND_CLIENT, Agentrace, MockLLM, Receiver, Workdir, check, clean_env,
                     span_pid, test, wait_for, ROOT)
from genai_truth import check_genai_span, match_calls


def attrs(span):
    return span.get("attributes", {})

AGENTS = os.path.join(ROOT, "tests", "agents", "node_modules")
CLAUDE = os.path.join(AGENTS, "@anthropic-ai", "claude-code", "bin", "claude.exe")
CODEX = os.path.join(AGENTS, "@openai", "codex-linux-x64", "vendor",
                     "x86_64-unknown-linux-musl", "bin", "codex")


def list_tls(pid):
    r = subprocess.run([os.path.join(ROOT, "build", "agentrace"), "--list-tls", str(pid)],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "--list-tls failed: " + r.stderr)
    return r.stdout


def run_reported(name, argv, env, want_lib):
    """Runs the agent (pointed at a closed port, so it keeps retrying and
    never leaves the machine) under agentrace; the unprobed TLS library must
    be reported."""
    check(os.path.exists(argv[0]), "%s missing: make installs tests/agents" % argv[0])
    wd = Workdir("agent")
    ar = None
    p = None
    try:
        ar = Agentrace(wd, ["--comm", os.path.basename(argv[0])[:15], "--exporter", "none"])
        p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        pat = re.compile(r"process %d \([^)]*\): TLS library %s.* found in .*plaintext "
                         r"functions not located" % (p.pid, re.escape(want_lib)))
        wait_for(lambda: pat.search(ar.err()), timeout=30, what="the %s report" % name)
        listing = list_tls(p.pid)
        check(want_lib in listing, "--list-tls: " + listing)
        ar.finish()
        stats = [l for l in ar.err().splitlines() if l.startswith("discover:")]
        check(stats and re.search(r"tls_unlocated=[1-9]", stats[-1]),
              "discover stats: %r" % stats)
        check(len(pat.findall(ar.err())) == 1, "reported more than once")
    finally:
        if p and p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        if ar and ar.p.poll() is None:
            ar.stop()
        wd.cleanup()


@test
def test_agents_claude_code_boringssl_reported():
    env = clean_env(ANTHROPIC_BASE_URL="https://127.0.0.1:9/", ANTHROPIC_API_KEY="sk-ant-test",
                    HOME=Workdir("claude-home").path, DISABLE_AUTOUPDATER="1")
    run_reported("claude", [CLAUDE, "-p", "say hi"], env, "BoringSSL")


@test
def test_agents_codex_rustls_reported():
    """With a custom CA Codex uses rustls, which is not probed: the binary's
    OpenSSL is, and the rustls beside it is reported."""
    env = clean_env(OPENAI_BASE_URL="https://127.0.0.1:9/v1", OPENAI_API_KEY="sk-test",
                    CODEX_HOME=Workdir("codex-home").path, SSL_CERT_FILE="/nonexistent.pem")
    run_reported("codex", [CODEX, "exec", "--skip-git-repo-check", "say hi"], env, "rustls")


def codex_env(wd, port):
    """A clean environment with a Codex home whose provider is the mock.
    No SSL_CERT_FILE: that would switch Codex to rustls."""
    home = wd.file("codex-home")
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, "config.toml"), "w") as f:
        f.write('model = "gpt-4o-mini"\nmodel_provider = "mock"\n'
                '[model_providers.mock]\nname = "mock"\n'
                'base_url = "https://127.0.0.1:%d/v1"\nenv_key = "OPENAI_API_KEY"\n'
                'wire_api = "responses"\n' % port)
    return {"PATH": "/usr/bin:/bin", "HOME": home, "CODEX_HOME": home,
            "OPENAI_API_KEY": "sk-codex-e2e-SECRET"}


@test
def test_agents_codex_openssl_tool_turn_spans():
    """Codex's static, stripped OpenSSL 3, located through the __func__
    strings of ssl_read_internal/ssl_write_internal: every LLM call of one
    tool turn is a span from Codex's own process, matching the mock's truth,
    exactly once. Codex trusts the system bundle; a private mount namespace
    puts the test CA into it for Codex alone."""
    wd = Workdir("codex")
    rcv = mock = ar = None
    try:
        check(os.path.exists(CODEX), "codex missing: make installs tests/agents")
        rcv = Receiver(wd)
        mock = MockLLM(wd)
        bundle = wd.file("bundle.pem")
        with open(bundle, "wb") as out:
            for f in ("/etc/ssl/certs/ca-certificates.crt",
                      os.path.join(wd.cert_dir(), "ca.pem")):
                if os.path.exists(f):
                    out.write(open(f, "rb").read())
        # Every process is a target: the file is probed once for all, so
        # Codex's helper processes and its own start race nothing.
        ar = Agentrace(wd, [], env=clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        script = ('mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && shift && '
                  'exec "$@"')
        argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                bundle, CODEX, "exec", "--skip-git-repo-check", "What is the weather in Paris?"]
        # Locating the functions in Codex's 290 MB binary takes about a
        # second (more on a loaded host), and Codex's first call can come
        # sooner: the first run warms the file's probes, which stay for the
        # second run (shared mode keeps them 5 s after the last user).
        r = subprocess.run(argv, env=codex_env(wd, mock.port), capture_output=True,
                           timeout=120)
        check(r.returncode == 0, "codex failed: %s" % r.stderr[-2000:])
        warm = len(mock.truth())
        r = subprocess.run(argv, env=codex_env(wd, mock.port), capture_output=True,
                           timeout=120)
        check(r.returncode == 0, "codex failed: %s" % r.stderr[-2000:])
        time.sleep(1.0)
        ar.finish()
        err = ar.err()
        check(re.search(r"attached OpenSSL \(static, stripped\) 3\.\S+ .*codex", err),
              "no static OpenSSL probes attached:\n" + err[-3000:])
        truth = [t for t in mock.truth()[warm:] if t.get("input_tokens") is not None]
        check(len(truth) >= 2, "codex made %d LLM calls" % len(truth))
        # every process is traced: keep Codex's own calls (the mock's
        # server side is traced too)
        spans = [s for s in rcv.spans() if s["kind"] == KIND_CLIENT
                 and "gen_ai.provider.name" in attrs(s)
                 and attrs(s).get("process.executable.name") == "codex"]
        # each of the turn's calls exactly once, from codex, attribute by
        # attribute against the mock's truth
        for t, span in match_calls(spans, truth):
            check_genai_span(span, t, mock.port, span_pid(span), "codex")
        check(b"sk-codex-e2e-SECRET" not in rcv.raw_bytes(), "API key reached the collector")
    finally:
        for p in (ar, mock, rcv):
            if p and p.p.poll() is None:
                p.stop()
        wd.cleanup()
