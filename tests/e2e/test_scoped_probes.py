#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of issue #13 (the node pays only for what it traces):
with targets chosen, OpenSSL uprobes exist only inside the targets, so an
untargeted TLS process runs with no breakpoint in its address space."""

import json
import os
import re
import shutil
import subprocess
import sys
import time

from harness import (AGENTRACE, Agentrace, EchoServer, Workdir, analyze_dump, check,
                     clean_env, stream_bytes, test, wait_for, HERE)

PY = os.path.realpath(sys.executable)
SYS_LIBSSL = "/usr/lib/x86_64-linux-gnu/libssl.so.3"
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


def private_libssl_env(wd):
    """The clients load a private copy of libssl (another inode): a tracer
    left running outside the e2e lock with probes on the system file then
    cannot put int3s into them, while agentrace still finds the copy
    through the targets' maps."""
    d = wd.file("lib")
    os.mkdir(d)
    shutil.copy2(SYS_LIBSSL, os.path.join(d, "libssl.so.3"))
    return clean_env(LD_LIBRARY_PATH=d, AR_PROBE_OFFS=probe_offsets())


def probe_offsets():
    """File offsets in libssl where agentrace's plan puts the SSL_write and
    SSL_read entry probes (on the internal function both wrappers call when
    the library is built that way), read from --list-tls of this process,
    which has the system libssl loaded through the ssl module."""
    import ssl  # noqa: F401  (loads libssl into this process)
    out = subprocess.run([AGENTRACE, "--list-tls", str(os.getpid())], capture_output=True,
                         text=True, timeout=60).stdout
    offs = {}
    section = False
    for line in out.splitlines():
        if line.startswith("  /"):
            section = "libssl.so" in line
        m = re.match(r"\s+(SSL_(?:write|read))(?:_ex)?\s+uprobe\s+at file offset (0x[0-9a-f]+)",
                     line)
        if section and m and m.group(1) not in offs:
            offs[m.group(1)] = m.group(2)
    check("SSL_write" in offs and "SSL_read" in offs,
          "--list-tls names no SSL_write/SSL_read probe in libssl: %r" % out[-2000:])
    return "%s,%s" % (offs["SSL_write"], offs["SSL_read"])


def tls_stream_pids(wd):
    """Pids of the TLS plaintext streams with bytes in wd's cap.agt."""
    return {r["pid"] for r in analyze_dump(wd, wd.file("cap.agt"))
            if r["tls"] == "1" and int(r["bytes"]) > 0}


def require_quiet_libssl(srv, ca, env):
    """The test reads int3s: there must be none before agentrace starts."""
    r = report(subprocess.Popen([PY, PROBE, str(srv.port), ca], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env))
    check(r["ssl_write"] != INT3,
          "libssl already carries uprobes before agentrace starts: another tracer runs "
          "outside the e2e lock (%s); this test needs a quiet host" % other_tracers())


@test
def test_uprobes_only_inside_targets():
    """A --pid target that predates the daemon and a --comm target started
    after it get breakpoints (and their streams); two identical untargeted
    python processes get none: no int3 at SSL_write/SSL_read and no
    [uprobes] area. Probes attached to the shared libssl for everyone put an
    int3 into every process that maps it, which this test catches. All four
    load a private copy of libssl, so that no other tracer can interfere."""
    wd = Workdir("scoped")
    srv = EchoServer(wd)
    ar = None
    go = wd.file("go")
    ca = os.path.join(wd.cert_dir(), "ca.pem")
    named = wd.file("arscopetarget")
    os.symlink(PY, named)
    try:
        env = private_libssl_env(wd)
        require_quiet_libssl(srv, ca, env)
        old_target = subprocess.Popen([PY, PROBE, str(srv.port), ca, go], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        old_other = subprocess.Popen([PY, PROBE, str(srv.port), ca, go], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--pid", str(old_target.pid),
                            "--comm", "arscopetarget", "--scoped-uprobes"], mode="record")
        new_target = subprocess.Popen([named, PROBE, str(srv.port), ca, go], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        new_other = subprocess.Popen([PY, PROBE, str(srv.port), ca, go], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # The new target maps the copy when it imports ssl; its first call
        # waits until agentrace says the copy is probed inside it (the race
        # with a call right after exec is the attach bench's business).
        copy_in_new = re.compile(r"attached OpenSSL probes to /proc/%d/root%s " % (
            new_target.pid, re.escape(os.path.join(wd.file("lib"), "libssl.so.3"))))
        wait_for(lambda: copy_in_new.search(ar.err()), timeout=20,
                 what="the copy probed inside the new target")
        open(go, "w").close()
        res = {"new target": report(new_target), "new other": report(new_other),
               "old target": report(old_target), "old other": report(old_other)}
        time.sleep(0.5)
        ar.finish()
        for k, r in res.items():
            check(r["libssl"].startswith(wd.file("lib")), "%s loaded %s, not the private "
                  "copy" % (k, r["libssl"]))
        for k in ("old target", "new target"):
            check(res[k]["ssl_write"] == INT3 and res[k]["ssl_read"] == INT3 and
                  res[k]["uprobes_vma"], "%s carries no uprobes: %r" % (k, res))
        for k in ("old other", "new other"):
            check(res[k]["ssl_write"] != INT3 and res[k]["ssl_read"] != INT3 and
                  not res[k]["uprobes_vma"], "untargeted %s carries uprobes: %r" % (k, res))
        pids = tls_stream_pids(wd)
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
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--comm", "arforktarget",
                            "--scoped-uprobes"], mode="record")
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


