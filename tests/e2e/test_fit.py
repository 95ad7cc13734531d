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


# Parses a Prometheus text exposition with the reference parser (Debian's
# python3-prometheus-client, under the system python) into JSON samples.
PROM_PARSE = r'''
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        out.append({"family": fam.name, "type": fam.type, "name": s.name,
                    "labels": s.labels, "value": s.value})
print(json.dumps(out))
'''


def stats_blocks(err):
    """Each round of stats lines on stderr, as {prefix: {key: value}}."""
    blocks, cur = [], None
    for line in err.splitlines():
        m = line.split(": ", 1)
        if len(m) != 2 or " " in m[0] or "=" not in m[1]:
            continue
        if m[0] == "kernel":
            cur = {}
            blocks.append(cur)
        if cur is not None:
            cur[m[0]] = {k: int(v) for k, v in (kv.split("=", 1) for kv in m[1].split())
                         if v.isdigit()}
    return blocks


def expected_samples(block):
    """The /metrics samples the naming rules give for one stats round."""
    # the levels of user/metrics/levels.c; every other stats key is a count
    gauges = {("conns", "live"), ("conns", "held_bytes"), ("export", "queued"),
              ("sample", "held_traces"), ("sample", "held_spans"), ("sample", "held_bytes"),
              ("discover", "tls_files_attached"), ("tracepoints", "attached"),
              ("tracepoints", "attach_us_last"), ("tracepoints", "attach_us_max"),
              ("tracepoints", "lag_us_last"), ("tracepoints", "lag_us_max")}
    out = {}
    for prefix, kv in block.items():
        for k, v in kv.items():
            for drop in ("dropped_", "drop_"):
                if k.startswith(drop):
                    r = k[len(drop):]
                    if r.endswith("_bytes"):
                        out[("agentrace_%s_dropped_bytes_total" % prefix, r[:-6])] = v
                    else:
                        out[("agentrace_%s_drops_total" % prefix, r)] = v
                    break
            else:
                name = "agentrace_%s_%s" % (prefix, k.replace("-", "_"))
                out[(name if (prefix, k) in gauges else name + "_total", "")] = v
    return out


@test
def test_fit_metrics_scrape_matches_stats():
    import socket
    import urllib.request
    c = Case("fit-metrics")
    ar = holder = None
    try:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        ready = c.wd.file("m.ready")
        env = node_env_no_otel(c)
        ar = subprocess.Popen([AGENTRACE, "--comm", "e2e-client", "--health-addr",
                               "127.0.0.1:%d" % port, "--stats-interval", "1",
                               "--ready-file", ready], env=env,
                              stdout=open(c.wd.file("ar.out"), "wb"),
                              stderr=open(c.wd.file("ar.err"), "wb"), start_new_session=True)
        wait_for(lambda: os.path.exists(ready) or ar.poll() is not None, timeout=30,
                 what="agentrace ready")
        check(ar.poll() is None, "agentrace exited: " + open(c.wd.file("ar.err")).read())
        # a target that keeps libssl mapped while /metrics is scraped
        holder = subprocess.Popen([c.py, "-c", "import ssl, time; time.sleep(60)"])
        c.run_py([{"model": "met-0"}, {"model": "met-1"}])
        c.wait_spans(2)
        time.sleep(2.5)  # a stats round after the traffic
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
            ctype = r.headers.get("Content-Type")
            text = r.read().decode()
        check(ctype.startswith("text/plain; version=0.0.4"), "content type %r" % ctype)
        p = subprocess.run(["/usr/bin/python3", "-c", PROM_PARSE], input=text,
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, "not the text format: %s\n%s" % (p.stderr[-1500:], text[:3000]))
        samples = json.loads(p.stdout)
        holder.kill()
        holder.wait()
        ar.send_signal(signal.SIGINT)
        ar.wait(timeout=30)
        err = open(c.wd.file("ar.err")).read()
        check(ar.returncode == 0, "agentrace exit %d: %s" % (ar.returncode, err[-2000:]))

        got = {(s["name"], s["labels"].get("reason", "")): s["value"] for s in samples}
        for name in ("agentrace_kernel_events_total", "agentrace_spans_built_total",
                     "agentrace_export_exported_total", "agentrace_conns_held_bytes",
                     "agentrace_build_info", "agentrace_targeted_tasks"):
            check(any(k[0] == name for k in got), "no %s in:\n%s" % (name, text[:3000]))
        check(("agentrace_kernel_drops_total", "ringbuf_full") in got and
              ("agentrace_kernel_dropped_bytes_total", "read_failed") in got, "drop reasons")
        check(any(s["name"] == "agentrace_tls_files_attached" and s["labels"].get("library")
                  and s["value"] >= 1 for s in samples), "no attached TLS library:\n" + text)
        check(got[("agentrace_spans_built_total", "")] == 2, "spans built %r" %
              got[("agentrace_spans_built_total", "")])
        # The scrape is one stats round, exactly as printed on stderr.
        blocks = stats_blocks(err)
        want = None
        for b in blocks:
            e = expected_samples(b)
            if all(got.get(k) == v for k, v in e.items()):
                want = e
        check(want is not None, "no stats line round equals the scrape;\nscrape: %r\nlast: %r" %
              ({k: v for k, v in got.items() if k[0].endswith("_total")},
               expected_samples(blocks[-1]) if blocks else None))
        check(all(k in got for k in want), "metrics missing from the scrape")
    finally:
        for p in (holder, ar):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        c.stop()


def node_env_no_otel(c):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = c.rcv.endpoint
    return env
