#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end causal graph: unmodified agents with no inbound request (a
python3 CLI agent, the node openai SDK over the Responses API, an MCP SDK
client) against the HTTPS mock, agentrace with real BPF, spans checked at a
real OTLP/HTTP receiver against the mock's ground truth: one trace per turn
rooted at invoke_agent, execute_tool spans with the wire's call ids, tool
traffic as their children, links from the consuming call, drift."""

import json
import os
import subprocess
import sys
import time

from harness import (teardown, Agentrace, MockLLM, Proc, Receiver, Workdir, check, node_env,
                     run_client, test, wait_for, HERE)

PY = os.path.realpath(sys.executable)
PY_COMM = os.path.basename(PY)[:15]
CLIENTS = os.path.join(HERE, "clients")
AGENT = os.path.join(CLIENTS, "py_agent.py")
SERVICE = "weather-agent-e2e"


def attrs(span):
    return span.get("attributes", {})


def run_traced(comms, clients, extra_args=()):
    """Runs clients(mock) under agentrace; returns (spans, truth, summaries)."""
    wd = Workdir("graph")
    rcv = Receiver(wd)
    mock = MockLLM(wd)  # started before agentrace: not a target
    ar = None
    try:
        args = list(extra_args)
        for c in comms:
            args += ["--comm", c]
        ar = Agentrace(wd, args, env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        cenv = node_env(wd, OTEL_SERVICE_NAME=SERVICE)
        summaries = []
        for argv in clients(mock):
            if isinstance(argv[0], str):
                r = run_client(argv, cenv)
                summaries.append(json.loads(r.stdout))
            else:  # several processes at once
                ps = [subprocess.Popen(a, env=cenv, stdout=subprocess.PIPE) for a in argv]
                for p in ps:
                    out, _ = p.communicate(timeout=60)
                    check(p.returncode == 0, "client exited %d: %s" % (p.returncode, out))
                    summaries.append(json.loads(out))
        time.sleep(1.0)
        ar.finish()
        return rcv.spans(), mock.truth(), summaries, ar.err()
    finally:
        teardown(wd, ar, mock, rcv)


def turn_of(spans, root):
    """Every span of root's trace."""
    return [s for s in spans if s["trace_id"] == root["trace_id"]]


