// SPDX-License-Identifier: MIT
/* Hand-offs to sub-agents: how much of a served request's payload reached
 * the sub-agent's first LLM input, set on its SERVER span; the share
 * measure on crafted unchanged, truncated and rewritten payloads. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "conn/stream.h"
#include "genai/call.h"
#include "genai/content.h"
#include "genai/semconv.h"
#include "graph/drift.h"
#include "graph/graph.h"
#include "graph/handoff.h"
#include "trace/semconv.h"
#include "trace/span.h"

#define TASK "Summarise the weather in Paris for a cyclist planning a long ride tomorrow morning"

static const uint8_t SERVER_ID[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static struct span *emitted[16];
static size_t n_emitted;

static void keep(void *ctx, struct span *s)
{
	(void)ctx;
	cr_assert_lt(n_emitted, 16);
	emitted[n_emitted++] = s;
}

static json_t *text_msg(const char *role, const char *text)
{
	json_t *parts = json_array();

	json_array_append_new(parts, genai_part__text(text, strlen(text), 1 << 20));
	return genai_msg__new(role, parts);
}

/* The sub-agent's LLM call with user message `user`, placed by the given
 * parent source under SERVER_ID, through the graph as span_path runs it. */
static struct span *llm_call(struct graph *g, const char *user, const char *source,
			     const json_t *req)
{
	struct conn_meta conn = { .tgid = 200, .conn_id = 7 };
	struct http_exchange x = { .conn = &conn };
	struct span *s = span__new("chat gpt-4o-mini", SPAN_KIND_CLIENT);
	struct genai_call c;

	genai_call__init(&c, true, 1 << 20);
	c.operation = SC_OP_CHAT;
	c.input_messages = json_array();
	json_array_append_new(c.input_messages, text_msg("system", "You are a terse sub-agent."));
	json_array_append_new(c.input_messages, text_msg("user", user));
	/* what span_build.c says of the request's "tools" */
	c.offers_tools = json_array_size(json_object_get(req, "tools")) > 0;
	c.n_choices = 1;
	c.choices[0].used = true;
	c.choices[0].finish_reason = strdup("stop");
	s->proc.pid = 200;
	s->start_ns = 1000;
	s->end_ns = 2000;
	graph__observe_llm(g, &c, req, s);
	genai_call__release(&c);
	graph__on_span(g, s, &x);
	memset(s->trace_id, 9, 16);
	memset(s->span_id, 10, 8);
	memcpy(s->parent_span_id, SERVER_ID, 8);
	cr_assert_eq(span__set_str(s, TS_PARENT_SOURCE, source), 0);
	graph__after_context(g, s);
	return s;
}

/* The SERVER span of the request with `body`, decided after the call. */
static struct span *served(struct graph *g, const char *body)
{
	struct conn_meta conn = { .tgid = 200, .conn_id = 8 };
	struct http_exchange x = { .conn = &conn, .inbound = true };
	struct span *s = span__new("POST /run", SPAN_KIND_SERVER);

	x.req.body = (const uint8_t *)body;
	x.req.body_len = strlen(body);
	s->proc.pid = 200;
	s->start_ns = 500;
	graph__on_span(g, s, &x);
	memset(s->trace_id, 9, 16);
	memcpy(s->span_id, SERVER_ID, 8);
	graph__after_context(g, s);
	return s;
}

/* Runs a hand-off: payload body -> sub-agent user message; returns the
 * SERVER span's class (NULL when unset) and share. */
static const char *handoff(const char *body, const char *user, const char *source,
			   double *share, uint64_t *measured)
{
	struct graph_cfg cfg = { .emit = keep };
	struct graph *g = graph__new(&cfg);
	struct span *llm, *srv;
	const struct attr *a, *sh;
	static char cls[32];
	struct graph_stats st;

	cr_assert_not_null(g);
	llm = llm_call(g, user, source, NULL);
	srv = served(g, body);
	a = span__get(srv, "agentrace.graph.handoff");
	sh = span__get(srv, "agentrace.graph.handoff.share");
	cr_assert_eq(!a, !sh, "class and share come together");
	snprintf(cls, sizeof(cls), "%s", a ? a->s : "");
	*share = sh ? sh->d : -1;
	graph__stats(g, &st);
	*measured = st.handoffs;
	graph__free(g);
	for (size_t i = 0; i < n_emitted; i++)
		span__free(emitted[i]);
	n_emitted = 0;
	span__free(llm);
	span__free(srv);
	return a ? cls : NULL;
}

Test(graph_handoff, unchanged_payload_reaches_the_sub_agent)
{
	double share;
	uint64_t n;
	const char *d = handoff("{\"task\": \"" TASK "\"}", "Task from the planner:\n  " TASK,
				TS_PARENT_SERVER, &share, &n);

	cr_assert_str_eq(d, "unchanged");
	cr_assert_float_eq(share, 1.0, 1e-9);
	cr_assert_eq(n, 1);
}

