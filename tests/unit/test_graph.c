// SPDX-License-Identifier: MIT
/* The causal graph on every provider's tool round trip (wire fixtures from
 * tests/fixtures/graph/gen_graph.py), fed whole and in random splits:
 * conversation hashes, turn boundaries, execute_tool windows, the child
 * and link rules, and drift. */
#include "graph_fixture.h"

#include "graph/drift.h"
#include "graph/norm.h"

#define SEEDS 8

struct rt {
	const struct span *root, *llm[4], *tool[4], *http[4];
	size_t n_llm, n_tool, n_http;
};

static void collect(const struct gx_run *r, struct rt *t)
{
	const struct span *roots[4];

	memset(t, 0, sizeof(*t));
	cr_assert_eq(gx_op(r, "invoke_agent", roots, 4), 1, "one invoke_agent");
	t->root = roots[0];
	t->n_llm = gx_op(r, "chat", t->llm, 4);
	t->n_llm += gx_op(r, "generate_content", t->llm + t->n_llm, 4 - t->n_llm);
	t->n_tool = gx_op(r, "execute_tool", t->tool, 4);
	for (size_t i = 0; i < r->n; i++)
		if (gx_str(r->spans[i], "url.full") && t->n_http < 4)
			t->http[t->n_http++] = r->spans[i];
}

/* The execute_tool span of call k: by wire id, or (no ids) by order. */
static const struct span *tool_for(const struct rt *t, json_t *ids, size_t k)
{
	const char *id = json_string_value(json_array_get(ids, k));

	for (size_t i = 0; i < t->n_tool; i++)
		if (id ? gx_str(t->tool[i], "gen_ai.tool.call.id") &&
				 !strcmp(gx_str(t->tool[i], "gen_ai.tool.call.id"), id)
		       : i == k)
			return t->tool[i];
	return NULL;
}