def check_turn(spans, root, truth_llm, summary, where):
    """One conversation of py_agent.py: root -> 2 LLM + N execute_tool; each
    HTTP tool call under the execute_tool of its call; the second LLM call
    links to every execute_tool. Returns the execute_tool spans by call id."""
    a = attrs(root)
    check(root["kind"] == 1 and not root["parent_span_id"],
          "%s: invoke_agent is an INTERNAL root: %r" % (where, root))
    check(root["name"] == "invoke_agent " + SERVICE, "%s: root name %r" % (where, root["name"]))
    check(a.get("gen_ai.operation.name") == "invoke_agent", "%s: operation" % where)
    check(a.get("gen_ai.agent.name") == SERVICE, "%s: agent name %r" % (where, a))
    check(a.get("agentrace.graph.turn.end") == "final_answer", "%s: end %r" % (where, a))
    conv = a.get("gen_ai.conversation.id")
    check(conv and len(conv) == 16, "%s: conversation id %r" % (where, conv))
    mine = turn_of(spans, root)
    llm = sorted([s for s in mine if attrs(s).get("gen_ai.operation.name") == "chat"],
                 key=lambda s: s["start_time_unix_nano"])
    tools = [s for s in mine if attrs(s).get("gen_ai.operation.name") == "execute_tool"]
    http = [s for s in mine if "url.full" in attrs(s)]
    n = len(summary["calls"])
    check(len(llm) == 2 and len(tools) == n and len(http) == n and len(mine) == 3 + 2 * n,
          "%s: spans in the trace %r" % (where, [s["name"] for s in mine]))
    ids = {c["id"] for c in summary["calls"]}
    truth_ids = {c["id"] for t in truth_llm for c in t["tool_calls"]}
    check({attrs(s).get("gen_ai.tool.call.id") for s in tools} == ids == truth_ids,
          "%s: execute_tool ids %r, client %r, mock %r" % (
              where, [attrs(s).get("gen_ai.tool.call.id") for s in tools], ids, truth_ids))
    for s in llm:
        check(s["parent_span_id"] == root["span_id"], "%s: LLM span under the root" % where)
        check(attrs(s).get("gen_ai.conversation.id") == conv, "%s: LLM conversation" % where)
        check(len(attrs(s).get("agentrace.graph.input.hash", "")) == 16, "%s: input hash" % where)
    check(attrs(llm[0])["agentrace.graph.input.hash"] != attrs(llm[1])["agentrace.graph.input.hash"],
          "%s: the two calls have different inputs" % where)
    tool_by_call = {attrs(s)["gen_ai.tool.call.id"]: s for s in tools}
    for s in tools:
        check(s["parent_span_id"] == root["span_id"] and s["kind"] == 1,
              "%s: execute_tool under the root" % where)
        check(s["name"] == "execute_tool get_weather", "%s: name %r" % (where, s["name"]))
        check(attrs(s).get("gen_ai.tool.name") == "get_weather", "%s: tool name" % where)
        check(attrs(s).get("gen_ai.tool.type") == "function", "%s: tool type" % where)
        check(s["start_time_unix_nano"] >= llm[0]["end_time_unix_nano"] and
              s["end_time_unix_nano"] == llm[1]["start_time_unix_nano"],
              "%s: execute_tool runs from the answer to the next request" % where)
        check(s["status"]["code"] != 2, "%s: executed tool is no error" % where)
    for c in summary["calls"]:
        ex = tool_by_call[c["id"]]
        kids = [h for h in http if h["parent_span_id"] == ex["span_id"]]
        check(len(kids) == 1 and kids[0]["attributes"]["url.full"].endswith("city=" + c["city"]),
              "%s: call %s (%s) children %r" % (where, c["id"], c["city"],
                                                [k["attributes"]["url.full"] for k in kids]))
        check(attrs(kids[0]).get("agentrace.graph.tool.match") == "argument_values",
              "%s: rule %r" % (where, attrs(kids[0]).get("agentrace.graph.tool.match")))
        check(ex["start_time_unix_nano"] <= kids[0]["start_time_unix_nano"] and
              kids[0]["end_time_unix_nano"] <= ex["end_time_unix_nano"],
              "%s: tool call inside its execute_tool window" % where)
    links = {(l["span_id"], l["attributes"].get("gen_ai.tool.call.id"))
             for l in llm[1].get("link_list", [])}
    want = {(s["span_id"], attrs(s)["gen_ai.tool.call.id"]) for s in tools}
    check(links == want, "%s: second LLM call links %r, want %r" % (where, links, want))
    check(not llm[0].get("link_list"), "%s: first call links nothing" % where)
    return tool_by_call


def agent_truth(truth):
    return [t for t in truth if t.get("provider") == "openai"]


@test
def test_graph_py_agent_two_tool_calls():
    spans, truth, summ, err = run_traced(
        [PY_COMM], lambda m: [[PY, AGENT, "--url", m.base, "--tool-calls", "2"]])
    s = summ[0]
    check(s["ok"] and len(s["conversations"]) == 1, "client summary %r" % s)
    roots = [x for x in spans if attrs(x).get("gen_ai.operation.name") == "invoke_agent"]
    check(len(roots) == 1, "one invoke_agent root: %r" % [x["name"] for x in spans])
    check(len({x["trace_id"] for x in spans}) == 1, "one trace: %r" %
          [(x["name"], x["trace_id"]) for x in spans])
    tools = check_turn(spans, roots[0], agent_truth(truth), s["conversations"][0], "agent")
    for t in tools.values():
        check(attrs(t).get("agentrace.graph.drift") == "unchanged" and
              attrs(t).get("agentrace.graph.drift.share") == 1.0,
              "drift unchanged: %r" % attrs(t))
        check("gen_ai.tool.call.result" not in attrs(t) and
              "gen_ai.tool.call.arguments" not in attrs(t), "content only with capture")
    check("graph: llm_calls=2" in err, "stats line: %s" % err[-2000:])


