# SPDX-License-Identifier: MIT
"""Shared pieces of the benchmark cases: result rows and JSON, the private
nginx server, wrk runs, and agentrace started and stopped around a run.

A case prints rows `| case | metric | value | baseline | ratio | goal | runs
| min | median | max |` and writes one JSON object to $BENCH_JSON_OUT (and a
dated copy under bench/results/). Nothing here passes or fails: a case
reports what it measured and the goal beside it."""

import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

LIB = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(LIB)
ROOT = os.path.dirname(BENCH)
AGENTRACE = os.path.join(ROOT, "build", "agentrace")
GEN_CERT = os.path.join(ROOT, "tests", "e2e", "gen_cert.sh")
LIBSSL = "/usr/lib/x86_64-linux-gnu/libssl.so.3"


def log(msg):
    """Progress goes to stderr so stdout holds only the table rows."""
    print("  [bench] " + msg, file=sys.stderr, flush=True)


def need(*tools):
    """Exits 0 with a note when a tool is missing: a case is skipped, not failed."""
    missing = [t for t in tools if shutil.which(t) is None and not os.path.exists(t)]
    if missing:
        log("skipped: missing " + ", ".join(missing) +
            " (apt-get install -y wrk nginx-light bpftrace)")
        sys.exit(0)


def spread(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None, None, None
    return min(xs), statistics.median(xs), max(xs)


def cpu_busy(seconds=1.0):
    """Share of all CPUs busy over `seconds`, in percent: the background load
    from everything else on the box when sampled before a case starts."""
    def sample():
        f = open("/proc/stat").readline().split()[1:]
        v = [int(x) for x in f]
        idle = v[3] + v[4]
        return sum(v), idle
    t0, i0 = sample()
    time.sleep(seconds)
    t1, i1 = sample()
    return round(100.0 * (1 - (i1 - i0) / max(1, t1 - t0)), 1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.01)
    raise RuntimeError("timed out waiting for " + what)


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        if abs(v) >= 100:
            return "%.0f" % v
        return "%.3g" % v
    return str(v)


class Case:
    """One benchmark case: collects rows and notes, prints and writes them."""

    def __init__(self, name, workload):
        self.name = name
        self.workload = workload
        self.rows = []
        self.notes = []
        self.partial = []  # the knobs that made this run a subset
        self.started = time.time()
        self.wd = tempfile.mkdtemp(prefix="agentrace-bench-%s-" % name)
        # mkdtemp makes 0700; nginx's workers run as nobody and must reach
        # html/ below it, or every GET is a 403 and the bench measures that.
        os.chmod(self.wd, 0o711)
        self.load_before = cpu_busy()
        self.loadavg_before = open("/proc/loadavg").read().split()[:3]
        log("%s: background CPU busy %.1f%% (of %d CPUs), loadavg %s" %
            (name, self.load_before, os.cpu_count(), " ".join(self.loadavg_before)))

    def partial_if(self, knob, default):
        """Marks the run partial when environment knob selects other than
        the case's default (a subset of its rows): its dated copy is kept
        apart (<day>T<HHMM>-<case>-partial.json) and latest.json keeps the
        case's newest full run."""
        v = os.environ.get(knob)
        if v is not None and v != default:
            self.partial.append("%s=%s" % (knob, v))

    def file(self, *parts):
        return os.path.join(self.wd, *parts)

    def note(self, text):
        self.notes.append(text)
        log(text)

    def row(self, metric, value, baseline, ratio, goal, samples, unit=""):
        """samples: the per-run figures whose spread is shown (ratios for a
        ratio row, values otherwise)."""
        lo, med, hi = spread(samples)
        self.rows.append({"case": self.name, "metric": metric, "unit": unit,
                          "value": value, "baseline": baseline, "ratio": ratio,
                          "goal": goal, "runs": len(samples), "min": lo,
                          "median": med, "max": hi, "samples": samples})
        print("| %s | %s | %s | %s | %s | %s | %d | %s | %s | %s |" % (
            self.name, metric + (" (%s)" % unit if unit else ""), fmt(value),
            fmt(baseline), fmt(ratio), goal, len(samples), fmt(lo), fmt(med),
            fmt(hi)), flush=True)

    def finish(self):
        obj = {"case": self.name, "workload": self.workload,
               "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
               "seconds": round(time.time() - self.started, 1),
               "host": {"cpus": os.cpu_count(), "kernel": os.uname().release,
                        "background_cpu_busy_pct_before": self.load_before,
                        "loadavg_before": self.loadavg_before,
                        "loadavg_after": open("/proc/loadavg").read().split()[:3]},
               "rows": self.rows, "notes": self.notes}
        if self.partial:
            obj["partial"] = self.partial
        text = json.dumps(obj, indent=1) + "\n"
        out = os.environ.get("BENCH_JSON_OUT")
        if out:
            with open(out, "w") as f:
                f.write(text)
        resdir = os.path.join(BENCH, "results")
        os.makedirs(resdir, exist_ok=True)
        day = datetime.date.today().isoformat()
        name = "%s-%s.json" % (day, self.name)
        if self.partial:
            name = "%sT%s-%s-partial.json" % (day, time.strftime("%H%M"), self.name)
            log("%s: partial run (%s), kept as %s" % (self.name, " ".join(self.partial), name))
        with open(os.path.join(resdir, name), "w") as f:
            f.write(text)
        if os.environ.get("BENCH_KEEP"):
            log("kept %s (BENCH_KEEP)" % self.wd)
        else:
            shutil.rmtree(self.wd, ignore_errors=True)


def certs(case):
    d = case.file("certs")
    if not os.path.exists(os.path.join(d, "server.pem")):
        subprocess.run(["sh", GEN_CERT, d], check=True, stdout=subprocess.DEVNULL)
    return d


class Nginx:
    """nginx with a private prefix: plaintext and TLS ports on 127.0.0.1, a
    small static file at /, and a fixed OpenAI chat completion with a unique
    id per request ($request_id) at POST /v1/chat/completions: the fast mock
    LLM for the load cases."""

    def __init__(self, case, cpu=None, conns=4096, name="nginx"):
        self.dir = case.file(name)
        cert = certs(case)
        for sub in ("html", "logs", "tmp"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        with open(os.path.join(self.dir, "html", "index.html"), "w") as f:
            f.write("<html><body>" + "agentrace bench " * 30 + "</body></html>\n")
        self.port = free_port()
        self.tls_port = free_port()
        conf = os.path.join(LIB, "nginx.conf.in")
        text = open(conf).read()
        for k, v in {"@DIR@": self.dir, "@PORT@": str(self.port),
                     "@TLS_PORT@": str(self.tls_port), "@CONNS@": str(conns),
                     "@NOFILE@": str(conns * 2 + 1024),
                     "@CERT@": os.path.join(cert, "server.pem"),
                     "@KEY@": os.path.join(cert, "server.key")}.items():
            text = text.replace(k, v)
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(text)
        argv = ["nginx", "-p", self.dir, "-c", path, "-e",
                os.path.join(self.dir, "logs", "error.log"), "-g", "daemon off;"]
        if cpu is not None:
            argv = ["taskset", "-c", str(cpu)] + argv
        self.p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(self.dir, "logs", "stderr"), "wb"),
                                  start_new_session=True,
                                  preexec_fn=lambda: raise_nofile(conns * 2 + 1024))
        wait_for(lambda: self._listening(), 10, "nginx")
        self.url = "http://127.0.0.1:%d" % self.port
        self._check_page()
        self.tls_url = "https://127.0.0.1:%d" % self.tls_port
        self.ca = os.path.join(cert, "ca.pem")

    def _check_page(self):
        """The static page must be served (200 with its body), or the load
        cases would measure error pages."""
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        c.request("GET", "/")
        r = c.getresponse()
        body = r.read()
        c.close()
        if r.status != 200 or b"agentrace bench" not in body:
            raise RuntimeError("nginx serves GET / as %d, not the bench page "
                               "(permissions of %s?)" % (r.status, self.dir))

    def _listening(self):
        if self.p.poll() is not None:
            raise RuntimeError("nginx exited: " + open(
                os.path.join(self.dir, "logs", "error.log")).read()[-2000:])
        try:
            socket.create_connection(("127.0.0.1", self.tls_port), 0.2).close()
            return True
        except OSError:
            return False

    def pids(self):
        """The master and its workers (nginx runs under taskset's exec)."""
        out = subprocess.run(["pgrep", "-P", str(self.p.pid)], capture_output=True,
                             text=True).stdout.split()
        return [self.p.pid] + [int(x) for x in out]

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGQUIT)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()


