#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of what a container host looks like to agentrace: a TLS
library seen only through another mount namespace, Kubernetes-shaped cgroup
v2 paths (systemd and cgroupfs drivers), running with only the capabilities
docs/security.md lists, and the --health-addr endpoint. Real BPF, real TLS,
spans checked at a real OTLP receiver against the mock server's truth."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import harness
from harness import (Agentrace, Failure, MockLLM, Proc, Receiver, Workdir, check, node_env,
                     run_client, test, wait_for, HERE, teardown)

PY = os.path.realpath(sys.executable)
PY_COMM = os.path.basename(PY)[:15]
PY_CLIENT = os.path.join(HERE, "clients", "py_client.py")
SYS_LIBSSL = "/usr/lib/x86_64-linux-gnu/libssl.so.3"
SECRET = "sk-containers-SECRET-6"
FOUR_CAPS = ["cap_bpf", "cap_perfmon", "cap_sys_ptrace", "cap_dac_read_search"]
CAP_NR = {"cap_dac_read_search": 2, "cap_sys_ptrace": 19, "cap_sys_admin": 21,
          "cap_perfmon": 38, "cap_bpf": 39}


def res(span):
    return span.get("resource", {})


def spans_with_tokens(rcv, tokens, port=None):
    return [s for s in rcv.spans()
            if str(s.get("attributes", {}).get("gen_ai.usage.input_tokens")) == str(tokens)
            and (port is None or int(s["attributes"].get("server.port", 0)) == port)]


def one_span_for(rcv, t, port=None):
    """The single span for truth record t, by its input token count (unique
    per mock server; port tells two mocks apart)."""
    found = spans_with_tokens(rcv, t["input_tokens"], port)
    check(len(found) == 1, "truth seq %d: %d spans with input_tokens %d (all: %r)" %
          (t["seq"], len(found), t["input_tokens"],
           [s.get("attributes", {}).get("gen_ai.usage.input_tokens") for s in rcv.spans()]))
    s = found[0]
    check(s["attributes"].get("gen_ai.response.id") == t["response_id"],
          "response id %r != %r" % (s["attributes"].get("gen_ai.response.id"), t["response_id"]))
    return s


def llm_truth(mock, n):
    wait_for(lambda: len([t for t in mock.truth() if t.get("input_tokens")]) >= n,
             timeout=10, what="%d truth records" % n)
    return [t for t in mock.truth() if t.get("input_tokens")]


def no_secret(rcv, ar):
    check(SECRET.encode() not in rcv.raw_bytes(), "the API key reached the collector")
    check(SECRET not in ar.out() + ar.err(), "the API key is in agentrace's output")


def py_llm_argv(mock):
    return [PY, PY_CLIENT, "llm", "--url", mock.base, "--provider", "openai", "--key", SECRET]


# --- a. a TLS library only another mount namespace can see -----------------

