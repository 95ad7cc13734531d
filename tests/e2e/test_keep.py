#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of what agentrace keeps (issue #12): node-local tail
sampling at --sample-rate 0 keeping only the anomalous traces, gen_ai
metrics counting every call at a real OTLP receiver, and tool contracts
flagging a changed response shape. Real BPF, a python client over real TLS
to the mock server, checked against the server's ground truth. A failing
test leaves its workdir in /tmp."""

import json
import os
import subprocess
import sys
import time

from harness import (AGENTRACE, HERE, Agentrace, MockLLM, Receiver, Workdir, check,
                     free_port, node_env, run_client, test, wait_for)

V1 = "/tools/v1/weather"
V2 = "/tools/v2/weather"
COMM = "keepclient"  # the one traced process: python under its own name


def client(wd):
    """A python3 whose comm is COMM: agentrace --comm COMM traces it alone
    (the mock server and the receiver are python3 too)."""
    path = wd.file(COMM)
    if not os.path.exists(path):
        os.symlink(os.path.realpath(sys.executable), path)
    return path


def make_calls(wd, calls, name="calls"):
    """Runs calls [(url, headers, body)] in order from one traced process."""
    path = wd.file(name + ".json")
    with open(path, "w") as f:
        json.dump([{"url": u, "headers": h, "body": b} for u, h, b in calls], f)
    r = run_client([client(wd), os.path.join(HERE, "clients", "calls.py"), path],
                   node_env(wd), timeout=300)
    return [json.loads(l)["status"] for l in r.stdout.decode().splitlines() if l.strip()]


def attrs(span):
    return span.get("attributes", {})


def get(url):
    return (url, {}, None)


def chat(mock, model, tenant, max_tokens=100000):
    return (mock.base + "/v1/chat/completions", {"x-tenant-id": tenant},
            {"model": model, "max_tokens": max_tokens,
             "messages": [{"role": "user", "content": "weather in Paris?"}]})


def learn_weather_contract(wd, mock):
    """Records two v1 weather calls, then asks `agentrace contracts --from`
    for the contracts file they imply. Returns its path and text."""
    cap = wd.file("weather.agtrace")
    ar = Agentrace(wd, ["-o", cap, "--comm", COMM], mode="record", name="record")
    try:
        make_calls(wd, [get(mock.base + V1 + "?city=" + c) for c in ("Paris", "Oslo")],
                   "learn")
        time.sleep(0.5)
        ar.finish()
    finally:
        ar.stop()
    r = subprocess.run([AGENTRACE, "contracts", "--from", cap], capture_output=True,
                       text=True, timeout=60)
    check(r.returncode == 0, "contracts --from failed: %s" % r.stderr[-2000:])
    check('path: "%s"' % V1 in r.stdout and 'host: "127.0.0.1"' in r.stdout,
          "contracts file:\n%s" % r.stdout)
    check(r.stdout.count("schema_hashes") == 1, "one tool, one shape:\n%s" % r.stdout)
    path = wd.file("contracts.yaml")
    with open(path, "w") as f:
        f.write(r.stdout)
    return path, r.stdout


def stats_line(err, prefix):
    """The last stats line with this prefix, as a dict."""
    line = [l for l in err.splitlines() if l.startswith(prefix + ":")]
    check(line, "no %s: line in:\n%s" % (prefix, err[-3000:]))
    return {k: int(v) for k, v in (kv.split("=") for kv in line[-1].split()[1:])}


def traced_run(name, args, calls, **env):
    """Learns the weather contract, then runs agentrace --comm COMM
    --tool-contracts it plus args(wd) while one process makes calls(mock);
    returns what came out."""
    wd = Workdir(name)
    rcv = Receiver(wd)
    mock = MockLLM(wd)
    ar = None
    try:
        contracts, text = learn_weather_contract(wd, mock)
        ar = Agentrace(wd, ["--comm", COMM, "--tool-contracts", contracts] + args(wd),
                       env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint, **env))
        before = len(mock.truth())
        statuses = make_calls(wd, calls(mock))
        time.sleep(1.5)
        ar.finish()
        return {"wd": wd, "err": ar.err(), "spans": rcv.spans(), "points": rcv.metrics(),
                "truth": mock.truth()[before:], "contract": text, "statuses": statuses}
    finally:
        if ar:
            ar.stop()
        mock.stop()
        rcv.stop()


def sampling_args(wd):
    cfg = wd.file("sample.yaml")
    with open(cfg, "w") as f:
        f.write("tenant_budgets:\n  tight: 5000\n"
                "tools:\n  \"127.0.0.1%s\": { k: 5 }\n" % V2)
    return ["--sample-rate", "0", "--sample-settle-ms", "200", "--sample-config", cfg]


def sampling_calls(mock):
    # dropped: normal chats, learning calls, v1-shaped answers
    calls = [chat(mock, "gpt-4o", "roomy"), chat(mock, "gpt-4o-mini", "roomy"),
             chat(mock, "gpt-4o", "other")]
    calls += [get(mock.base + V2 + "?city=Lima&mock_delay_ms=100") for _ in range(22)]
    calls += [get(mock.base + V1 + "?city=Rome"), get(mock.base + V1 + "?city=Kyiv")]
    # kept: a length finish, a 500 from a tool, a 10x slower tool, a tenant
    # over its budget, a weather_v2-shaped answer under contract v1
    return calls + [chat(mock, "gpt-4o-mini", "roomy", max_tokens=5),
                    get(mock.base + V1 + "?city=Bern&mock_error=500"),
                    get(mock.base + V2 + "?city=Lima&mock_delay_ms=1000"),
                    chat(mock, "gpt-4o", "tight"),
                    get(mock.base + V1 + "?city=Oslo&mock_shape=v2")]


@test
def test_keep_sampling_rate_zero_keeps_anomalies_and_metrics_count_all():
    r = traced_run("keep", sampling_args, sampling_calls, OTEL_METRIC_EXPORT_INTERVAL="3600000")
    err, spans, points, truth = r["err"], r["spans"], r["points"], r["truth"]
    check(r["statuses"].count(500) == 1 and r["statuses"].count(200) == 31,
          "statuses %r" % r["statuses"])
    check(len(truth) == 32, "mock saw %d calls" % len(truth))

    # sampling: exactly the five anomalous traces, whole, each saying why
    traces = {}
    for s in spans:
        traces.setdefault(s["trace_id"], []).append(s)
    why = {}
    for tid, ss in traces.items():
        roots = [s for s in ss if attrs(s).get("agentrace.sampling.rules")]
        check(len(roots) == 1, "trace %s: one root with the decision: %r" % (tid, ss))
        a = attrs(roots[0])
        rules = a["agentrace.sampling.rules"]
        url = a.get("url.full", "")
        if a.get("gen_ai.response.finish_reasons") == ["length"]:
            why["length"] = rules
        elif int(a.get("http.response.status_code", 0)) == 500:
            why["tool_500"] = rules
        elif V2 in url and roots[0]["end_time_unix_nano"] - roots[0]["start_time_unix_nano"] > 9e8:
            why["slow"] = rules
        elif a.get("tenant.id") == "tight":
            why["budget"] = rules
        elif "mock_shape=v2" in url:
            why["drift"] = rules
            check(a.get("tool.schema.drift") is True, "drift flag %r" % a)
        else:
            why.setdefault("unexpected", []).append((ss[0]["name"], a))
    check(sorted(why) == ["budget", "drift", "length", "slow", "tool_500"],
          "kept traces: %r" % why)
    check(why["length"] == ["finish_reason"], "length kept by %r" % why["length"])
    check("error" in why["tool_500"], "500 kept by %r" % why["tool_500"])
    check(why["slow"] == ["slow_tool"], "slow kept by %r" % why["slow"])
    check(why["budget"] == ["token_budget"], "budget kept by %r" % why["budget"])
    check(why["drift"] == ["schema_drift"], "drift kept by %r" % why["drift"])
    st = stats_line(err, "sample")
    check(st["traces_kept"] == 5 and st["traces_dropped"] == 27,
          "every trace counted: %r" % st)
    check(st["held_traces"] == 0 and st["spans_kept"] + st["spans_dropped"] == 32, "%r" % st)
    for rule in ("finish_reason", "error", "slow_tool", "token_budget", "schema_drift"):
        check(st["kept_by_" + rule] >= 1, "kept_by_%s: %r" % (rule, st))
    check(st["kept_by_probability"] == 0, "rate 0 keeps nothing by chance: %r" % st)

    # metrics: every call counted, sampled or not, tokens per model and tenant
    llm = sorted((t for t in truth if t.get("provider") == "openai"), key=lambda t: t["seq"])
    tenants = ["roomy", "roomy", "other", "roomy", "tight"]  # the order chats were made
    check(len(llm) == 5, "mock saw %d chats" % len(llm))
    want, want_tenant = {}, {}
    for t, tenant in zip(llm, tenants):
        for typ in ("input", "output"):
            n = t[typ + "_tokens"]
            want[(t["model"], typ)] = want.get((t["model"], typ), 0) + n
            want_tenant[(tenant, typ)] = want_tenant.get((tenant, typ), 0) + n
    got, got_tenant, n_dur, n_tool = {}, {}, 0, 0
    for p in points:
        a = p["attributes"]
        if p["metric"] == "gen_ai.client.token.usage":
            check(p["unit"] == "{token}" and p["temporality"] == 2, "token metric %r" % p)
            check(p["explicit_bounds"][:3] == [1, 4, 16], "bounds %r" % p["explicit_bounds"])
            key = (a["gen_ai.request.model"], a["gen_ai.token.type"])
            got[key] = got.get(key, 0) + p["sum"]
            tk = (a.get("tenant.id"), a["gen_ai.token.type"])
            got_tenant[tk] = got_tenant.get(tk, 0) + p["sum"]
            check(p["resource"].get("process.pid"), "per-process resource %r" % p)
        elif p["metric"] == "gen_ai.client.operation.duration":
            n_dur += p["count"]
        elif p["metric"] == "agentrace.tool.duration":
            n_tool += p["count"]
    check(got == {k: float(v) for k, v in want.items()}, "token sums %r want %r" % (got, want))
    check(got_tenant == {k: float(v) for k, v in want_tenant.items()},
          "token sums per tenant %r want %r" % (got_tenant, want_tenant))
    check(n_dur == len(llm) == 5, "operation.duration counts %d of %d calls" % (n_dur, len(llm)))
    check(n_tool == 27, "tool duration counts %d of 27 calls" % n_tool)
    check(len({p["resource"]["process.pid"] for p in points
               if p["metric"] == "gen_ai.client.token.usage"}) == 1, "one traced process")
    self_spans = [p for p in points if p["metric"] == "agentrace.spans.built"]
    check(self_spans and self_spans[-1]["value"] >= 32, "self-metric spans.built %r" % self_spans)
    r["wd"].cleanup()


@test
def test_keep_contracts_weather_v1_flags_v2_shapes():
    r = traced_run("contracts", lambda wd: [], lambda mock: [
        get(mock.base + V1 + "?" + q) for q in ("city=Rome", "city=Oslo&mock_shape=v2",
                                                 "city=Kyiv", "city=Bern&mock_shape=v2")])
    err, spans, points = r["err"], r["spans"], r["points"]
    v1_hash = r["contract"].split("schema_hashes: [\"")[1][:16]
    check(len(spans) == 4, "spans %r" % [attrs(s).get("url.full") for s in spans])
    v2 = [s for s in spans if "mock_shape=v2" in attrs(s).get("url.full", "")]
    v1 = [s for s in spans if s not in v2]
    check(len(v1) == 2 and len(v2) == 2, "split %d/%d" % (len(v1), len(v2)))
    for s in v1:
        a = attrs(s)
        check(a.get("tool.schema.hash") == v1_hash, "v1 hash %r vs contract %s" % (a, v1_hash))
        check(a.get("tool.contract.version") == "1" and a.get("tool.schema.drift") is False,
              "v1 not flagged: %r" % a)
        check(not [e for e in s["events"] if e["name"] == "tool.schema.drift"], "no event")
    v2_hash = attrs(v2[0]).get("tool.schema.hash")
    check(v2_hash and v2_hash != v1_hash, "v2 hash %r" % v2_hash)
    for s in v2:
        a = attrs(s)
        check(a.get("tool.schema.drift") is True and a.get("tool.contract.version") == "1",
              "v2 flagged: %r" % a)
        ev = [e for e in s["events"] if e["name"] == "tool.schema.drift"]
        check(len(ev) == 1, "one drift event: %r" % s["events"])
        ea = ev[0]["attributes"]
        check(ea.get("tool.schema.expected_hashes") == [v1_hash] and
              ea.get("tool.schema.observed_hash") == v2_hash, "event hashes %r" % ea)
    logs = [l for l in err.splitlines() if "tool schema drift" in l]
    check(len(logs) == 1 and v1_hash in logs[0] and v2_hash in logs[0],
          "one log line per tool and hash: %r" % logs)
    drift = [p for p in points if p["metric"] == "agentrace.tool.schema.drift"]
    check(sum(p["value"] for p in drift) == 2, "drift metric %r" % drift)
    st = stats_line(err, "contracts")
    check(st["drifted"] == 2 and st["matched"] == 2, "contracts stats %r" % st)
    r["wd"].cleanup()


def metric_sums(points, metric, field, *keys):
    """{attribute values: summed field} over the points of one metric."""
    out = {}
    for p in points:
        if p["metric"] == metric:
            k = tuple(p["attributes"].get(a) for a in keys)
            out[k] = out.get(k, 0) + p[field]
    return out


def latest(points):
    """Cumulative points: the newest of each series (metric, attributes,
    process), which holds its totals."""
    out = {}
    for p in points:
        k = (p["metric"], json.dumps(p["attributes"], sort_keys=True),
             p["resource"].get("process.pid"))
        if k not in out or p["time"] >= out[k]["time"]:
            out[k] = p
    return list(out.values())


def outage_run(temporality):
    """Three chats, two of them while the collector is down for longer than
    the traces' retry budget; it comes back on the same port. Returns the
    workdir, the mock's chats, the points received (the newest per series
    when cumulative) and agentrace's stderr."""
    wd = Workdir("keep-outage-" + temporality)
    mock = MockLLM(wd)
    port = free_port()
    view = (lambda ps: ps) if temporality == "delta" else latest
    rcv = ar = None
    try:
        ar = Agentrace(wd, ["--comm", COMM], env=node_env(
            wd, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:%d" % port,
            OTEL_EXPORTER_OTLP_PROTOCOL="http/json", OTEL_METRIC_EXPORT_INTERVAL="300",
            OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=temporality,
            OTEL_BSP_SCHEDULE_DELAY="100", AGENTRACE_EXPORT_RETRY_INITIAL_MS="100",
            AGENTRACE_EXPORT_RETRY_MAX_MS="200", AGENTRACE_EXPORT_RETRY_MAX_ELAPSED_MS="500"))
        before = len(mock.truth())
        make_calls(wd, [chat(mock, "gpt-4o", "t1"), chat(mock, "gpt-4o-mini", "t1")], "down")
        wait_for(lambda: "points export to" in ar.err() and "giving up on" in ar.err(),
                 what="failed metrics exports and traces past their retry budget")
        time.sleep(1.0)  # twice the retry budget: traces gave up, metrics must not
        rcv = Receiver(wd, ["--partial-reject", "2"], port=port)
        make_calls(wd, [chat(mock, "gpt-4o", "t2")], "up")
        wait_for(lambda: sum(metric_sums(view(rcv.metrics()), "gen_ai.client.operation.duration",
                                         "count").values()) >= 3,
                 what="metrics of all three calls at the receiver")
        ar.finish()
        truth = [t for t in mock.truth()[before:] if t.get("provider") == "openai"]
        out = wd, truth, view(rcv.metrics()), ar.err()
    finally:
        for p in (ar, rcv, mock):
            if p:
                p.stop()
    return out