static void check_round_trip(const char *cas, uint64_t seed, const char *drift)
{
	json_t *fx = gx_load(cas), *exp = json_object_get(fx, "expect");
	json_t *ids = json_object_get(exp, "ids"), *cities = json_object_get(exp, "cities");
	struct gx_run r;
	struct rt t;

	gx_start(&r, fx, seed, false, 0, 0);
	gx_finish(&r);
	collect(&r, &t);
	cr_assert_eq(r.n, 7, "%s/%" PRIu64 ": %zu spans", cas, seed, r.n);
	cr_assert_eq(t.n_llm, 2, "%s: LLM spans", cas);
	cr_assert_eq(t.n_tool, 2, "%s: execute_tool spans", cas);
	cr_assert_eq(t.n_http, 2, "%s: tool HTTP spans", cas);
	for (size_t i = 0; i < r.n; i++)
		cr_assert_arr_eq(r.spans[i]->trace_id, t.root->trace_id, 16, "%s: one trace", cas);
	cr_assert_eq(t.root->kind, SPAN_KIND_INTERNAL);
	cr_assert_str_eq(t.root->name, "invoke_agent weather-agent");
	cr_assert_str_eq(gx_str(t.root, "gen_ai.agent.name"), "weather-agent");
	cr_assert_str_eq(gx_str(t.root, "agentrace.graph.turn.end"), "final_answer", "%s", cas);
	cr_assert_eq(t.root->start_ns, t.llm[0]->start_ns);
	cr_assert_eq(t.root->end_ns, t.llm[1]->end_ns);
	for (size_t i = 0; i < 2; i++) {
		cr_assert_arr_eq(t.llm[i]->parent_span_id, t.root->span_id, 8, "%s: LLM parent", cas);
		cr_assert_str_eq(gx_str(t.llm[i], "gen_ai.conversation.id"),
				 gx_str(t.root, "gen_ai.conversation.id"), "%s", cas);
		cr_assert_eq(strlen(gx_str(t.llm[i], "agentrace.graph.input.hash")), 16);
	}
	cr_assert_eq(t.llm[1]->n_links, 2, "%s: the consuming call links both tools", cas);
	for (size_t k = 0; k < 2; k++) {
		const struct span *ex = tool_for(&t, ids, k), *h = NULL;
		const char *id = json_string_value(json_array_get(ids, k));
		const char *city = json_string_value(json_array_get(cities, k));
		const struct attr *la;

		cr_assert_not_null(ex, "%s: execute_tool for call %zu", cas, k);
		cr_assert_str_eq(ex->name, "execute_tool get_weather");
		cr_assert_str_eq(gx_str(ex, "gen_ai.tool.name"), "get_weather");
		cr_assert_str_eq(gx_str(ex, "gen_ai.tool.type"), "function");
		if (!id)
			cr_assert_null(gx_str(ex, "gen_ai.tool.call.id"), "%s: no id on the wire", cas);
		cr_assert_arr_eq(ex->parent_span_id, t.root->span_id, 8);
		/* from the end of the asking response to the consuming request */
		cr_assert_eq(ex->start_ns, t.llm[0]->end_ns, "%s: window start", cas);
		cr_assert_eq(ex->end_ns, t.llm[1]->start_ns, "%s: window end", cas);
		cr_assert_eq(ex->status, SPAN_STATUS_UNSET);
		for (size_t i = 0; i < 2; i++)
			if (strstr(gx_str(t.http[i], "url.full"), city))
				h = t.http[i];
		cr_assert_not_null(h);
		cr_assert_arr_eq(h->parent_span_id, ex->span_id, 8, "%s: %s under its call", cas,
				 city);
		cr_assert_str_eq(gx_str(h, "agentrace.graph.tool.match"), "argument_values");
		cr_assert_arr_eq(t.llm[1]->links[k].span_id, tool_for(&t, ids, k)->span_id, 8,
				 "%s: link %zu", cas, k);
		la = attrs__get(&t.llm[1]->links[k].attrs, "gen_ai.tool.call.id");
		if (id)
			cr_assert_str_eq(la->s, id);
		else
			cr_assert_null(la);
		cr_assert_str_eq(gx_str(ex, "agentrace.graph.drift"), k == 0 ? drift : "unchanged",
				 "%s: drift of call %zu", cas, k);
	}
	cr_assert_eq(t.llm[0]->n_links, 0);
	gx_release(&r);
	json_decref(fx);
}

/* Whole and every random split give the same graph, byte for byte. */
static void check_splits(const char *cas)
{
	json_t *fx = gx_load(cas);
	struct gx_run r;
	char *whole, *split;

	gx_start(&r, fx, 0, false, 0, 0);
	gx_finish(&r);
	whole = gx_render(&r);
	gx_release(&r);
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		check_round_trip(cas, seed, "unchanged");
		gx_start(&r, fx, seed, false, 0, 0);
		gx_finish(&r);
		split = gx_render(&r);
		cr_assert_str_eq(split, whole, "%s: seed %" PRIu64 " differs", cas, seed);
		free(split);
		gx_release(&r);
	}
	free(whole);
	json_decref(fx);
}

Test(graph, openai_chat_round_trip)
{
	check_round_trip("openai_chat", 0, "unchanged");
	check_splits("openai_chat");
}

Test(graph, openai_responses_previous_response_id)
{
	check_round_trip("openai_responses", 0, "unchanged");
	check_splits("openai_responses");
}

Test(graph, anthropic_tool_use_round_trip)
{
	check_round_trip("anthropic", 0, "unchanged");
	check_splits("anthropic");
}

Test(graph, gemini_function_call_round_trip)
{
	check_round_trip("gemini", 0, "unchanged");
	check_splits("gemini");
}

Test(graph, bedrock_tool_use_round_trip)
{
	check_round_trip("bedrock", 0, "unchanged");
	check_splits("bedrock");
}

Test(graph, ollama_tool_calls_round_trip)
{
	check_round_trip("ollama", 0, "unchanged");
	check_splits("ollama");
}