@test
def test_graph_py_agent_truncated_result():
    spans, truth, summ, _ = run_traced(
        [PY_COMM], lambda m: [[PY, AGENT, "--url", m.base, "--tool-calls", "2",
                               "--truncate", "40"]], ["--capture-content"])
    s = summ[0]["conversations"][0]
    roots = [x for x in spans if attrs(x).get("gen_ai.operation.name") == "invoke_agent"]
    check(len(roots) == 1, "one root")
    tools = check_turn(spans, roots[0], agent_truth(truth), s, "truncating agent")
    first, second = s["calls"]
    a1, a2 = attrs(tools[first["id"]]), attrs(tools[second["id"]])
    check(a1.get("agentrace.graph.drift") == "truncated", "first result truncated: %r" % a1)
    share = first["passed_len"] / first["body_len"]
    check(abs(a1.get("agentrace.graph.drift.share", -1) - share) < 1e-9,
          "share %r, want %r" % (a1.get("agentrace.graph.drift.share"), share))
    check(a2.get("agentrace.graph.drift") == "unchanged", "second unchanged: %r" % a2)
    check(len(a1.get("gen_ai.tool.call.result", "")) == 40, "result captured: %r" % a1)
    check(json.loads(a1.get("gen_ai.tool.call.arguments", "{}")).get("city") == first["city"],
          "arguments captured: %r" % a1)


@test
def test_graph_two_conversations_one_process():
    spans, truth, summ, _ = run_traced(
        [PY_COMM], lambda m: [[PY, AGENT, "--url", m.base, "--tool-calls", "2",
                               "--conversations", "2"]])
    convs = summ[0]["conversations"]
    check(len(convs) == 2, "two conversations %r" % summ)
    roots = [x for x in spans if attrs(x).get("gen_ai.operation.name") == "invoke_agent"]
    check(len(roots) == 2, "two roots: %r" % [x["name"] for x in spans])
    check(attrs(roots[0])["gen_ai.conversation.id"] != attrs(roots[1])["gen_ai.conversation.id"],
          "two conversation ids")
    truth_llm = agent_truth(truth)
    for c in convs:
        ids = {k["id"] for k in c["calls"]}
        root = [r for r in roots if ids & {attrs(x).get("gen_ai.tool.call.id")
                                           for x in turn_of(spans, r)}]
        check(len(root) == 1, "conversation %r has one root" % c["question"])
        mine = [t for t in truth_llm if ids & {k["id"] for k in t["tool_calls"]}]
        check_turn(spans, root[0], mine, c, c["question"])


@test
def test_graph_two_agent_processes():
    spans, truth, summ, _ = run_traced(
        [PY_COMM], lambda m: [[[PY, AGENT, "--url", m.base, "--tool-calls", "2"],
                               [PY, AGENT, "--url", m.base, "--tool-calls", "1"]]])
    roots = [x for x in spans if attrs(x).get("gen_ai.operation.name") == "invoke_agent"]
    check(len(roots) == 2, "two roots: %r" % [x["name"] for x in spans])
    truth_llm = agent_truth(truth)
    for sm in summ:
        c = sm["conversations"][0]
        ids = {k["id"] for k in c["calls"]}
        root = [r for r in roots if ids & {attrs(x).get("gen_ai.tool.call.id")
                                           for x in turn_of(spans, r)}]
        check(len(root) == 1, "agent with %d calls has one root" % len(ids))
        pids = {x["resource"].get("process.pid") for x in turn_of(spans, root[0])}
        check(len(pids) == 1, "one process per turn: %r" % pids)
        mine = [t for t in truth_llm if ids & {k["id"] for k in t["tool_calls"]}]
        check_turn(spans, root[0], mine, c, "agent %d calls" % len(ids))


NODE_AGENT = os.path.join(CLIENTS, "node_agent.mjs")


