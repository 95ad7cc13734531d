# SPDX-License-Identifier: MIT
"""Case attach: how soon agentrace traces, and whether it misses the first
call of a process that has just started.

1. Time from starting agentrace (tracing everything) to its --ready-file,
   5 runs.
2. With agentrace ready, 100 fresh curl processes (libssl.so.3) and then
   100 fresh node processes (OpenSSL inside the node binary) are started
   one after another; each makes exactly ONE HTTPS chat completion call
   whose request model is a unique marker. The share of markers found in
   the exported spans is the share of first calls captured.
3. The same with agentrace --comm curl --comm node --scoped-uprobes, and
   with --comm curl --comm node --promote (named targets beside agent-first
   promotion): the clients are targets by selector, so their uprobes are
   attached inside each one after its exec (issue #13) and would race its
   first SSL_write; the exec hold (bpf/exec_hold.bpf.h) stops a client at
   its first connect until they are in.
4. agentrace --promote --llm-host localhost: fresh python and node
   processes are targets only once their ClientHello (SNI localhost) is
   judged, and their probes race the first SSL_write, which follows the
   ClientHello by one round trip: directly (0 ms) and through a proxy that
   delays each direction by 20 ms (delay_proxy.py)."""

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

READY_RUNS = int(os.environ.get("BENCH_ATTACH_RUNS", "5"))
CLIENTS = int(os.environ.get("BENCH_ATTACH_CLIENTS", "100"))
# "promote" runs only the SNI promotion rows, "comm" only the selector rows
# (when iterating on them).
ONLY = os.environ.get("BENCH_ATTACH_ONLY", "")

NODE_CALL = r"""
const https = require('https');
const body = JSON.stringify({model: process.argv[2], messages: [{role: 'user', content: 'hi'}]});
const req = https.request(process.argv[1], {method: 'POST', agent: false, headers: {
  'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
  'authorization': 'Bearer sk-bench-0000'}}, res => {
  res.resume(); res.on('end', () => process.exit(res.statusCode === 200 ? 0 : 1));
});
req.on('error', e => { console.error(e.message); process.exit(1); });
req.end(body);
"""


# One HTTPS call to 127.0.0.1 with SNI localhost (the bench certificate's
# name), the handshake first as any client does.
PY_SNI_CALL = r"""
import http.client, socket, ssl, sys
port, ca, model = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
c = http.client.HTTPSConnection("localhost", port, context=ctx)
c.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                         server_hostname="localhost")
body = '{"model":"%s","messages":[{"role":"user","content":"hi"}]}' % model
c.request("POST", "/v1/chat/completions", body=body, headers={
    "content-type": "application/json", "authorization": "Bearer sk-bench-0000"})
r = c.getresponse()
r.read()
sys.exit(0 if r.status == 200 else 1)
"""
NODE_SNI_CALL = NODE_CALL.replace("agent: false,", "agent: false, servername: 'localhost',")
PROXY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "delay_proxy.py")


def body(marker):
    return '{"model":"%s","messages":[{"role":"user","content":"hi"}]}' % marker


def ready_times(case):
    out = []
    for _ in range(READY_RUNS):
        ar = b.Agentrace(case, ["--exporter", "none"])
        out.append(ar.ready_s)
        ar.stop()
    case.row("time from start to ready file", b.spread(out)[1], None, None, "<= 1 s",
             out, "s")


def first_call_rows(case, spans_path, sent, failed, label):
    """One row per client kind: the share of its markers found in spans."""
    _, seen = b.count_spans(spans_path, "gen_ai.request.model")
    for kind, marks in sent.items():
        if not marks:
            continue
        got = sum(1 for m in marks if m in seen)
        missed = [m.rsplit("-", 1)[1] for m in marks if m not in seen]
        case.row("first HTTPS call captured, fresh %s processes%s" % (kind, label), got,
                 len(marks), got / len(marks), ">= 0.99",
                 [1.0 if m in seen else 0.0 for m in marks], "calls")
        case.note("%s%s: %d calls made, %d client failures, missed call numbers %s"
                  % (kind, label, len(marks), failed[kind], missed[:20] or "none"))