/* Key order and whitespace of the requests change nothing the graph says. */
Test(graph, hashes_survive_key_reordering)
{
	json_t *a = gx_load("openai_chat"), *b = gx_load("openai_chat_reordered");
	struct gx_run ra, rb;
	char *sa, *sb;

	gx_start(&ra, a, 0, false, 0, 0);
	gx_finish(&ra);
	gx_start(&rb, b, 3, false, 0, 0);
	gx_finish(&rb);
	sa = gx_render(&ra);
	sb = gx_render(&rb);
	cr_assert(strstr(sa, "agentrace.graph.input.hash="), "%s", sa);
	cr_assert_str_eq(sa, sb);
	free(sa);
	free(sb);
	gx_release(&ra);
	gx_release(&rb);
	json_decref(a);
	json_decref(b);
}

static double drift_share(const char *cas, const char **kind)
{
	json_t *fx = gx_load(cas);
	struct gx_run r;
	struct rt t;
	const struct attr *a;
	double share;

	gx_start(&r, fx, 0, true, 0, 0);
	gx_finish(&r);
	collect(&r, &t);
	*kind = strdup(gx_str(tool_for(&t, json_object_get(json_object_get(fx, "expect"), "ids"), 0),
			      "agentrace.graph.drift"));
	a = span__get(tool_for(&t, json_object_get(json_object_get(fx, "expect"), "ids"), 0),
		      "agentrace.graph.drift.share");
	cr_assert(a && a->type == ATTR_DOUBLE);
	share = a->d;
	gx_release(&r);
	json_decref(fx);
	return share;
}

Test(graph, drift_truncated_and_rewritten)
{
	const char *kind;
	double s;

	check_round_trip("openai_chat_truncated", 5, "truncated");
	s = drift_share("openai_chat_truncated", &kind);
	cr_assert_str_eq(kind, "truncated");
	cr_assert_float_eq(s, 40.0 / 74.0, 1e-9, "share %f", s);
	free((void *)kind);
	s = drift_share("anthropic_truncated", &kind);
	cr_assert_str_eq(kind, "truncated");
	cr_assert_float_eq(s, 40.0 / 74.0, 1e-9, "anthropic share %f", s);
	free((void *)kind);
	check_round_trip("openai_chat_rewritten", 2, "transformed");
	s = drift_share("openai_chat_rewritten", &kind);
	cr_assert_str_eq(kind, "transformed");
	cr_assert(s < 0.5, "a rewrite keeps little of the output: %f", s);
	free((void *)kind);
}

Test(graph, content_only_with_capture)
{
	json_t *fx = gx_load("openai_chat");
	struct gx_run r;
	struct rt t;

	gx_start(&r, fx, 0, true, 0, 0);
	gx_finish(&r);
	collect(&r, &t);
	cr_assert_str_eq(gx_str(t.tool[0], "gen_ai.tool.call.arguments"), "{\"city\": \"Paris\"}");
	cr_assert(strstr(gx_str(t.tool[0], "gen_ai.tool.call.result"), "\"temp_c\":18"));
	gx_release(&r);
	gx_start(&r, fx, 0, false, 0, 0);
	gx_finish(&r);
	collect(&r, &t);
	cr_assert_null(gx_str(t.tool[0], "gen_ai.tool.call.arguments"));
	cr_assert_null(gx_str(t.tool[0], "gen_ai.tool.call.result"));
	gx_release(&r);
	json_decref(fx);
}

/* A new user message after the final answer starts a new turn; answered
 * without tools (but offered them), it is a one-call turn of its own, in
 * the same conversation. */
