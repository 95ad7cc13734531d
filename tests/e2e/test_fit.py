#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of issue #16 ("fit where users already are"): the
papercuts a new user hits (a --pid that does not exist or exits, an
exporter endpoint that can never work, the resource attributes the OTel
SDKs set)."""

import json
import os
import platform
import pwd
import signal
import subprocess
import sys
import time

from harness import AGENTRACE, Agentrace, Workdir, check, clean_env, test, wait_for
from test_export import PY, Case, by_model, check_once


def run_to_exit(args, env=None, timeout=60):
    """Runs agentrace expecting it to stop by itself; returns the result."""
    r = subprocess.run([AGENTRACE] + args + ["--stats-interval", "0"], env=env or clean_env(),
                       capture_output=True, text=True, timeout=timeout)
    return r


def free_pid():
    """A pid no process has (pid_max is at most 4194304)."""
    pid_max = int(open("/proc/sys/kernel/pid_max").read())
    for pid in range(pid_max - 1, 1, -1):
        if not os.path.exists("/proc/%d" % pid):
            return pid
    raise AssertionError("no free pid")


@test
def test_fit_missing_pid_is_an_error():
    pid = free_pid()
    r = run_to_exit(["--pid", str(pid), "--duration", "30"])
    check(r.returncode != 0, "agentrace --pid %d exited 0:\n%s" % (pid, r.stderr[-2000:]))
    check("--pid %d: no such process" % pid in r.stderr,
          "no clear error for --pid %d:\n%s" % (pid, r.stderr[-2000:]))


@test
def test_fit_pid_exit_logged_once():
    wd = Workdir("fit-pid-exit")
    sleeper = subprocess.Popen(["sleep", "300"])
    ar = None
    try:
        ar = Agentrace(wd, ["--pid", str(sleeper.pid), "--exporter", "none"])
        sleeper.kill()
        sleeper.wait()
        line = "--pid %d exited" % sleeper.pid
        wait_for(lambda: line in ar.err(), timeout=15, what="the exit log line")
        time.sleep(1.5)  # the exit is seen once; any second line would come now
        ar.finish()
        check(ar.err().count(line) == 1, "exit logged %d times:\n%s" %
              (ar.err().count(line), ar.err()[-2000:]))
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
        if ar:
            ar.stop()
        wd.cleanup()


@test
def test_fit_unusable_endpoint_stops_at_start():
    for ep in ("notaurl", "collector:4318", "ftp://collector:4318", "http://[::1"):
        env = clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=ep)
        r = run_to_exit(["--duration", "30"], env=env)
        check(r.returncode != 0, "endpoint %r: exit 0:\n%s" % (ep, r.stderr[-2000:]))
        check("OTEL_EXPORTER_OTLP_ENDPOINT=" in r.stderr and "retrying" not in r.stderr,
              "endpoint %r: no clear error:\n%s" % (ep, r.stderr[-2000:]))


@test
def test_fit_resource_runtime_owner_arch():
    c = Case("fit-resource")
    try:
        c.start_agentrace()
        out = c.run_py([{"model": "fit-res"}])
        c.wait_spans(1)
        c.finish()
        spans = c.rcv.spans()
        check_once(spans, 1, "resource")
        r = by_model(spans)["fit-res"][0]["resource"]
        want = {
            "process.runtime.name": "cpython",
            "process.runtime.version": "%d.%d" % sys.version_info[:2],
            "process.owner": pwd.getpwuid(os.getuid()).pw_name,
            "os.type": "linux",
            "host.arch": {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine()),
            "process.pid": out["pid"],
        }
        for k, v in want.items():
            check(r.get(k) == v, "resource %s = %r, want %r (%r)" % (k, r.get(k), v, r))
        check(os.path.basename(PY).startswith("python3."),
              "the client interpreter %s names no version" % PY)
        for k in r:
            check("command" not in k and "args" not in k, "command line in resource: %s" % k)
    finally:
        c.stop()


@test
def test_fit_config_file_only():
    """agentrace started with --config alone: the targets (comm) and the
    exporter (otel: endpoint, protocol, compression) come from the file."""
    c = Case("fit-config", receiver=True)
    try:
        cfg = c.wd.file("agentrace.yaml")
        with open(cfg, "w") as f:
            f.write("# only this file configures the run\n"
                    "comm:\n  - %s\n"
                    "ready-file: %s\n"
                    "stats-interval: 0\n"
                    "otel:\n"
                    "  OTEL_TRACES_EXPORTER: otlp\n"
                    "  OTEL_EXPORTER_OTLP_ENDPOINT: %s\n"
                    "  exporter_otlp_compression: gzip\n"
                    % ("e2e-client", c.wd.file("cfg.ready"), c.rcv.endpoint))
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        ar = subprocess.Popen([AGENTRACE, "--config", cfg], env=env,
                              stdout=open(c.wd.file("ar.out"), "wb"),
                              stderr=open(c.wd.file("ar.err"), "wb"), start_new_session=True)
        try:
            wait_for(lambda: os.path.exists(c.wd.file("cfg.ready")) or ar.poll() is not None,
                     timeout=30, what="agentrace ready")
            check(ar.poll() is None, "agentrace exited: " + open(c.wd.file("ar.err")).read())
            c.run_py([{"model": "cfg-py"}])
            # curl is not in the file's comm list: it must not be traced
            subprocess.run(c.curl_argv("cfg-curl"), env=c.client_env(), check=True,
                           capture_output=True, timeout=60)
            c.wait_spans(1)
            time.sleep(1)
        finally:
            ar.send_signal(signal.SIGINT)
            ar.wait(timeout=30)
        err = open(c.wd.file("ar.err")).read()
        check(ar.returncode == 0, "agentrace exit %d: %s" % (ar.returncode, err[-2000:]))
        spans = c.rcv.spans()
        check([s["attributes"].get("gen_ai.request.model") for s in spans] == ["cfg-py"],
              "spans %r" % [s["attributes"].get("gen_ai.request.model") for s in spans])
        reqs = [json.loads(l) for l in open(c.rcv.requests_path)]
        check(reqs and all(r["content_encoding"] == "gzip" for r in reqs),
              "compression from the file not used: %r" % reqs)
    finally:
        c.stop()