def node_turn(spans, summary, where):
    """The one turn of node_agent.mjs: root -> 2 Responses calls + 1
    execute_tool; the follow-up (previous_response_id) links to it."""
    roots = [x for x in spans if attrs(x).get("gen_ai.operation.name") == "invoke_agent"]
    check(len(roots) == 1, "%s: one root: %r" % (where, [x["name"] for x in spans]))
    root = roots[0]
    check(not root["parent_span_id"] and attrs(root).get("gen_ai.agent.name") == SERVICE,
          "%s: root %r" % (where, root))
    mine = turn_of(spans, root)
    llm = sorted([s for s in mine if attrs(s).get("gen_ai.operation.name") == "chat"],
                 key=lambda s: s["start_time_unix_nano"])
    # (an MCP tools/call CLIENT span is an execute_tool operation too)
    tools = [s for s in mine if attrs(s).get("gen_ai.operation.name") == "execute_tool"
             and s["kind"] == 1]
    check(len(llm) == 2 and len(tools) == 1, "%s: spans %r" % (where, [s["name"] for s in mine]))
    check([attrs(s).get("gen_ai.response.id") for s in llm] ==
          [summary["first_id"], summary["final_id"]], "%s: response ids" % where)
    ex = tools[0]
    call = summary["calls"][0]
    check(attrs(ex).get("gen_ai.tool.call.id") == call["id"], "%s: call id %r" % (where, attrs(ex)))
    check(ex["parent_span_id"] == root["span_id"], "%s: execute_tool under the root" % where)
    check(all(s["parent_span_id"] == root["span_id"] for s in llm), "%s: LLM under root" % where)
    check(ex["start_time_unix_nano"] >= llm[0]["end_time_unix_nano"] and
          ex["end_time_unix_nano"] == llm[1]["start_time_unix_nano"], "%s: window" % where)
    links = [(l["span_id"], l["attributes"].get("gen_ai.tool.call.id"))
             for l in llm[1].get("link_list", [])]
    check(links == [(ex["span_id"], call["id"])], "%s: follow-up links %r" % (where, links))
    check(attrs(root).get("agentrace.graph.turn.end") == "final_answer", "%s: end" % where)
    check(attrs(ex).get("agentrace.graph.drift") == "unchanged",
          "%s: drift %r" % (where, attrs(ex)))
    return root, ex, mine


@test
def test_graph_node_openai_responses_previous_response_id():
    spans, truth, summ, _ = run_traced(
        ["node"], lambda m: [["node", NODE_AGENT, "--base", m.base, "--tool", "http"]])
    s = summ[0]
    check(s["ok"], "client %r" % s)
    root, ex, mine = node_turn(spans, s, "node responses")
    http = [x for x in mine if "url.full" in attrs(x)]
    check(len(http) == 1 and http[0]["parent_span_id"] == ex["span_id"],
          "tool call under execute_tool: %r" % [(x["name"], x["parent_span_id"]) for x in http])
    check(attrs(http[0]).get("agentrace.graph.tool.match") == "argument_values", "rule")
    check(len(spans) == 5, "nothing else: %r" % [x["name"] for x in spans])


@test
def test_graph_mcp_tools_call_is_child_of_execute_tool():
    spans, truth, summ, _ = run_traced(
        ["node"], lambda m: [["node", NODE_AGENT, "--base", m.base, "--tool", "mcp"]])
    s = summ[0]
    check(s["ok"], "client %r" % s)
    root, ex, mine = node_turn(spans, s, "node mcp")
    calls = [x for x in spans if attrs(x).get("mcp.method.name") == "tools/call"]
    check(len(calls) == 1, "one tools/call span: %r" % [x["name"] for x in spans])
    c = calls[0]
    check(c["trace_id"] == root["trace_id"] and c["parent_span_id"] == ex["span_id"],
          "tools/call is the child of execute_tool: %r" % c)
    check(attrs(c).get("agentrace.graph.tool.match") == "mcp_tool_name",
          "rule %r" % attrs(c).get("agentrace.graph.tool.match"))
    # the session set-up before the first model call belongs to no turn
    early = [x for x in spans if attrs(x).get("mcp.method.name") in ("initialize", "tools/list")]
    check(len(early) == 2 and all(x["trace_id"] != root["trace_id"] for x in early),
          "set-up outside the turn: %r" % [(x["name"], x["trace_id"]) for x in early])


WORKFLOW_AGENT = os.path.join(HERE, "agents", "workflow_agent.py")