Test(graph, turn_boundaries)
{
	json_t *fx = gx_load("openai_chat_two_turns");
	const struct span *roots[4], *llm[4];
	struct gx_run r;

	gx_start(&r, fx, 0, false, 0, 0);
	gx_finish(&r);
	cr_assert_eq(gx_op(&r, "invoke_agent", roots, 4), 2);
	cr_assert_eq(gx_op(&r, "chat", llm, 4), 3);
	cr_assert_str_eq(gx_str(roots[0], "agentrace.graph.turn.end"), "final_answer");
	cr_assert_str_eq(gx_str(roots[1], "agentrace.graph.turn.end"), "final_answer");
	cr_assert_arr_eq(llm[0]->parent_span_id, roots[0]->span_id, 8);
	cr_assert_arr_eq(llm[1]->parent_span_id, roots[0]->span_id, 8);
	cr_assert_arr_eq(llm[2]->parent_span_id, roots[1]->span_id, 8, "the lone answer's turn");
	cr_assert_arr_eq(llm[2]->trace_id, roots[1]->trace_id, 16);
	cr_assert(memcmp(roots[1]->trace_id, roots[0]->trace_id, 16), "a trace of its own");
	for (int i = 0; i < 8; i++)
		cr_assert_eq(roots[1]->parent_span_id[i], 0, "a root");
	cr_assert_eq(roots[1]->start_ns, llm[2]->start_ns);
	cr_assert_eq(roots[1]->end_ns, llm[2]->end_ns);
	cr_assert_str_eq(gx_str(roots[0], "gen_ai.conversation.id"),
			 gx_str(llm[2], "gen_ai.conversation.id"));
	cr_assert_str_eq(gx_str(roots[1], "gen_ai.conversation.id"),
			 gx_str(llm[2], "gen_ai.conversation.id"));
	cr_assert_eq(span__get(roots[0], "agentrace.graph.turn.llm_calls")->i, 2);
	cr_assert_eq(span__get(roots[1], "agentrace.graph.turn.llm_calls")->i, 1);
	cr_assert_eq(span__get(roots[1], "agentrace.graph.turn.tool_calls")->i, 0);
	gx_release(&r);
	json_decref(fx);
}

/* The second result never comes back: an ERROR execute_tool at turn end. */
Test(graph, never_executed_is_an_error)
{
	json_t *fx = gx_load("openai_chat_partial");
	const struct span *tools[4], *roots[1] = { NULL };
	struct gx_run r;

	gx_start(&r, fx, 0, false, 0, 0);
	gx_finish(&r);
	cr_assert_eq(gx_op(&r, "execute_tool", tools, 4), 2);
	cr_assert_eq(gx_op(&r, "invoke_agent", roots, 1), 1);
	cr_assert_eq(tools[0]->status, SPAN_STATUS_UNSET);
	cr_assert_str_eq(gx_str(tools[1], "gen_ai.tool.call.id"), "call_B2");
	cr_assert_eq(tools[1]->status, SPAN_STATUS_ERROR);
	cr_assert_str_eq(gx_str(tools[1], "error.type"), "tool_not_executed");
	cr_assert_eq(tools[1]->end_ns, roots[0]->end_ns);
	gx_release(&r);
	json_decref(fx);
}

/* A turn whose process goes quiet ends by timeout, its open calls unexecuted. */
Test(graph, idle_timeout_ends_the_turn)
{
	json_t *fx = gx_load("openai_chat");
	const struct span *roots[1] = { NULL }, *tools[4];
	struct graph_stats st;
	struct gx_run r;

	gx_start(&r, fx, 0, false, 1, 100);
	cr_assert_eq(gx_op(&r, "invoke_agent", roots, 1), 0, "still open");
	graph__tick(r.gr, 1500000000ull + 50000000ull); /* 50 ms after the answer */
	cr_assert_eq(gx_op(&r, "invoke_agent", roots, 1), 0, "not idle yet");
	graph__tick(r.gr, 1500000000ull + 200000000ull);
	cr_assert_eq(gx_op(&r, "invoke_agent", roots, 1), 1);
	cr_assert_str_eq(gx_str(roots[0], "agentrace.graph.turn.end"), "idle_timeout");
	cr_assert_eq(gx_op(&r, "execute_tool", tools, 4), 2);
	cr_assert_eq(tools[0]->status, SPAN_STATUS_ERROR);
	graph__stats(r.gr, &st);
	cr_assert_eq(st.turns_timeout, 1);
	cr_assert_eq(st.tools_not_executed, 2);
	gx_finish(&r);
	gx_release(&r);
	json_decref(fx);
}

