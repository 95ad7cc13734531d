#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Go crypto/tls end to end: a Go 1.19 net/http client (clients/go_openai)
doing OpenAI chat completions over real TLS, traced through the uprobes on
(*tls.Conn).Write/Read and on their RET instructions; spans checked at a
real OTLP receiver against the mock's ground truth. The same client is run
built normally (symbols) and stripped (-s -w: .gopclntab only)."""

import os
import subprocess

from harness import Workdir, check, test, HERE
from test_genai import run_genai_case

GO_SRC = os.path.join(HERE, "clients", "go_openai")


def build_go(wd, name, stripped):
    out = wd.file(name)
    env = dict(os.environ, GOFLAGS="-mod=mod", GO111MODULE="on", CGO_ENABLED="0",
               GOCACHE=os.environ.get("GOCACHE", "/tmp/agentrace-gocache"),
               GOPATH=os.environ.get("GOPATH", "/tmp/agentrace-gopath"))
    argv = ["go", "build", "-o", out] + (["-ldflags=-s -w"] if stripped else []) + ["."]
    r = subprocess.run(argv, cwd=GO_SRC, env=env, capture_output=True, text=True)
    check(r.returncode == 0, "go build failed: " + r.stderr[-2000:])
    return out


def run_go_case(name, stripped, flags):
    wd = Workdir("go")
    try:
        exe = build_go(wd, name, stripped)
        return run_genai_case(lambda m: [[exe, "-base", m.base + "/v1"] + f for f in flags],
                              [name[:15]])
    finally:
        wd.cleanup()


@test
def test_go_tls_http1():
    run_go_case("go_openai_h1", False, [["-h1"], ["-h1", "-stream"]])


@test
def test_go_tls_http1_stripped():
    run_go_case("go_openai_h1s", True, [["-h1"], ["-h1", "-stream"]])