@test
def test_containers_mount_namespace_libssl():
    """A client whose libssl.so.3 is a different file (bind-mounted copy in a
    private mount namespace): agentrace finds it through /proc/PID/maps and
    /proc/PID/root, probes it, captures the call, and detaches from it once
    the client has gone."""
    check(os.path.exists(SYS_LIBSSL), SYS_LIBSSL + " is missing")
    wd = Workdir("mntns")
    rcv = Receiver(wd)
    mock = MockLLM(wd)
    ar = None
    try:
        copy = wd.file("libssl.so.3")
        shutil.copy2(SYS_LIBSSL, copy)
        st = os.stat(copy)
        check(st.st_ino != os.stat(SYS_LIBSSL).st_ino, "the copy must be another inode")
        ar = Agentrace(wd, ["--comm", PY_COMM],
                       env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        # $0 and "$@" keep every path out of the shell's parser.
        script = 'mount --bind "$0" %s && exec "$@"' % SYS_LIBSSL
        # unshare and sh exec in place, so the client keeps this pid.
        # The client's first call waits until the copy is probed: this test
        # is about finding the copy, not about the race between a new
        # library's first call and its probes (bench attach measures that).
        go = wd.file("go")
        cl = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                               copy] + py_llm_argv(mock) + ["--wait-file", go],
                              env=node_env(wd), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            try:
                wait_for(lambda: re.search(r"attached OpenSSL probes to /proc/%d/root" % cl.pid,
                                           ar.err()) or cl.poll() is not None,
                         timeout=30, what="the client's libssl copy probed")
            finally:
                open(go, "w").close()
            out, errb = cl.communicate(timeout=60)
        finally:
            if cl.poll() is None:
                cl.kill()
                cl.wait()
        check(cl.returncode == 0, "client exited %d: %s %s" % (cl.returncode, out[-500:],
                                                               errb[-1000:]))
        truth = llm_truth(mock, 1)
        check(len(truth) == 1, "want one call, got %d" % len(truth))
        err = ar.err()
        # The copy is found through /proc/PID/root: its attach line names
        # the client's pid and the copy's inode.
        attached = [(int(p), int(d), int(i)) for p, d, i in re.findall(
            r"attached OpenSSL probes to /proc/(\d+)/root%s \(dev (\d+) inode (\d+)[,)]" %
            re.escape(SYS_LIBSSL), err)]
        check((cl.pid, st.st_dev, st.st_ino) in attached,
              "agentrace never probed the client's libssl copy through its pid %d: %r\n%s" %
              (cl.pid, attached, err[-3000:]))
        wait_for(lambda: len(spans_with_tokens(rcv, truth[0]["input_tokens"])) > 0,
                 timeout=15, what="the span of the first call")
        s = one_span_for(rcv, truth[0])
        # The mock server is python too and its side of the call is
        # plaintext in the system libssl: the span must be the client's.
        check(int(s["attributes"].get("process.pid", 0)) == cl.pid,
              "span from pid %r, client is %d (mock %d)" %
              (s["attributes"].get("process.pid"), cl.pid, mock.p.pid))
        check(s["kind"] == 3, "span kind %r, want CLIENT" % s["kind"])
        # The client has exited: the copy's probes go after the grace period.
        def detached():
            return [(int(d), int(i)) for d, i in re.findall(
                r"detaching (?:OpenSSL|TLS) probes from .*?dev (\d+) inode (\d+)", ar.err())]

        wait_for(lambda: (st.st_dev, st.st_ino) in detached(), timeout=20,
                 what="the copy's probes detached (dev %d inode %d)" % (st.st_dev, st.st_ino))
        sys_st = os.stat(SYS_LIBSSL)
        check((sys_st.st_dev, sys_st.st_ino) not in detached(),
              "the system libssl is pinned and must never be detached")
        ar.finish()
        no_secret(rcv, ar)
    finally:
        teardown(wd, ar, mock, rcv)


# --- b. Kubernetes-shaped cgroups -------------------------------------------

def cgroup2_root():
    """The cgroup v2 mount point (/sys/fs/cgroup, or .../unified on hybrid hosts)."""
    for line in open("/proc/self/mountinfo"):
        left, _, right = line.partition(" - ")
        if right.split()[0] == "cgroup2":
            return left.split()[4]
    return None


class FakePodCgroup:
    """A kubelet-shaped cgroup path under the v2 root; removes what it made."""

    def __init__(self, root, driver):
        self.pod_uid = str(uuid.uuid4())
        self.container_id = uuid.uuid4().hex + uuid.uuid4().hex
        if driver == "systemd":
            u = self.pod_uid.replace("-", "_")
            parts = ["kubepods.slice", "kubepods-burstable.slice",
                     "kubepods-burstable-pod%s.slice" % u,
                     "cri-containerd-%s.scope" % self.container_id]
        else:
            parts = ["kubepods", "besteffort", "pod" + self.pod_uid, self.container_id]
        self.made = []
        path = root
        for p in parts:
            path = os.path.join(path, p)
            if not os.path.isdir(path):
                os.mkdir(path)
                self.made.append(path)
        self.path = path
        self.rel = "/" + "/".join(parts)

    def enter(self, pid):
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def remove(self):
        for path in reversed(self.made):
            # An exited process leaves its cgroup a moment after wait().
            for _ in range(100):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


# Waits for a go-file, then becomes the real client (so its exec, which
# agentrace reads the identity at, happens inside the new cgroup).
GATE = ("import os,sys,time\n"
        "while not os.path.exists(sys.argv[1]): time.sleep(0.01)\n"
        "os.execv(sys.argv[2], sys.argv[2:])\n")