/* ---- the pure parts ---- */

Test(graph, normal_form_ignores_key_order_and_whitespace)
{
	size_t a, b;
	const char *in1 = "{\"b\": [1, 2], \"a\": {\"y\": 1, \"x\": \"s\"}}";
	const char *in2 = " {\n \"a\":{\"x\":\"s\",\"y\":1},\n\t\"b\":[1,2]}\n";
	char *x = norm__text(in1, strlen(in1), &a);
	char *y = norm__text(in2, strlen(in2), &b);
	char *z = norm__text("  two\n\twords  ", 14, &a);

	cr_assert_str_eq(x, y);
	cr_assert_str_eq(x, "{\"a\":{\"x\":\"s\",\"y\":1},\"b\":[1,2]}");
	cr_assert_str_eq(z, "two words");
	free(x);
	free(y);
	free(z);
}

Test(graph, message_hash_ignores_key_order_not_content)
{
	json_t *m1 = json_loads("{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\","
				"\"id\":\"c1\",\"response\":\"{\\\"a\\\":1,\\\"b\\\":2}\"}]}", 0, NULL);
	json_t *m2 = json_loads("{\"parts\":[{\"response\":{\"b\":2,\"a\":1},\"id\":\"c1\","
				"\"type\":\"tool_call_response\"}],\"role\":\"tool\"}", 0, NULL);
	json_t *m3 = json_loads("{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\","
				"\"id\":\"c2\",\"response\":{\"b\":2,\"a\":1}}]}", 0, NULL);

	cr_assert_neq(norm__msg_hash(m1), 0);
	cr_assert_eq(norm__msg_hash(m1), norm__msg_hash(m2));
	cr_assert_neq(norm__msg_hash(m1), norm__msg_hash(m3), "the call id counts");
	cr_assert_neq(norm__roll(1, 2), norm__roll(2, 1));
	json_decref(m1);
	json_decref(m2);
	json_decref(m3);
}

Test(graph, drift_classes_and_share)
{
	const char *out = "{\"city\":\"Paris\",\"temp_c\":18,\"conditions\":\"sunny\"}";
	double s = -1;

	const char *same = "{ \"conditions\": \"sunny\", \"temp_c\": 18, \"city\": \"Paris\" }";
	const char *marked = "{\"city\":\"Paris\",\"te...[truncated]";
	const char *inside = "Tool said: {\"city\":\"Paris\",\"temp_c\":18,\"conditions\":\"sunny\"} "
			     "(cached)";

	cr_assert_eq(drift__compare(out, strlen(out), same, strlen(same), &s), DRIFT_UNCHANGED);
	cr_assert_float_eq(s, 1.0, 1e-12);
	cr_assert_eq(drift__compare(out, strlen(out), out, 20, &s), DRIFT_TRUNCATED);
	cr_assert_float_eq(s, 20.0 / strlen(out), 1e-12);
	cr_assert_eq(drift__compare(out, strlen(out), marked, strlen(marked), &s), DRIFT_TRUNCATED,
		     "a cut with a marker");
	cr_assert_float_eq(s, 19.0 / strlen(out), 1e-12);
	cr_assert_eq(drift__compare(out, strlen(out), "Paris: 18 C, sunny", 18, &s),
		     DRIFT_TRANSFORMED);
	cr_assert(s >= 0 && s < 0.3, "%f", s);
	/* the whole output inside a longer message: transformed, all of it kept */
	cr_assert_eq(drift__compare(out, strlen(out), inside, strlen(inside), &s), DRIFT_TRANSFORMED);
	cr_assert_float_eq(s, 1.0, 1e-12);
}

/* Inside an enclosing context (the requests carry its traceparent, as a
 * served request's calls do): the turn joins that trace, invoke_agent
 * under the enclosing span, the calls and tools still under the turn. */