Test(graph_handoff, truncated_payload_gives_the_kept_share)
{
	double share;
	uint64_t n;
	char user[128];
	const char *d;

	/* the sub-agent keeps the first 40 bytes of the task */
	snprintf(user, sizeof(user), "Task: %.40s", TASK);
	d = handoff("{\"task\": \"" TASK "\", \"priority\": 2}", user, TS_PARENT_SERVER, &share,
		    &n);
	cr_assert_str_eq(d, "truncated");
	cr_assert_float_eq(share, 40.0 / (double)strlen(TASK), 1e-9);
}

Test(graph_handoff, rewritten_payload_is_transformed_with_its_shingle_share)
{
	double share;
	uint64_t n;
	const char *d = handoff("{\"task\": \"" TASK "\"}",
				"A cyclist asks: what is tomorrow morning's weather in Paris?",
				TS_PARENT_SERVER, &share, &n);

	cr_assert_str_eq(d, "transformed");
	cr_assert(share > 0 && share < 0.5, "share %f", share);
}

Test(graph_handoff, only_calls_placed_under_a_served_request)
{
	double share;
	uint64_t n;

	cr_assert_null(handoff("{\"task\": \"" TASK "\"}", TASK, TS_PARENT_OBSERVED, &share, &n));
	cr_assert_eq(n, 0);
}

static int measure(const char *body, const char *in, double *share)
{
	return handoff__measure(body, strlen(body), in, strlen(in), share);
}

Test(graph_handoff, measure_on_raw_text_and_several_values)
{
	const char *in = "plan: fly to Oslo on Monday\nbudget: 900 EUR and a window seat";
	double share = -1;

	/* a plain-text body is one value */
	cr_assert_eq(measure("fly to  Oslo\non Monday", in, &share), DRIFT_UNCHANGED);
	cr_assert_float_eq(share, 1.0, 1e-9);
	/* two values, one cut: the worst class, bytes over bytes */
	cr_assert_eq(measure("{\"a\":\"fly to Oslo on Monday\",\"b\":\"budget: 900 EUR "
			     "and an aisle seat please\"}", in, &share), DRIFT_TRUNCATED);
	/* all of a (21 bytes), "budget: 900 EUR and a" of b (21 of 40) */
	cr_assert_float_eq(share, (21.0 + 21.0) / (21.0 + 40.0), 1e-9);
	/* no text at all */
	cr_assert_eq(measure("{\"n\": 3}", in, &share), -ENOENT);
}

Test(graph_handoff, input_text_joins_instructions_messages_and_results)
{
	json_t *msgs = json_array(), *sys = json_array(), *parts = json_array();
	json_t *res = json_string("sunny, 21C");
	size_t len;
	char *t;

	json_array_append_new(sys, genai_part__text("Be  brief.", 10, 100));
	json_array_append_new(msgs, text_msg("user", "hello\n\nthere"));
	json_array_append_new(parts, genai_part__tool_response("c1", res, 100));
	json_decref(res); /* copied */
	json_array_append_new(msgs, genai_msg__new("tool", parts));
	t = handoff__input_text(msgs, sys, 1000, &len);
	cr_assert_str_eq(t, "Be brief. hello there sunny, 21C");
	cr_assert_eq(len, strlen(t));
	free(t);
	/* cut to max */
	t = handoff__input_text(msgs, sys, 12, &len);
	cr_assert_str_eq(t, "Be brief. h");
	free(t);
	json_decref(msgs);
	json_decref(sys);
}

/* A lone answer is a one-call turn when the request offered tools (an
 * agent's), and no turn at all for a plain chat call. */
Test(graph, lone_answer_is_a_turn_only_for_agents)
{
	struct graph_cfg cfg = { .emit = keep };
	json_t *agent = json_pack("{s:[{s:s}]}", "tools", "type", "function");
	json_t *bedrock = json_pack("{s:{s:[{}]}}", "toolConfig", "tools");
	const json_t *reqs[] = { NULL, agent, bedrock };

	for (size_t i = 0; i < 3; i++) {
		struct graph *g = graph__new(&cfg);
		struct span *s = llm_call(g, TASK, TS_PARENT_NONE, reqs[i]);

		graph__free(g);
		cr_assert_eq(n_emitted, i ? 1 : 0, "request %zu: %zu spans", i, n_emitted);
		if (i) {
			cr_assert_str_eq(emitted[0]->name, "invoke_agent ");
			cr_assert_str_eq(span__get(emitted[0], "agentrace.graph.turn.end")->s,
					 "final_answer");
			cr_assert_eq(span__get(emitted[0], "agentrace.graph.turn.llm_calls")->i, 1);
			span__free(emitted[0]);
		}
		n_emitted = 0;
		span__free(s);
	}
	json_decref(agent);
	json_decref(bedrock);
}
