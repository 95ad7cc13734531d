#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of issue #13 (the node pays only for what it traces):
with targets chosen, OpenSSL uprobes exist only inside the targets, so an
untargeted TLS process runs with no breakpoint in its address space."""

import json
import os
import subprocess
import sys
import time

from harness import (Agentrace, EchoServer, Workdir, analyze_dump, check, clean_env,
                     test, HERE)

PY = os.path.realpath(sys.executable)
PROBE = os.path.join(HERE, "clients", "breakpoint_probe.py")
INT3 = 0xCC


def report(p):
    out, err = p.communicate(timeout=60)
    check(p.returncode == 0, "probe client failed: %r" % err[-2000:])
    return json.loads(out.decode().strip().splitlines()[-1])


def other_tracers():
    """Processes other than ours that may hold uprobes (by name)."""
    out = []
    for pid in os.listdir("/proc"):
        try:
            comm = open("/proc/%s/comm" % pid).read().strip()
        except OSError:
            continue
        if comm in ("agentrace", "bpftrace", "floor_probes"):
            out.append("%s %s" % (pid, comm))
    return out


def require_quiet_libssl(srv, ca):
    """The test reads int3s: a tracer left running outside the e2e lock (with
    probes on the shared libssl) would put them into every process."""
    r = report(subprocess.Popen([PY, PROBE, str(srv.port), ca], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE))
    check(r["ssl_write"] != INT3,
          "libssl already carries uprobes before agentrace starts: another tracer runs "
          "outside the e2e lock (%s); this test needs a quiet host" % other_tracers())


@test
def test_uprobes_only_inside_targets():
    """A --pid target that predates the daemon and a --comm target started
    after it get breakpoints (and their streams); two identical untargeted
    python processes get none: no int3 at SSL_write/SSL_read and no
    [uprobes] area. Probes attached to the shared libssl for everyone put an
    int3 into every process that maps it, which this test catches."""
    wd = Workdir("scoped")
    srv = EchoServer(wd)
    ar = None
    go = wd.file("go")
    ca = os.path.join(wd.cert_dir(), "ca.pem")
    named = wd.file("arscopetarget")
    os.symlink(PY, named)
    try:
        require_quiet_libssl(srv, ca)
        old_target = subprocess.Popen([PY, PROBE, str(srv.port), ca, go],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        old_other = subprocess.Popen([PY, PROBE, str(srv.port), ca, go],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--pid", str(old_target.pid),
                            "--comm", "arscopetarget"], mode="record")
        env = clean_env()
        new_target = subprocess.Popen([named, PROBE, str(srv.port), ca], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        new_other = subprocess.Popen([PY, PROBE, str(srv.port), ca], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        res = {"new target": report(new_target), "new other": report(new_other)}
        open(go, "w").close()
        res["old target"] = report(old_target)
        res["old other"] = report(old_other)
        time.sleep(0.5)
        ar.finish()
        for k in ("old target", "new target"):
            check(res[k]["ssl_write"] == INT3 and res[k]["ssl_read"] == INT3 and
                  res[k]["uprobes_vma"], "%s carries no uprobes: %r" % (k, res))
        for k in ("old other", "new other"):
            check(res[k]["ssl_write"] != INT3 and res[k]["ssl_read"] != INT3 and
                  not res[k]["uprobes_vma"], "untargeted %s carries uprobes: %r" % (k, res))
        rows = [r for r in analyze_dump(wd, wd.file("cap.agt"))
                if r["tls"] == "1" and int(r["bytes"]) > 0]
        pids = {r["pid"] for r in rows}
        want = {str(old_target.pid), str(new_target.pid)}
        check(pids == want, "TLS streams from pids %r, want the targets %r" % (pids, want))
    finally:
        if ar:
            ar.stop()
        srv.stop()
        wd.cleanup()


@test
def test_uprobes_follow_fork_without_exec():
    """A --comm target forks a worker that never execs and speaks TLS only
    over an AF_UNIX socketpair (no TCP connection, no exec: nothing but the
    fork record tells agentrace about it). The worker's plaintext must be
    captured, under its own pid: scoped probes follow forks."""
    wd = Workdir("scopedfork")
    ar = None
    named = wd.file("arforktarget")
    os.symlink(PY, named)
    cert = wd.cert_dir()
    marker = "fork-marker-%d" % os.getpid()
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--comm", "arforktarget"], mode="record")
        r = subprocess.run([named, os.path.join(HERE, "clients", "fork_tls_child.py"),
                            os.path.join(cert, "server.pem"), os.path.join(cert, "server.key"),
                            os.path.join(cert, "ca.pem"), marker],
                           capture_output=True, timeout=60)
        check(r.returncode == 0, "fork client failed: %r" % r.stderr[-2000:])
        child = r.stdout.decode().split()[0]
        time.sleep(0.5)
        ar.finish()
        rows = [row for row in analyze_dump(wd, wd.file("cap.agt"))
                if row["tls"] == "1" and row["pid"] == child]
        data = b"".join(open(row["path"], "rb").read() for row in rows)
        check(marker.encode() in data, "the forked worker %s was not traced: rows %r" %
              (child, [(row["file"], row["bytes"]) for row in rows]))
    finally:
        if ar:
            ar.stop()
        wd.cleanup()