@test
def test_keep_metrics_survive_a_collector_outage():
    """In delta temporality (where a lost or doubled batch shows in the
    sums) and cumulative (the newest point holds the totals), the metrics
    received after a collector outage longer than the traces' retry budget
    count every call exactly once, and the JSON partial_success the
    collector answers with is counted."""
    for temporality, code in (("delta", 1), ("cumulative", 2)):
        wd, truth, points, err = outage_run(temporality)
        what = temporality + ": "
        check(len(truth) == 3, what + "mock saw %d chats" % len(truth))
        check(all(p["temporality"] == code for p in points if p["metric"].startswith("gen_ai.")),
              what + "temporality")
        want = {}
        for t in truth:
            for typ in ("input", "output"):
                k = (t["model"], typ)
                want[k] = want.get(k, 0) + t[typ + "_tokens"]
        got = metric_sums(points, "gen_ai.client.token.usage", "sum", "gen_ai.request.model",
                          "gen_ai.token.type")
        check(got == {k: float(v) for k, v in want.items()},
              what + "token sums %r want %r" % (got, want))
        n = metric_sums(points, "gen_ai.client.operation.duration", "count")
        check(sum(n.values()) == 3, what + "operation.duration counts %r of 3 calls" % n)
        st = stats_line(err, "metrics")
        check(st["exports_failed"] >= 1 and st["points_dropped"] == 0,
              what + "metrics stats %r" % st)
        check(st["points_rejected"] == 2 * st["exports_ok"] > 0,
              what + "partial success counted per accepted request: %r" % st)
        wd.cleanup()