def first_calls(case, ng, select=()):
    label = ""
    if select:
        label = (", --comm beside --promote (exec hold)" if "--promote" in select else
                 ", --comm (probes per process)")
    spans_path = case.file("attach-spans%s.jsonl" % (
        "-comm-promote" if "--promote" in select else "-comm" if select else ""))
    url = ng.tls_url + "/v1/chat/completions"
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=ng.ca)
    ar = b.Agentrace(case, ["--exporter", "file", "--output", spans_path] + list(select))
    sent = {"curl": [], "node": []}
    failed = {"curl": 0, "node": 0}
    try:
        for i in range(CLIENTS):
            m = "bench-attach-curl-%d-%d" % (os.getpid(), i)
            r = subprocess.run(["curl", "-s", "-o", "/dev/null", "--cacert", ng.ca,
                                "-H", "Content-Type: application/json", "-d", body(m), url],
                               timeout=30)
            (sent["curl"].append(m) if r.returncode == 0 else None)
            failed["curl"] += r.returncode != 0
        if shutil.which("node"):
            for i in range(CLIENTS):
                m = "bench-attach-node-%d-%d" % (os.getpid(), i)
                r = subprocess.run(["node", "-e", NODE_CALL, url, m], env=env, timeout=30)
                (sent["node"].append(m) if r.returncode == 0 else None)
                failed["node"] += r.returncode != 0
        time.sleep(2.0)  # let the last spans reach the file exporter
    finally:
        stats = ar.stop()
    first_call_rows(case, spans_path, sent, failed, label)
    case.note("agentrace%s: kernel %s; spans %s; hold %s" % (
        label, stats.get("kernel"), stats.get("spans"), stats.get("hold")))


def first_calls_promoted(case, ng, delay_ms, hold=True):
    """Promotion by SNI only: each fresh client is a target once its
    ClientHello has been judged; held (SIGSTOP) meanwhile unless hold is
    False (AGENTRACE_NO_HELLO_HOLD, discover/hello_hold.h)."""
    label = ", SNI promotion, %d ms path%s" % (delay_ms, "" if hold else ", no hello hold")
    spans_path = case.file("attach-spans-promote-%d%s.jsonl" % (delay_ms, "" if hold else "-nh"))
    proxy = None
    port = ng.tls_port
    if delay_ms:
        port = b.free_port()
        proxy = subprocess.Popen([sys.executable, PROXY, str(port), str(ng.tls_port),
                                  str(delay_ms)], stdout=subprocess.PIPE,
                                 start_new_session=True)
        proxy.stdout.readline()
    url = "https://127.0.0.1:%d/v1/chat/completions" % port
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=ng.ca)
    ar = b.Agentrace(case, ["--exporter", "file", "--output", spans_path, "--promote",
                            "--llm-host", "localhost"],
                     env=None if hold else {"AGENTRACE_NO_HELLO_HOLD": "1"})
    sent = {"python": [], "node": []}
    failed = {"python": 0, "node": 0}
    try:
        for i in range(CLIENTS):
            m = "bench-promote-py-%d-%d-%d" % (delay_ms, os.getpid(), i)
            r = subprocess.run([sys.executable, "-c", PY_SNI_CALL, str(port), ng.ca, m],
                               timeout=30)
            (sent["python"].append(m) if r.returncode == 0 else None)
            failed["python"] += r.returncode != 0
        if shutil.which("node"):
            for i in range(CLIENTS):
                m = "bench-promote-node-%d-%d-%d" % (delay_ms, os.getpid(), i)
                r = subprocess.run(["node", "-e", NODE_SNI_CALL, url, m], env=env, timeout=30)
                (sent["node"].append(m) if r.returncode == 0 else None)
                failed["node"] += r.returncode != 0
        time.sleep(2.0)
    finally:
        stats = ar.stop()
        if proxy:
            proxy.kill()
            proxy.wait()
    first_call_rows(case, spans_path, sent, failed, label)
    case.note("agentrace%s: promote %s" % (label, stats.get("promote")))


def main():
    b.need("nginx", "curl", b.AGENTRACE)
    case = b.Case("attach",
                  "time from exec of agentrace (no filter, --exporter none) to its "
                  "ready file, %d runs; then agentrace (no filter, --exporter file) "
                  "and %d curl then %d node processes started one after another, each "
                  "making one HTTPS POST /v1/chat/completions to nginx with a unique "
                  "model name; then the same with --comm curl --comm node, with "
                  "--scoped-uprobes and with --promote; then %d python and %d "
                  "node processes with SNI localhost under --promote --llm-host localhost, "
                  "directly and through a proxy delaying each direction by 20 ms, "
                  "and directly without the hello hold"
                  % (READY_RUNS, CLIENTS, CLIENTS, CLIENTS, CLIENTS))
    case.partial_if("BENCH_ATTACH_ONLY", "")
    if not ONLY:
        ready_times(case)
    ng = b.Nginx(case)
    try:
        if not ONLY:
            first_calls(case, ng)
        if ONLY != "promote":
            first_calls(case, ng, ["--comm", "curl", "--comm", "node", "--scoped-uprobes"])
            first_calls(case, ng, ["--comm", "curl", "--comm", "node", "--promote"])
        if ONLY != "comm":
            for delay_ms in (0, 20):
                first_calls_promoted(case, ng, delay_ms)
            first_calls_promoted(case, ng, 0, hold=False)
    finally:
        ng.stop()
    case.finish()


if __name__ == "__main__":
    main()