def raise_nofile(n):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, n)
    if hard != resource.RLIM_INFINITY and want > hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return
        except (ValueError, OSError):
            want = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


WRK_SUMMARY = re.compile(r'^WRKJSON (\{.*\})$', re.M)


def wrk(url, seconds, conns, cpu=None, script=None, env=None, threads=1, before=None):
    """Runs wrk; returns {rps, requests, errors, duration_s}. The Lua script
    prints a WRKJSON line from done(); without one, Requests/sec is parsed.
    before(pid), when given, runs while wrk's process waits at a gate: it
    gets the pid wrk will have (a tracer can attach to it by pid), and wrk
    execs only after it returns."""
    argv = ["wrk", "-t", str(threads), "-c", str(conns), "-d", "%ds" % seconds,
            "--timeout", "5s"]
    if script:
        argv += ["-s", script]
    argv.append(url)
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu)] + argv
    gate = None
    if before:
        gate = tempfile.mktemp(prefix="bench-wrk-gate-")
        argv = ["sh", "-c", 'while [ ! -e "$0" ]; do sleep 0.01; done; exec "$@"', gate] + argv
    e = dict(os.environ)
    e.update(env or {})
    import resource
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
    try:
        if before:
            before(p.pid)
            open(gate, "w").close()
        out, err = p.communicate(timeout=seconds + 30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if gate and os.path.exists(gate):
            os.unlink(gate)
    r = subprocess.CompletedProcess(argv, p.returncode, out, err)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    if r.returncode != 0:
        raise RuntimeError("wrk failed: " + r.stderr[-1000:])
    m = WRK_SUMMARY.search(r.stdout)
    if m:
        s = json.loads(m.group(1))
        dur = s["duration_us"] / 1e6
        return {"rps": s["requests"] / dur, "requests": s["requests"],
                "errors": s["errors"], "non2xx": s.get("non2xx", 0), "duration_s": dur,
                "client_cpu_s": client_cpu}
    m = re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)
    n = re.search(r"(\d+) requests in", r.stdout)
    return {"rps": float(m.group(1)), "requests": int(n.group(1)), "errors": 0,
            "duration_s": seconds, "client_cpu_s": client_cpu}


