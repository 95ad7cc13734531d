#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The coding agents people run (tests/agents, pinned by its lockfile),
unmodified. Codex's static, stripped OpenSSL 3 and Claude Code's static,
stripped BoringSSL (inside Bun) are located and traced, and so is Codex's
rustls path (one probe per TLS record on aws-lc's AEAD functions). A
library that cannot be located must be reported rather than silently
missed, once per executable on stderr, in the discover stats line and in
--list-tls PID (run_reported)."""

import mmap
import os
import re
import shutil
import signal
import subprocess
import time

from harness import (KIND_CLIENT, Agentrace, MockLLM, Receiver, Workdir, check, clean_env,
                     span_pid, teardown, test, wait_for, ROOT)
from genai_truth import check_genai_span, match_calls


def attrs(span):
    return span.get("attributes", {})

AGENTS = os.path.join(ROOT, "tests", "agents", "node_modules")
CLAUDE = os.path.join(AGENTS, "@anthropic-ai", "claude-code", "bin", "claude.exe")
CODEX = os.path.join(AGENTS, "@openai", "codex-linux-x64", "vendor",
                     "x86_64-unknown-linux-musl", "bin", "codex")
GEMINI = os.path.join(AGENTS, "@google", "gemini-cli", "bundle", "gemini.js")


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
        # by path, not pid: a file located off the event loop is reported
        # with the pid that still uses it, which may be none by then
        pat = re.compile(r"process \d+ \([^)]*\): TLS library %s.* found in .*%s, plaintext "
                         r"functions not located" % (re.escape(want_lib), re.escape(argv[0])))
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
def test_agents_unlocated_rustls_reported():
    """A TLS library whose functions cannot be located is reported, never
    silently missed: a copy of Codex whose aws-lc aead.c path string is
    renamed (so rustls's AEAD functions cannot be found; its OpenSSL still
    is), on its rustls path."""
    wd = Workdir("codex-copy")
    # not under /tmp: Codex's own mount namespace hides the host's /tmp,
    # so --list-tls could not read the executable through /proc/PID/root
    copy_dir = os.path.join(ROOT, "build", "tests", "codex-copy")
    try:
        os.makedirs(copy_dir, exist_ok=True)
        exe = os.path.join(copy_dir, "codex")
        shutil.copyfile(CODEX, exe)
        os.chmod(exe, 0o755)
        with open(exe, "r+b") as f, mmap.mmap(f.fileno(), 0) as m:
            at = m.find(b"/crypto/fipsmodule/cipher/aead.c\0")
            check(at > 0, "no aead.c string in codex")
            m[at + 1:at + 2] = b"X"
        home = wd.file("home")
        os.makedirs(home)  # without it Codex exits before it can be listed
        env = clean_env(OPENAI_BASE_URL="https://127.0.0.1:9/v1", OPENAI_API_KEY="sk-test",
                        CODEX_HOME=home, SSL_CERT_FILE="/nonexistent.pem")
        run_reported("codex", [exe, "exec", "--skip-git-repo-check", "say hi"], env, "rustls")
    finally:
        shutil.rmtree(copy_dir, ignore_errors=True)
        wd.cleanup()


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


def agent_tool_turn(name, exe, attach_re, secret, setup, located=False):
    """Runs an agent's tool turn once against the HTTPS mock under an
    agentrace tracing every process, and checks it: each LLM call is one
    CLIENT span from the agent's own process, matching the mock's truth
    attribute by attribute (the strict gen_ai checker), and the API key
    never leaves. setup(wd, mock) gives (argv, env, cwd).
    The run is cold: the daemon has never seen the agent's binary (its plan
    cache is a fresh file), so a 300 MB stripped executable is located
    while the agent starts, off the event loop, and its probes must be in
    place before the agent's first call (~0.8 s after exec here).
    located: the TLS functions were found by evidence, not symbols; their
    first calls must have been judged plaintext (not detached)."""
    wd = Workdir(name)
    rcv = mock = ar = None
    try:
        rcv = Receiver(wd)
        mock = MockLLM(wd)
        argv, env, cwd = setup(wd, mock)
        ar = Agentrace(wd, ["--tls-cache", wd.file("tls-plans")],
                       env=clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        r = subprocess.run(argv, env=env, capture_output=True, timeout=120,
                           stdin=subprocess.DEVNULL, cwd=cwd)
        check(r.returncode == 0, "%s failed: %s" % (exe, r.stderr[-2000:]))
        time.sleep(1.0)
        ar.finish()
        err = ar.err()
        check(re.search(attach_re, err), "no %s probes attached:\n%s" % (exe, err[-3000:]))
        took = re.search(r"locating the TLS functions of \S*/%s took (\d+) ms" % exe, err)
        print("    %s located in %s ms (cold)" % (exe, took.group(1) if took else "<20"))
        check(not located or re.search(r"first calls through its located TLS functions carry "
                                       r"plaintext: trusted", err),
              "the located functions' first calls were not judged plaintext:\n" + err[-3000:])
        truth = [t for t in mock.truth() if t.get("input_tokens") is not None]
        check(len(truth) >= 2, "%s made %d LLM calls" % (exe, len(truth)))
        check(any(t.get("tool_calls") for t in truth), "no tool call in the turn")
        # every process is traced: keep the agent's own calls (the mock's
        # server side is traced too)
        spans = [s for s in rcv.spans() if s["kind"] == KIND_CLIENT
                 and "gen_ai.provider.name" in attrs(s)
                 and attrs(s).get("process.executable.name") == exe]
        for t, span in match_calls(spans, truth):
            check_genai_span(span, t, mock.port, span_pid(span), exe)
        check(secret.encode() not in rcv.raw_bytes(), "API key reached the collector")
    finally:
        teardown(wd, ar if ar and ar.p.poll() is None else None, mock, rcv)


@test
def test_agents_codex_openssl_tool_turn_spans():
    """Codex's static, stripped OpenSSL 3, located through the __func__
    strings of ssl_read_internal/ssl_write_internal. Codex trusts the system
    bundle; a private mount namespace puts the test CA into it for Codex
    alone."""
    def setup(wd, mock):
        check(os.path.exists(CODEX), "codex missing: make installs tests/agents")
        bundle = wd.file("bundle.pem")
        with open(bundle, "wb") as out:
            for f in ("/etc/ssl/certs/ca-certificates.crt",
                      os.path.join(wd.cert_dir(), "ca.pem")):
                if os.path.exists(f):
                    out.write(open(f, "rb").read())
        script = ('mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && shift && '
                  'exec "$@"')
        return (["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                 bundle, CODEX, "exec", "--skip-git-repo-check",
                 "What is the weather in Paris?"], codex_env(wd, mock.port), None)
    agent_tool_turn("codex", "codex", r"attached OpenSSL \(static, stripped\) 3\.\S+ .*codex",
                    "sk-codex-e2e-SECRET", setup, located=True)


@test
def test_agents_codex_rustls_tool_turn_spans():
    """Codex with a custom CA (CODEX_CA_CERTIFICATE, as in companies) talks
    through rustls over aws-lc-rs: its records are read at aws-lc's
    EVP_AEAD_CTX_seal/open, located by their aead.c error reasons, and
    rebuilt into the same stream and spans as the OpenSSL path's."""
    def setup(wd, mock):
        check(os.path.exists(CODEX), "codex missing: make installs tests/agents")
        env = codex_env(wd, mock.port)
        env["CODEX_CA_CERTIFICATE"] = os.path.join(wd.cert_dir(), "ca.pem")
        return ([CODEX, "exec", "--skip-git-repo-check", "What is the weather in Paris?"],
                env, None)
    agent_tool_turn("codex-rustls", "codex",
                    r"attached (OpenSSL \(static, stripped\) .*)?rustls.* probes to .*codex",
                    "sk-codex-e2e-SECRET", setup, located=True)