@test
def test_graph_subagent_handoff_share():
    """An agent server hands its LLM's answer to a sub-agent server (an
    LLM-written payload); the sub-agent passes all of it, then (X-Cut) only
    a prefix, to its own LLM. The sub-agent's SERVER span says how much of
    the payload reached that first LLM input, against what the sub-agent
    reports it received and sent."""
    wd = Workdir("graph-handoff")
    rcv = Receiver(wd)
    mock = MockLLM(wd)
    procs, ar = [], None
    try:
        ports = {}
        for name in ("sub", "agent"):
            pf = wd.file(name + ".port")
            argv = [PY, WORKFLOW_AGENT, "--port-file", pf, "--mock", mock.base]
            if name == "agent":
                argv += ["--sub", "http://127.0.0.1:%d" % ports["sub"], "--delegate-answer"]
            procs.append(Proc(wd, name, argv, env=node_env(wd)))
            wait_for(lambda: os.path.exists(pf), what=name + " port")
            ports[name] = int(open(pf).read())
        sub_pid = procs[0].p.pid
        ar = Agentrace(wd, [a for p in procs for a in ("--pid", str(p.p.pid))],
                       env=node_env(wd, OTEL_EXPORTER_OTLP_ENDPOINT=rcv.endpoint))
        answers = []
        for cut in (0, 12):
            r = subprocess.run(["curl", "-sS", "--max-time", "60", "-X", "POST", "-d",
                                json.dumps({"task": "weather", "cut": cut}),
                                "http://127.0.0.1:%d/run" % ports["agent"]],
                               capture_output=True, timeout=90)
            check(r.returncode == 0, "curl: %r" % r.stderr)
            answers.append(json.loads(r.stdout)["sub"])
        time.sleep(1.0)
        ar.finish()
        spans, err = rcv.spans(), ar.err()
    finally:
        teardown(wd, ar, *procs, mock, rcv)
    served = sorted([s for s in spans if s["kind"] == 2 and
                     attrs(s).get("process.pid") == sub_pid],
                    key=lambda s: s["start_time_unix_nano"])
    check(len(served) == 2, "two sub-agent SERVER spans: %r" % [s["name"] for s in spans])
    whole, cut = (attrs(s) for s in served)
    check(whole.get("agentrace.graph.handoff") == "unchanged" and
          whole.get("agentrace.graph.handoff.share") == 1.0,
          "whole hand-off: %r" % whole)
    sent, task = answers[1]["sent"], " ".join(answers[1]["task"].split())
    check(len(sent) == 12 and task.startswith(sent), "sub-agent report %r" % answers[1])
    check(cut.get("agentrace.graph.handoff") == "truncated" and
          abs(cut.get("agentrace.graph.handoff.share", -1) - len(sent) / len(task)) < 1e-9,
          "cut hand-off: %r, want share %r" % (cut, len(sent) / len(task)))
    # and the agent's own two served /run requests (curl's "weather" task)
    check("handoffs=4 handoffs_unmatched=0 " in err, "stats: %s" % err[-1500:])


@test
def test_graph_lone_answer_is_a_turn_only_for_agents():
    """curl asks twice: offering a tool the model does not use (tool_choice
    none: answered in one call, a one-call turn rooted at invoke_agent),
    then a plain chat call (no tools: no agent, a root of its own)."""
    def body(tools):
        b = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
        if tools:
            b.update(tools=[{"type": "function", "function": {"name": "get_weather",
                                                               "parameters": {}}}],
                     tool_choice="none")
        return json.dumps(b)

    spans, truth, summ, err = run_traced(["curl"], lambda m: [
        ["curl", "-sS", "--fail", "-H", "Content-Type: application/json", "--data", body(t),
         m.base + "/v1/chat/completions"] for t in (True, False)])
    check([s["choices"][0]["finish_reason"] for s in summ] == ["stop", "stop"],
          "answers %r" % summ)
    llm = {attrs(s).get("gen_ai.response.id"): s for s in spans if s["kind"] == 3}
    agent, plain = (llm[s["id"]] for s in summ)
    roots = [s for s in spans if attrs(s).get("gen_ai.operation.name") == "invoke_agent"]
    check(len(roots) == 1 and len(spans) == 3, "spans %r" % [s["name"] for s in spans])
    root = roots[0]
    check(not root["parent_span_id"] and agent["parent_span_id"] == root["span_id"] and
          agent["trace_id"] == root["trace_id"], "the agent's call under its turn")
    a = attrs(root)
    check(a.get("agentrace.graph.turn.end") == "final_answer" and
          a.get("agentrace.graph.turn.llm_calls") == 1 and
          a.get("gen_ai.conversation.id") == attrs(agent).get("gen_ai.conversation.id") ==
          attrs(agent).get("agentrace.graph.input.hash"), "turn %r" % a)
    check(root["start_time_unix_nano"] == agent["start_time_unix_nano"] and
          root["end_time_unix_nano"] == agent["end_time_unix_nano"], "turn spans its call")
    check(not plain["parent_span_id"] and plain["trace_id"] != root["trace_id"],
          "the plain call is a root: %r" % plain)