Test(graph, turn_joins_an_enclosing_context)
{
	static const uint8_t trace[16] = { 0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd,
					   0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c };
	static const uint8_t parent[8] = { 0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31 };
	json_t *fx = gx_load("openai_chat_in_context");
	struct gx_run r;
	struct rt t;

	gx_start(&r, fx, 0, false, 0, 0);
	gx_finish(&r);
	collect(&r, &t);
	cr_assert_eq(r.n, 7);
	for (size_t i = 0; i < r.n; i++)
		cr_assert_arr_eq(r.spans[i]->trace_id, trace, 16, "%s in the enclosing trace",
				 r.spans[i]->name);
	cr_assert_arr_eq(t.root->parent_span_id, parent, 8, "invoke_agent under the enclosing span");
	for (size_t i = 0; i < 2; i++) {
		cr_assert_arr_eq(t.llm[i]->parent_span_id, t.root->span_id, 8);
		cr_assert_arr_eq(t.tool[i]->parent_span_id, t.root->span_id, 8);
	}
	for (size_t i = 0; i < 2; i++) {
		const struct span *p = gx_find(&r, t.http[i]->parent_span_id);

		cr_assert(p && !strcmp(p->name, "execute_tool get_weather"), "tool call under its window");
	}
	cr_assert_eq(t.llm[1]->n_links, 2);
	cr_assert_arr_eq(t.llm[1]->links[0].trace_id, trace, 16, "links point into the trace");
	gx_release(&r);
	json_decref(fx);
}

/* Eviction goes by last use, not by age: the first agent's conversation,
 * continued (its turn answered) after 100 others began, outlives the next
 * agents' untouched ones; so every evicted conversation still has its
 * turn open, and the first evicted is the second agent's. */
Test(graph, the_least_recently_used_conversation_is_evicted)
{
	json_t *fx = gx_load("openai_chat"), *steps = json_array();
	json_t *first = json_array_get(json_object_get(fx, "steps"), 0);
	json_t *answer = json_array_get(json_object_get(fx, "steps"), 3);
	const size_t n = GRAPH_MAX_CONVS + 44;
	struct graph_stats st;
	struct gx_run *r = calloc(1, sizeof(*r));
	const struct span *evicted = NULL;

	for (size_t i = 0; i < n; i++) {
		json_t *s = json_deep_copy(first);

		json_object_set_new(s, "tgid", json_integer(1000 + i));
		json_array_append_new(steps, s);
		if (i == 100) {
			s = json_deep_copy(answer);
			json_object_set_new(s, "tgid", json_integer(1000));
			json_array_append_new(steps, s);
		}
	}
	json_object_set_new(fx, "steps", steps);
	gx_start(r, fx, 0, false, 0, 86400000); /* no idle ends in 300 s */
	graph__stats(r->gr, &st);
	cr_assert_eq(st.conversations, n, "the answer continued the first conversation");
	cr_assert_eq(st.turns_evicted, n - GRAPH_MAX_CONVS, "no answered one was evicted");
	for (size_t i = 0; i < r->n && !evicted; i++)
		if (gx_str(r->spans[i], "agentrace.graph.turn.end") &&
		    !strcmp(gx_str(r->spans[i], "agentrace.graph.turn.end"), "evicted"))
			evicted = r->spans[i];
	cr_assert_not_null(evicted);
	cr_assert_eq(evicted->proc.pid, 1001);
	gx_finish(r);
	gx_release(r);
	free(r);
	json_decref(fx);
}

/* Memory stays bounded: past GRAPH_MAX_CONVS conversations the least
 * recently used one is evicted, its open turn ended and counted. */