@test
def test_containers_k8s_cgroups_and_node_name():
    root = cgroup2_root()
    check(root, "no cgroup2 mount in /proc/self/mountinfo")
    check(os.access(os.path.join(root, "cgroup.procs"), os.W_OK),
          "cgroup v2 at %s is not writable" % root)
    wd = Workdir("k8s")
    rcv = Receiver(wd)
    mock = MockLLM(wd)
    ar = None
    cgs = []
    try:
        ar = Agentrace(wd, ["--comm", PY_COMM],
                       env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint,
                                    NODE_NAME="node-e2e"))
        for n, driver in enumerate(["systemd", "cgroupfs"]):
            cg = FakePodCgroup(root, driver)
            cgs.append(cg)
            go = wd.file("go-%s" % driver)
            p = subprocess.Popen([PY, "-c", GATE, go] + py_llm_argv(mock), env=node_env(wd),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                cg.enter(p.pid)
                mine = open("/proc/%d/cgroup" % p.pid).read()
                check("0::%s\n" % cg.rel in mine, "client not in %s: %r" % (cg.rel, mine))
                open(go, "w").close()
                out, errb = p.communicate(timeout=60)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            check(p.returncode == 0, "client (%s) exited %d: %s %s" %
                  (driver, p.returncode, out[-500:], errb[-1000:]))
            t = llm_truth(mock, n + 1)[n]
            wait_for(lambda: spans_with_tokens(rcv, t["input_tokens"]), timeout=15,
                     what="the %s client's span" % driver)
            r = res(one_span_for(rcv, t))
            check(r.get("container.id") == cg.container_id,
                  "%s: container.id %r != %r" % (driver, r.get("container.id"),
                                                 cg.container_id))
            check(r.get("k8s.pod.uid") == cg.pod_uid,
                  "%s: k8s.pod.uid %r != %r" % (driver, r.get("k8s.pod.uid"), cg.pod_uid))
            check(r.get("k8s.node.name") == "node-e2e",
                  "%s: k8s.node.name %r (NODE_NAME=node-e2e)" % (driver, r.get("k8s.node.name")))
        ar.finish()
        no_secret(rcv, ar)
    finally:
        if ar:
            ar.stop()
        for cg in cgs:
            cg.remove()
        mock.stop()
        rcv.stop()
        wd.cleanup()
    for cg in cgs:
        check(not any(os.path.exists(p) for p in cg.made), "cgroup %s left behind" % cg.path)


# --- c. least privilege -----------------------------------------------------

def all_cap_names():
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    out = subprocess.run(["capsh", "--decode=%#x" % ((1 << (last + 1)) - 1)],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1].split(",")


def cap_eff(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    raise Failure("no CapEff for pid %d" % pid)


def ensure_tracefs():
    """Without CAP_SYS_ADMIN agentrace cannot mount tracefs; mount it as the
    DaemonSet's hostPath mount would provide it."""
    if not os.path.isdir("/sys/kernel/tracing/events/syscalls") and \
            not os.path.isdir("/sys/kernel/debug/tracing/events/syscalls"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"], check=True)


# perf_event_open(2) of a uprobe on argv[1] through the uprobe PMU; prints
# "ok" or the errno.
PMU_PROBE = r'''
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
nr = {"x86_64": 298, "aarch64": 241}[os.uname().machine]  # perf_event_open
path = ctypes.create_string_buffer(sys.argv[1].encode())
attr = bytearray(128)
struct.pack_into("<IIQ", attr, 0, int(open("/sys/bus/event_source/devices/uprobe/type").read()),
                 72, 0)                                  # type, size (VER1), config
struct.pack_into("<QQ", attr, 56, ctypes.addressof(path), 0)  # uprobe_path, offset
fd = libc.syscall(nr, (ctypes.c_char * 128).from_buffer(attr), -1, 0, -1, 0)
print("ok" if fd >= 0 else ctypes.get_errno())
'''


def uprobe_pmu_gated(wd, keep):
    """The kernel's own answer, independent of agentrace: may a process
    with only `keep` create a uprobe through the perf PMU? True when it
    gets EPERM/EACCES (the 6.16+ CAP_SYS_ADMIN requirement)."""
    script = wd.file("pmu_probe.py")
    with open(script, "w") as f:
        f.write(PMU_PROBE)
    drop = [c for c in all_cap_names() if c not in keep]
    r = subprocess.run(["capsh", "--drop=" + ",".join(drop), "--", "-c", 'exec "$0" "$@"',
                        sys.executable, script, SYS_LIBSSL], capture_output=True, text=True)
    out = r.stdout.strip()
    check(out == "ok" or out in ("1", "13"), "uprobe PMU probe: %r %r" % (out, r.stderr))
    return out != "ok"


class CappedAgentrace(Agentrace):
    """agentrace whose bounding set holds only `keep`: root's exec then gets
    exactly those as permitted and effective (capsh execs bash, which execs
    agentrace, so the pid is agentrace's)."""

    def __init__(self, wd, keep, args, env=None, name="agentrace", expect_fail=False):
        drop = [c for c in all_cap_names() if c not in keep]
        self.ready = wd.file(name + ".ready")
        argv = ["capsh", "--drop=" + ",".join(drop), "--", "-c", 'exec "$0" "$@"',
                harness.AGENTRACE] + harness.targeting(args) + \
            ["--ready-file", self.ready, "--stats-interval", "0"]
        Proc.__init__(self, wd, name, argv, env=env)
        try:
            wait_for(lambda: os.path.exists(self.ready) or self.p.poll() is not None,
                     timeout=30, what="agentrace ready file")
        except Failure:
            self.stop(signal.SIGKILL)
            raise
        if expect_fail:
            return
        check(self.p.poll() is None, "agentrace exited early:\n" + self.err())
        exe = os.readlink("/proc/%d/exe" % self.p.pid)
        check(exe == os.path.realpath(harness.AGENTRACE), "pid runs %s" % exe)
        want = sum(1 << CAP_NR[c] for c in keep)
        check(cap_eff(self.p.pid) == want, "CapEff %#x, want %#x" % (cap_eff(self.p.pid), want))


# "missing CAP_X:" warnings.
MISSING_RE = re.compile(r"warn: missing (CAP_[A-Z_]+): ")


def curl_chat(wd, base, key=SECRET):
    return ["curl", "-sS", "--fail", "--cacert", os.path.join(wd.cert_dir(), "ca.pem"),
            "-H", "Content-Type: application/json", "-H", "Authorization: Bearer " + key,
            "--data-binary", json.dumps({"model": "gpt-4o-mini", "messages": [
                {"role": "user", "content": "hi from curl"}]}),
            base + "/v1/chat/completions"]


@test
def test_containers_least_privilege():
    """Only CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH:
    nothing required is reported missing, and plain HTTP and HTTPS calls
    both become spans. Kernels with 'perf: Revert to requiring CAP_SYS_ADMIN
    for uprobes' (6.16+ and stable backports) refuse the perf uprobe PMU
    without CAP_SYS_ADMIN; agentrace must then say it defines its uprobes
    through tracefs, and HTTPS must still be traced."""
    ensure_tracefs()
    wd = Workdir("caps")
    rcv = Receiver(wd)
    tls = MockLLM(wd)
    plain = MockLLM(wd, extra=["--plain"], name="plain")
    plain_base = "http://127.0.0.1:%d" % plain.port
    ar = None
    gated_cl = None
    go = wd.file("go")
    try:
        env = node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint)
        # Uprobes are attached inside each target (#13): a curl that becomes
        # a target at its exec races their attachment (tracefs: ~1-2 ms a
        # probe here) with its first SSL_write, which the attach bench
        # measures. The HTTPS client here is a --pid target before it
        # execs curl: its probes are in place (and follow the exec) first.
        gated_cl = subprocess.Popen([PY, "-c", GATE, go, shutil.which("curl")] +
                                    curl_chat(wd, tls.base)[1:], env=node_env(wd),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ar = CappedAgentrace(wd, FOUR_CAPS, ["--comm", "curl", "--pid", str(gated_cl.pid)],
                             env=env)
        err = ar.err()
        check(not MISSING_RE.findall(err),
              "a required capability reported missing:\n" + err[-3000:])
        check("capabilities: effective 0xc000080004; all required present" in err,
              "no capability summary:\n" + err[-3000:])
        run_client(curl_chat(wd, plain_base), node_env(wd))
        open(go, "w").close()
        out, cl_err = gated_cl.communicate(timeout=60)
        check(gated_cl.returncode == 0, "HTTPS client failed: %r" % cl_err[-1500:])
        t_plain = llm_truth(plain, 1)[0]
        t_tls = llm_truth(tls, 1)[0]
        err = ar.err()
        gated = "reserves the perf uprobe PMU for CAP_SYS_ADMIN" in err
        fell_back = "defining uprobes through tracefs instead" in err
        # Scoped uprobes use uprobe_multi links (6.6+): no perf event, so
        # no fallback. This test's probes are shared ones.
        multi = "info: uprobes attach through uprobe_multi links" in err
        want = uprobe_pmu_gated(wd, FOUR_CAPS)
        check(gated == want and fell_back == (want and not multi),
              "the kernel %s the uprobe PMU to these capabilities, but agentrace reports "
              "gated=%s, uprobe_multi=%s and tracefs fallback=%s:\n%s" %
              ("refuses" if want else "grants", gated, multi, fell_back, err[-3000:]))
        check(re.search(r"attached OpenSSL probes to (/proc/\d+/root)?%s " % re.escape(SYS_LIBSSL),
                        err), "no OpenSSL probes with the four capabilities:\n" + err[-3000:])
        wait_for(lambda: spans_with_tokens(rcv, t_plain["input_tokens"], plain.port),
                 timeout=15, what="the plain HTTP call's span")
        s = one_span_for(rcv, t_plain, plain.port)
        check(s["attributes"].get("process.executable.name") == "curl", "exe name")
        wait_for(lambda: spans_with_tokens(rcv, t_tls["input_tokens"], tls.port), timeout=15,
                 what="the HTTPS call's span")
        one_span_for(rcv, t_tls, tls.port)
        ar.finish()
        no_secret(rcv, ar)
        ar = None
        # One capability short: named in a warning, tracing still starts.
        for gone in ("cap_sys_ptrace", "cap_dac_read_search"):
            keep = [c for c in FOUR_CAPS if c != gone]
            ar = CappedAgentrace(wd, keep, ["--comm", "curl", "--exporter", "none"],
                                 name="agentrace-no-" + gone)
            missing = MISSING_RE.findall(ar.err())
            check(missing == [gone.upper()], "without %s: warnings name %r" % (gone, missing))
            ar.finish()
            ar = None
        # Without CAP_BPF nothing can load: a clear error and a failed exit.
        ar = CappedAgentrace(wd, [c for c in FOUR_CAPS if c != "cap_bpf"],
                             ["--exporter", "none"], name="agentrace-no-bpf", expect_fail=True)
        rc = ar.p.wait(timeout=20)
        check(rc != 0, "agentrace without CAP_BPF exited 0")
        check("missing CAP_BPF" in ar.err() and "nothing can be traced" in ar.err(),
              "no clear error without CAP_BPF:\n" + ar.err()[-2000:])
        check(not os.path.exists(ar.ready), "ready file written without CAP_BPF")
        ar = None
    finally:
        if gated_cl and gated_cl.poll() is None:
            gated_cl.kill()
            gated_cl.wait()
        if ar:
            ar.stop()
        plain.stop()
        tls.stop()
        rcv.stop()
        wd.cleanup()


# --- health endpoint --------------------------------------------------------

def http_status(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def health_port(ar):
    """The port agentrace says its health endpoint is on."""
    port = []

    def bound():
        m = re.search(r"health endpoint on \S+ \(port (\d+)\)", ar.err())
        if m:
            port.append(int(m.group(1)))
        return m or ar.p.poll() is not None

    wait_for(bound, timeout=30, what="the health endpoint")
    check(port, "agentrace exited:\n" + ar.err()[-2000:])
    return port[0]


@test
def test_containers_health_endpoint():
    """/readyz is 503 until every probe is attached, then 200. The not-ready
    window is made certain: in record mode agentrace opens its output after
    the health endpoint and before attaching, and a FIFO as the output holds
    that open() until a reader comes."""
    wd = Workdir("health")
    ready = wd.file("agentrace.ready")
    fifo = wd.file("capture.fifo")
    os.mkfifo(fifo)
    blocked = Proc(wd, "agentrace-blocked",
                   [harness.AGENTRACE, "record", "-o", fifo, "--comm", "no-such-comm",
                    "--stats-interval", "0", "--health-addr", "127.0.0.1:0",
                    "--ready-file", wd.file("blocked.ready")])
    ar = None
    try:
        port = health_port(blocked)
        check(http_status(port, "/readyz") == 503, "/readyz while not attached")
        check(http_status(port, "/healthz") == 200, "/healthz while starting")
        check(not os.path.exists(wd.file("blocked.ready")), "ready file while not attached")
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # unblock; it may then refuse a FIFO
        blocked.stop()
        ar = Proc(wd, "agentrace", [harness.AGENTRACE, "--exporter", "none", "--stats-interval",
                                    "0", "--health-addr", "127.0.0.1:0", "--ready-file", ready])
        port = health_port(ar)
        wait_for(lambda: os.path.exists(ready), timeout=30, what="ready file")
        wait_for(lambda: http_status(port, "/readyz") == 200, timeout=5, what="/readyz 200")
        check(http_status(port, "/healthz") == 200, "/healthz")
        rc = ar.stop()
        check(rc == 0, "agentrace exit status %d:\n%s" % (rc, ar.err()[-2000:]))
        try:
            http_status(port, "/healthz")
            raise Failure("health endpoint still answers after exit")
        except (urllib.error.URLError, ConnectionError):
            pass
    finally:
        if blocked.p.poll() is None:  # unblock its open() so that it can stop
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
            blocked.stop()
        if ar:
            ar.stop()
        wd.cleanup()
