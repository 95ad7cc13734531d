#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The coding agents people run (tests/agents, pinned by its lockfile),
unmodified. Claude Code's native Bun build carries BoringSSL and Codex's
static musl binary carries OpenSSL 3 and rustls, all stripped: agentrace
cannot probe their plaintext yet, and must say so rather than be silently
blind: once per executable on stderr, in the discover stats line, and in
--list-tls PID."""

import os
import re
import signal
import subprocess
import time

from harness import Agentrace, Workdir, check, clean_env, test, wait_for, ROOT

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
        check(want_lib in listing and "not located" in listing, "--list-tls: " + listing)
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
def test_agents_codex_openssl_reported():
    env = clean_env(OPENAI_BASE_URL="https://127.0.0.1:9/v1", OPENAI_API_KEY="sk-test",
                    CODEX_HOME=Workdir("codex-home").path)
    env.pop("SSL_CERT_FILE", None)
    run_reported("codex", [CODEX, "exec", "--skip-git-repo-check", "say hi"], env,
                 "OpenSSL (static, stripped) 3.")