Test(graph, conversations_are_capped_and_evictions_counted)
{
	json_t *fx = gx_load("openai_chat"), *steps = json_array();
	json_t *first = json_array_get(json_object_get(fx, "steps"), 0);
	const size_t n = GRAPH_MAX_CONVS + 44;
	const struct span *roots[1] = { NULL };
	struct graph_stats st;
	struct gx_run *r = calloc(1, sizeof(*r));
	size_t ended = 0;

	/* the first call of one agent per process: each asks for two tools */
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_deep_copy(first);

		json_object_set_new(s, "tgid", json_integer(1000 + i));
		json_array_append_new(steps, s);
	}
	json_object_set_new(fx, "steps", steps);
	gx_start(r, fx, 0, false, 0, 86400000); /* no idle ends in 300 s */
	graph__stats(r->gr, &st);
	cr_assert_eq(st.conversations, n);
	cr_assert_eq(st.turns_evicted, n - GRAPH_MAX_CONVS);
	cr_assert_eq(st.tools_not_executed, 2 * (n - GRAPH_MAX_CONVS));
	for (size_t i = 0; i < r->n; i++)
		if (gx_str(r->spans[i], "agentrace.graph.turn.end") &&
		    !strcmp(gx_str(r->spans[i], "agentrace.graph.turn.end"), "evicted"))
			ended++;
	cr_assert_eq(ended, n - GRAPH_MAX_CONVS);
	cr_assert_eq(gx_op(r, "invoke_agent", roots, 1), 1);
	cr_assert_eq(roots[0]->proc.pid, 1000, "the least recently used goes first");
	gx_finish(r); /* the rest end at shutdown */
	gx_release(r);
	free(r);
	json_decref(fx);
}

/* A copy of fixture step i with `from` replaced by `to` (same length) in
 * its request. */
static json_t *step_with(json_t *fx, size_t i, const char *from, const char *to)
{
	json_t *st = json_deep_copy(json_array_get(json_object_get(fx, "steps"), i));
	char *q = strdup(json_string_value(json_object_get(st, "c2s"))), *p = strstr(q, from);

	cr_assert(p && strlen(from) == strlen(to));
	memcpy(p, to, strlen(to));
	json_object_set_new(st, "c2s", json_string(q));
	free(q);
	return st;
}

static json_t *tool_step(const char *c2s, const char *s2c)
{
	return json_pack("{s:s,s:s}", "c2s", c2s, "s2c", s2c);
}

static const struct span *span_named(const struct gx_run *r, const char *name, size_t nth)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->spans[i]->name, name) && nth-- == 0)
			return r->spans[i];
	return NULL;
}

static const struct span *tool_by_id(const struct gx_run *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->spans[i]->name, "execute_tool get_weather") &&
		    !strcmp(gx_str(r->spans[i], "gen_ai.tool.call.id") ?: "", id))
			return r->spans[i];
	return NULL;
}

#define MCP_CALL                                                                            \
	"POST /mcp HTTP/1.1\r\nHost: tools.example.com:8080\r\nContent-Type: application/json\r\n" \
	"Accept: application/json, text/event-stream\r\nContent-Length: 106\r\n\r\n"             \
	"{\"method\":\"tools/call\",\"params\":{\"name\":\"get_weather\",\"arguments\":{\"city\":" \
	"\"Lyon\"}},\"jsonrpc\":\"2.0\",\"id\":2}"
#define MCP_RESULT                                                                          \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 98\r\n\r\n"        \
	"{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\",\"text\":"   \
	"\"Lyon: 12C\"}],\"isError\":false}}"
#define PLAIN_CALL "GET /current HTTP/1.1\r\nHost: tools.example.com:8080\r\n\r\n"
#define PLAIN_RESULT                                                                        \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"

/* The child rules after the argument values (the round trips): an MCP
 * tools/call naming the tool goes to that tool's first window without a
 * child, a call carrying no argument value to the next window in order,
 * and, while two turns of the process have windows open, such a call is
 * nobody's child: it keeps its ordinary parent, with no rule recorded. */