def cpu_s(pids):
    """User + system CPU seconds used so far by these processes (all their
    threads); a process that is gone counts 0."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def wrk_cpu(url, seconds, conns, cpu, server_pids, tracer_pid=None, **kw):
    """wrk plus the CPU it took: client (wrk), server and tracer CPU seconds
    over the run, and CPU microseconds per request. Unlike throughput, CPU
    per request barely moves when other work shares the box."""
    s0 = cpu_s(server_pids)
    t0 = cpu_s([tracer_pid]) if tracer_pid else 0.0
    r = wrk(url, seconds, conns, cpu=cpu, **kw)
    r["server_cpu_s"] = cpu_s(server_pids) - s0
    r["tracer_cpu_s"] = (cpu_s([tracer_pid]) - t0) if tracer_pid else 0.0
    total = r["client_cpu_s"] + r["server_cpu_s"] + r["tracer_cpu_s"]
    r["cpu_us_per_req"] = 1e6 * total / max(1, r["requests"])
    return r


STAT_LINE = re.compile(r"^(kernel|inject|pipeline|conns|http|spans|export|promote|hold): (.*)$")


class Agentrace:
    """agentrace in live mode, waited on until its ready file. stop() sends
    SIGINT and returns the exit statistics as {"kernel": {...}, ...}. env:
    variables added to its environment (a bench knob such as
    AGENTRACE_NO_HELLO_HOLD)."""

    def __init__(self, case, args, name="agentrace", cpu=None, timeout=30, binary=None,
                 env=None):
        self.ready = case.file(name + ".ready")
        self.err_path = case.file(name + ".err")
        if os.path.exists(self.ready):
            os.unlink(self.ready)
        # No targeting flag meant "trace everything" before agent-first
        # became the default (issue #13): the rows keep that meaning.
        if not any(a in ("--pid", "--comm", "--cgroup", "--promote", "--trace-all")
                   for a in args):
            args = list(args) + ["--trace-all"]
        argv = [binary or AGENTRACE] + list(args) + ["--ready-file", self.ready,
                                           "--stats-interval", "0"]
        if cpu is not None:
            argv = ["taskset", "-c", str(cpu)] + argv
        self.t_start = time.monotonic()
        self.p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                  stderr=open(self.err_path, "wb"),
                                  env=dict(os.environ, **env) if env else None,
                                  start_new_session=True,
                                  preexec_fn=lambda: raise_nofile(65536))
        try:
            wait_for(lambda: os.path.exists(self.ready) or self.p.poll() is not None,
                     timeout, "agentrace ready file")
        except RuntimeError:
            self.p.kill()
            self.p.wait()
            raise
        self.ready_s = time.monotonic() - self.t_start
        if self.p.poll() is not None:
            raise RuntimeError("agentrace exited early: " + self.err()[-2000:])
        self.stats = None

    def err(self):
        return open(self.err_path, "rb").read().decode(errors="replace")

    def rss_kb(self):
        """(VmRSS, RSS outside the BPF map mappings) in KiB. The ring buffer's
        data pages are mapped twice (so records can wrap), so VmRSS counts
        them twice; the second figure is the daemon's own memory."""
        total = bpf = 0
        name = ""
        with open("/proc/%d/smaps" % self.p.pid) as f:
            for line in f:
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    parts = line.split()
                    name = parts[5] if len(parts) > 5 else ""
                elif line.startswith("Rss:"):
                    kb = int(line.split()[1])
                    total += kb
                    if name.startswith("anon_inode:bpf"):
                        bpf += kb
        return total, total - bpf

    def stop(self, timeout=30):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.stats = parse_stats(self.err())
        return self.stats