@test
def test_agents_claude_code_tool_turn_spans():
    """Claude Code's native Bun build: BoringSSL, static and stripped,
    located through its ssl_lib.cc error reasons. Claude Code trusts
    NODE_EXTRA_CA_CERTS; the mock answers its first call with a tool_use
    and the second (carrying the tool_result) with end_turn."""
    def setup(wd, mock):
        check(os.path.exists(CLAUDE), "claude missing: make installs tests/agents")
        home = wd.file("claude-home")
        os.makedirs(home)
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "ANTHROPIC_BASE_URL": mock.base,
               "ANTHROPIC_API_KEY": "sk-ant-e2e-SECRET",
               "NODE_EXTRA_CA_CERTS": os.path.join(wd.cert_dir(), "ca.pem"),
               "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
        return [CLAUDE, "-p", "What is the weather in Paris?"], env, home
    agent_tool_turn("claude", "claude.exe", r"attached BoringSSL probes to .*claude\.exe",
                    "sk-ant-e2e-SECRET", setup, located=True)


@test
def test_agents_gemini_cli_tool_turn_spans():
    """Gemini CLI, JS on the system node 20, whose OpenSSL is the system
    libssl (probed from the start: one run is enough). GOOGLE_GEMINI_BASE_URL
    points it at the mock, NODE_EXTRA_CA_CERTS trusts the test CA; -m skips
    the model router, whose classifier calls expect real JSON answers."""
    def setup(wd, mock):
        check(os.path.exists(GEMINI), "gemini-cli missing: make installs tests/agents")
        home = wd.file("gemini-home")
        os.makedirs(os.path.join(home, ".gemini"))
        with open(os.path.join(home, ".gemini", "settings.json"), "w") as f:
            f.write('{"security": {"auth": {"selectedType": "gemini-api-key"}}}')
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "GOOGLE_GEMINI_BASE_URL": mock.base,
               "GEMINI_API_KEY": "gm-e2e-SECRET", "GEMINI_CLI_TRUST_WORKSPACE": "true",
               "NODE_EXTRA_CA_CERTS": os.path.join(wd.cert_dir(), "ca.pem")}
        return (["node", GEMINI, "-m", "gemini-2.5-flash", "-p", "What is the weather in Paris?"],
                env, home)
    agent_tool_turn("gemini", "node", r"attached OpenSSL \S+ probes to ", "gm-e2e-SECRET",
                    setup)