Test(graph, child_rules_mcp_name_order_and_none)
{
	json_t *fx = gx_load("openai_chat"), *mine = json_object(), *steps = json_array();
	const struct span *mcp, *plain, *ex;
	struct gx_run r;

	/* one turn: the LLM asks for call_A1 and call_B2; an MCP call and a
	 * plain call follow, neither carrying "Paris" or "Oslo" */
	json_array_append_new(steps, json_deep_copy(json_array_get(json_object_get(fx, "steps"), 0)));
	json_array_append_new(steps, tool_step(MCP_CALL, MCP_RESULT));
	json_array_append_new(steps, tool_step(PLAIN_CALL, PLAIN_RESULT));
	json_object_set_new(mine, "steps", steps);
	gx_start(&r, mine, 0, false, 0, 0);
	gx_finish(&r);
	mcp = span_named(&r, "tools/call get_weather", 0);
	plain = span_named(&r, "GET", 0);
	cr_assert(mcp && plain, "%zu spans", r.n);
	ex = tool_by_id(&r, "call_A1");
	cr_assert_not_null(ex);
	cr_assert_arr_eq(mcp->parent_span_id, ex->span_id, 8, "MCP call under call_A1");
	cr_assert_str_eq(gx_str(mcp, "agentrace.graph.tool.match"), "mcp_tool_name");
	ex = tool_by_id(&r, "call_B2");
	cr_assert_not_null(ex);
	cr_assert_arr_eq(plain->parent_span_id, ex->span_id, 8, "plain call under call_B2");
	cr_assert_str_eq(gx_str(plain, "agentrace.graph.tool.match"), "order");
	cr_assert_str_eq(gx_str(plain, "agentrace.parent.source"), "execute_tool");
	gx_release(&r);

	/* two conversations of one process (another city in the second user
	 * message), both with windows open: a plain call is nobody's */
	steps = json_array();
	json_array_append_new(steps, json_deep_copy(json_array_get(json_object_get(fx, "steps"), 0)));
	json_array_append_new(steps, step_with(fx, 0, "Paris and", "Turin and"));
	json_array_append_new(steps, tool_step(PLAIN_CALL, PLAIN_RESULT));
	json_object_set(mine, "steps", steps);
	json_decref(steps);
	gx_start(&r, mine, 0, false, 0, 0);
	gx_finish(&r);
	cr_assert_eq(gx_op(&r, "invoke_agent", (const struct span *[4]){ 0 }, 4), 2,
		     "two conversations, two turns");
	plain = span_named(&r, "GET", 0);
	cr_assert_not_null(plain);
	cr_assert_null(gx_str(plain, "agentrace.graph.tool.match"));
	cr_assert_str_neq(gx_str(plain, "agentrace.parent.source") ?: "", "execute_tool");
	for (size_t i = 0; i < r.n; i++)
		if (!strcmp(r.spans[i]->name, "execute_tool get_weather"))
			cr_assert_arr_neq(plain->parent_span_id, r.spans[i]->span_id, 8);
	gx_release(&r);
	json_decref(mine);
	json_decref(fx);
}

static json_t *user_text(const char *s)
{
	return json_pack("{s:s,s:[{s:s,s:s}]}", "role", "user", "parts", "type", "text", "content", s);
}

/* A message's hash does not see whitespace runs: random text with spaces,
 * tabs, newlines and runs of them at every offset hashes like its normal
 * form (norm__ws), which the word-at-a-time scan must not change. */
Test(graph, message_hash_collapses_whitespace_at_any_offset)
{
	static const char alphabet[] = "abcdefgh \t\n  \r\x01.";
	uint64_t x = 88172645463325252ull;
	char s[200];

	for (int round = 0; round < 3000; round++) {
		size_t n = 1 + round % 150, len;
		json_t *a, *b;
		char *normal;

		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			s[i] = alphabet[x % (sizeof(alphabet) - 1)];
		}
		s[0] = 'w'; /* text, not JSON */
		s[n] = '\0';
		normal = norm__ws(s, n, &len);
		a = user_text(s);
		b = user_text(normal);
		cr_assert(a && b);
		cr_assert_neq(norm__msg_hash(a), 0);
		cr_assert_eq(norm__msg_hash(a), norm__msg_hash(b), "round %d: \"%s\"", round, s);
		json_decref(a);
		json_decref(b);
		free(normal);
	}
}