def weather_tool(*props):
    return {"type": "function", "function": {
        "name": "get_weather", "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {p: {"type": "string"} for p in props},
                       "required": ["city"]}}}


def drift_events(span):
    return [e for e in span.get("events", []) if e["name"] == "tool.schema.drift"]


def tool_hash(span, key, tool):
    """The hash a span's "name=hash" array gives one tool."""
    return dict(v.split("=", 1) for v in attrs(span).get(key, [])).get(tool)


@test
def test_keep_definition_and_listing_drift():
    """An agent offers the model get_weather, then a changed get_weather (a
    python client), and an MCP server lists a changed get_weather to the MCP
    SDK client on its second session: each change is drift of its kind, on
    the span, in the event's hashes, in the drift metric and in one log line;
    nothing unchanged is flagged."""
    wd = Workdir("keep-defs")
    rcv = Receiver(wd)
    mock = MockLLM(wd)
    ar = None
    try:
        ar = Agentrace(wd, ["--comm", COMM, "--comm", "node"],
                       env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint,
                                    OTEL_METRIC_EXPORT_INTERVAL="3600000"))
        body = lambda *props: {"model": "gpt-4o", "tools": [weather_tool(*props)],
                               "messages": [{"role": "user", "content": "weather in Paris?"}]}
        url = mock.base + "/v1/chat/completions"
        make_calls(wd, [(url, {}, body("city")), (url, {}, body("city")),
                        (url, {}, body("city", "units"))], "defs")
        for q in ("", "&tools=v2"):
            run_client(["node", os.path.join(HERE, "clients", "mcp_client.mjs"), "--base",
                        mock.base, "--path", "/mcp?mode=json" + q], node_env(wd))
        ar.finish()
        spans, points, err = rcv.spans(), rcv.metrics(), ar.err()
    finally:
        for p in (ar, mock, rcv):
            if p:
                p.stop()

    llm = sorted((s for s in spans if attrs(s).get("gen_ai.operation.name") == "chat"),
                 key=lambda s: s["start_time_unix_nano"])
    check(len(llm) == 3, "three chat spans: %r" % [s["name"] for s in spans])
    h = [tool_hash(s, "tool.definition.hashes", "get_weather") for s in llm]
    check(h[0] and h[0] == h[1] != h[2], "definition hashes %r" % h)
    for s in llm[:2]:
        check(not drift_events(s) and attrs(s).get("tool.schema.drift") is not True,
              "unchanged definition not flagged: %r" % attrs(s))
    ev = drift_events(llm[2])
    check(attrs(llm[2]).get("tool.schema.drift") is True and len(ev) == 1,
          "changed definition flagged once: %r" % llm[2])
    ea = ev[0]["attributes"]
    check(ea.get("tool.schema.drift.kind") == "definition" and
          ea.get("gen_ai.tool.name") == "get_weather" and
          ea.get("tool.schema.expected_hashes") == [h[0]] and
          ea.get("tool.schema.observed_hash") == h[2], "definition event %r" % ea)

    lists = sorted((s for s in spans if attrs(s).get("mcp.method.name") == "tools/list"),
                   key=lambda s: s["start_time_unix_nano"])
    check(len(lists) == 2, "two tools/list spans: %r" % [s["name"] for s in spans])
    lh = [tool_hash(s, "mcp.tool.schema_hashes", "get_weather") for s in lists]
    fh = [tool_hash(s, "mcp.tool.schema_hashes", "failing_tool") for s in lists]
    check(lh[0] and lh[1] and lh[0] != lh[1], "listed get_weather hashes %r" % lh)
    check(fh[0] and fh[0] == fh[1], "listed failing_tool hashes %r" % fh)
    check(not drift_events(lists[0]), "first listing is the tool's own")
    ev = drift_events(lists[1])
    check(len(ev) == 1, "only get_weather changed: %r" % ev)
    ea = ev[0]["attributes"]
    check(ea.get("tool.schema.drift.kind") == "listed" and
          ea.get("gen_ai.tool.name") == "get_weather" and
          ea.get("tool.schema.expected_hashes") == [lh[0]] and
          ea.get("tool.schema.observed_hash") == lh[1], "listing event %r" % ea)

    drift = metric_sums(points, "agentrace.tool.schema.drift", "value", "agentrace.tool.key",
                        "tool.schema.drift.kind")
    check(drift == {("get_weather", "definition"): 1, ("get_weather", "listed"): 1},
          "drift metric %r" % drift)
    logs = [l for l in err.splitlines() if " drift: get_weather" in l]
    check(len(logs) == 2 and any("definition drift" in l and h[2] in l for l in logs) and
          any("listed drift" in l and lh[1] in l for l in logs), "drift log lines %r" % logs)
    wd.cleanup()