@test
def test_promotion_by_sni_probes_only_llm_clients():
    """The default mode (no flag): a process whose ClientHello names a
    built-in provider host (api.anthropic.com) or an --llm-host pattern
    becomes a target once its handshake is written, and gets uprobes inside
    it before its first SSL_write (which waits here for the daemon's word);
    a process naming another host stays untargeted: no int3, no TLS
    stream."""
    wd = Workdir("promote")
    srv = EchoServer(wd)
    ar = None
    go = wd.file("go")
    ca = os.path.join(wd.cert_dir(), "ca.pem")
    try:
        env = private_libssl_env(wd)
        require_quiet_libssl(srv, ca, env)
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--llm-host", "*.agents.e2e.test"],
                       mode="record", default_mode=True)
        snis = {"builtin": "api.anthropic.com", "pattern": "a1.agents.e2e.test",
                "other": "www.e2e.test"}
        procs = {k: subprocess.Popen([PY, PROBE, str(srv.port), ca, go, sni], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for k, sni in snis.items()}
        for k in ("builtin", "pattern"):
            pid = procs[k].pid
            wait_for(lambda: re.search(r"promoted pid %d to a target: sni %s\b" % (
                pid, re.escape(snis[k])), ar.err()) and re.search(
                r"attached OpenSSL probes to /proc/%d/root\S*libssl\S* .*inside pid %d "
                % (pid, pid), ar.err()), timeout=20, what="%s client promoted and probed" % k)
        # The other client's ClientHello has been judged when the stats say
        # three; it was sent before the two above were probed.
        time.sleep(0.3)
        open(go, "w").close()
        res = {k: report(p) for k, p in procs.items()}
        time.sleep(0.5)
        ar.finish()
        check("promoted pid %d" % procs["other"].pid not in ar.err(),
              "the other client was promoted:\n" + ar.err()[-2000:])
        # Both requests were written after the probes: the daemon's own
        # account of the race says so.
        check(re.search(r"^promote: .*promoted_sni=2 .*on_time=2 late=0 unseen=0 ", ar.err(), re.M),
              "promote stats:\n" + ar.err()[-2000:])
        for k in ("builtin", "pattern"):
            check(res[k]["ssl_write"] == INT3 and res[k]["uprobes_vma"],
                  "promoted %s client carries no uprobes: %r" % (k, res))
        check(res["other"]["ssl_write"] != INT3 and not res["other"]["uprobes_vma"],
              "untargeted client carries uprobes: %r" % res)
        pids = tls_stream_pids(wd)
        want = {str(procs["builtin"].pid), str(procs["pattern"].pid)}
        check(pids == want, "TLS streams from pids %r, want the promoted %r" % (pids, want))
    finally:
        if ar:
            ar.stop()
        srv.stop()
        wd.cleanup()


@test
def test_promotion_race_every_first_call_captured_or_named():
    """The default mode, clients that call at once after their handshake
    (no gate, a 0 ms loopback path): the probes may lose the race to the first
    SSL_write, but never silently. Each promoted client is counted once as
    on_time (its request was captured, ground truth: the capture's egress
    TLS bytes), late or unseen (a warning names its pid). Each was held
    (SIGSTOP, discover/hello_hold.h) from its judged ClientHello until its
    probes were in, and continued: the clients have no terminal (setsid)."""
    wd = Workdir("promote-race")
    srv = EchoServer(wd)
    ar = None
    ca = os.path.join(wd.cert_dir(), "ca.pem")
    go = wd.file("go")
    open(go, "w").close()
    try:
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--llm-host", "*.agents.e2e.test"],
                       mode="record", default_mode=True)
        procs = [subprocess.Popen([PY, PROBE, str(srv.port), ca, go, "r%d.agents.e2e.test" % i],
                                  env=clean_env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True)
                 for i in range(6)]
        pids = {str(p.pid) for p in procs}
        for p in procs:
            report(p)
        wait_for(lambda: all("promoted pid %s to a target" % pid in ar.err() for pid in pids),
                 timeout=20, what="six clients promoted")
        ar.finish()  # drains the ring: the clients' exit records are in it
        m = re.search(r"^promote: .*promoted_sni=(\d+) .*on_time=(\d+) late=(\d+) "
                      r"unseen=(\d+) ", ar.err(), re.M)
        check(m, "no promote stats:\n" + ar.err()[-2000:])
        promoted, on_time, late, unseen = (int(x) for x in m.groups())
        check(promoted == 6 and on_time + late + unseen == 6,
              "each promoted client counted once: %s" % m.group(0))
        held = re.search(r"^promote: .* hello_held=(\d+) ", ar.err(), re.M)
        check(held and int(held.group(1)) == 6,
              "each promoted client held and continued: %s" % (held and held.group(0)))
        sent = {r["pid"] for r in analyze_dump(wd, wd.file("cap.agt"))
                if r["tls"] == "1" and r["dir"] == "egress" and int(r["bytes"]) > 0}
        check(sent <= pids and len(sent) == on_time,
              "requests captured from %r, daemon says on_time=%d" % (sent, on_time))
        for pid in pids - sent:
            check(re.search(r"pid %s was promoted .*\((promote: (late|unseen))\)" % pid,
                            ar.err()),
                  "pid %s lost its first call silently:\n%s" % (pid, ar.err()[-3000:]))
    finally:
        if ar:
            ar.stop()
        srv.stop()
        wd.cleanup()