def parse_stats(text):
    out = {}
    for line in text.splitlines():
        m = STAT_LINE.match(line)
        if m:
            d = {}
            for kv in m.group(2).split():
                if "=" in kv:
                    k, v = kv.split("=", 1)
                    try:
                        d[k] = int(v)
                    except ValueError:
                        d[k] = v
            out[m.group(1)] = d
    return out


def drop_counters(stats):
    """The non-zero loss counters of one agentrace run, flattened."""
    keys = {"kernel": ["drop_ringbuf_full", "drop_read_failed_bytes", "drop_too_big_bytes",
                       "drop_conn_map", "drop_args_map"],
            "conns": ["evicted", "gaps", "gap_bytes"],
            "http": ["parse_errors", "resyncs", "unpaired_responses"],
            "spans": ["dropped"],
            "export": ["dropped_queue_full", "dropped_failed", "dropped_shutdown"]}
    out = {}
    for sec, ks in keys.items():
        for k in ks:
            v = stats.get(sec, {}).get(k)
            if v:
                out[sec + "." + k] = v
    return out


def count_spans(path, marker_attr=None):
    """Spans in an `--exporter file` output: (count, set of marker values).
    marker_attr names a string attribute whose distinct values are returned."""
    n = 0
    markers = set()
    if not os.path.exists(path):
        return 0, markers
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            for rs in doc.get("resourceSpans", []):
                for ss in rs.get("scopeSpans", []):
                    for sp in ss.get("spans", []):
                        n += 1
                        if marker_attr:
                            for a in sp.get("attributes", []):
                                if a.get("key") == marker_attr:
                                    markers.add(a["value"].get("stringValue"))
    return n, markers


def prog_stats(pid):
    """Per-program kernel cost of the BPF programs that process `pid` holds:
    {name: [run_cnt, run_time_ns]}, summed over programs of the same name.
    The counters only move while kernel.bpf_stats_enabled is 1."""
    names = {}
    r = subprocess.run(["bpftool", "prog", "show", "--json"], capture_output=True, text=True)
    if r.returncode == 0:
        for p in json.loads(r.stdout or "[]"):
            names[p["id"]] = p.get("name", "?")
    out = {}
    fddir = "/proc/%d/fd" % pid
    for fd in os.listdir(fddir):
        try:
            if "bpf-prog" not in os.readlink(os.path.join(fddir, fd)):
                continue
            info = dict(l.split(":", 1) for l in open("/proc/%d/fdinfo/%s" % (pid, fd))
                        if ":" in l)
        except OSError:
            continue
        pid_ = int(info["prog_id"])
        name = names.get(pid_, "prog%d" % pid_)
        cur = out.setdefault(name, [0, 0])
        cur[0] += int(info.get("run_cnt", 0))
        cur[1] += int(info.get("run_time_ns", 0))
    return out


def prog_delta(after, before):
    return {k: [v[0] - before.get(k, [0, 0])[0], v[1] - before.get(k, [0, 0])[1]]
            for k, v in after.items()}


class BpfStats:
    """Turns kernel.bpf_stats_enabled on for a block and restores it."""

    PATH = "/proc/sys/kernel/bpf_stats_enabled"

    def __enter__(self):
        with open(self.PATH) as f:
            self.old = f.read().strip()
        self._set("1")
        return self

    def __exit__(self, *exc):
        self._set(self.old)

    def _set(self, v):
        with open(self.PATH, "w") as f:
            f.write(v)