AGENT_CALLS = r"""
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for i in range(2):
    c.request("POST", "/echo?resp=10", body=b"tool-call-%d" % i)
    assert len(c.getresponse().read()) == 10
"""


@test
def test_promotion_of_a_server_an_agent_calls():
    """--promote --comm ARPROMOAGENT: a plaintext tool server (untargeted)
    that the agent (a target by selector) calls becomes a target in the
    kernel at its first read of the agent's connection, so both requests
    it served are captured on its side, byte-exact against what the server
    itself logged; a second server called only by an untargeted client
    stays untargeted (no stream of its pid)."""
    wd = Workdir("promote-srv")
    tool = EchoServer(wd, plain=True, name="tool")
    other = EchoServer(wd, plain=True, name="other")
    ar = None
    agent = wd.file("arpromoagent")
    os.symlink(PY, agent)
    try:
        # --bounded-bytes 0: no bounded capture, so that any stream of the
        # other server's pid means it was wrongly made a target (bounded
        # capture has its own test, test_bounded.py)
        ar = Agentrace(wd, ["-o", wd.file("cap.agt"), "--promote", "--comm",
                            "arpromoagent", "--bounded-bytes", "0"], mode="record")
        for argv in ([agent, "-c", AGENT_CALLS, str(tool.port)],
                     [PY, "-c", AGENT_CALLS, str(other.port)]):
            r = subprocess.run(argv, capture_output=True, timeout=60, env=clean_env())
            check(r.returncode == 0, "client failed: %r" % r.stderr[-1500:])
        wait_for(lambda: len(tool.conns()) == 1 and len(other.conns()) == 1, timeout=10,
                 what="both servers logged their connection")
        time.sleep(0.5)
        ar.finish()
        rows = analyze_dump(wd, wd.file("cap.agt"))
        served = [r for r in rows if r["pid"] == str(tool.p.pid)]
        ingress = [r for r in served if r["dir"] == "ingress"]
        check(len(ingress) == 1 and ingress[0]["role"] == "server",
              "tool server streams: %r" % served)
        want_in, want_out = tool.conn_bytes(tool.conns()[0]["n"])
        check(stream_bytes(ingress[0]) == want_in and want_in.count(b"POST /echo") == 2,
              "tool server's read stream differs from what it logged")
        egress = [r for r in served if r["dir"] == "egress"]
        check(len(egress) == 1 and stream_bytes(egress[0]) == want_out,
              "tool server's write stream differs from what it logged")
        check(not [r for r in rows if r["pid"] == str(other.p.pid)],
              "the server only an untargeted client called was traced: %r" % rows)
    finally:
        if ar:
            ar.stop()
        tool.stop()
        other.stop()
        wd.cleanup()
