// SPDX-License-Identifier: MIT
/* Tail sampling: every rule kept and dropped, the p99 estimator, bounded
 * buffers, trace-id agreement and the config file. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jyaml.h"
#include "sample/config.h"
#include "sample/p99.h"
#include "sample/sampler.h"

#define MS 1000000ull

struct sink {
	struct span *v[4096];
	size_t n;
};

static int to_sink(void *ctx, struct span *s)
{
	struct sink *k = ctx;

	cr_assert_lt(k->n, 4096);
	k->v[k->n++] = s;
	return 0;
}

static void sink_clear(struct sink *k)
{
	for (size_t i = 0; i < k->n; i++)
		span__free(k->v[i]);
	k->n = 0;
}

static struct span *mk(uint32_t trace, uint8_t span_id, uint8_t parent, const char *name)
{
	struct span *s = span__new(name, SPAN_KIND_CLIENT);

	cr_assert_not_null(s);
	memset(s->trace_id, 0, 16);
	memcpy(s->trace_id, &trace, sizeof(trace));
	s->span_id[7] = span_id;
	s->parent_span_id[7] = parent;
	s->start_ns = 1000 * MS;
	s->end_ns = 1100 * MS;
	return s;
}

static struct span *llm(uint32_t trace, uint8_t id, uint8_t parent, const char *finish)
{
	struct span *s = mk(trace, id, parent, "chat gpt-4o");
	const char *fr[] = { finish };

	span__set_str(s, "gen_ai.operation.name", "chat");
	span__set_str(s, "gen_ai.provider.name", "openai");
	span__set_str(s, "gen_ai.request.model", "gpt-4o");
	span__set_int(s, "gen_ai.usage.input_tokens", 10);
	span__set_int(s, "gen_ai.usage.output_tokens", 5);
	attrs__set_str_array(&s->attrs, "gen_ai.response.finish_reasons", fr, 1);
	return s;
}

static struct span *tool(uint32_t trace, uint8_t id, uint8_t parent, uint64_t dur_ms, int status)
{
	struct span *s = mk(trace, id, parent, "GET");

	span__set_str(s, "http.request.method", "GET");
	span__set_str(s, "url.full", "https://api.weather.test/v1/weather?city=Paris");
	span__set_str(s, "server.address", "api.weather.test");
	span__set_int(s, "http.response.status_code", status);
	s->end_ns = s->start_ns + dur_ms * MS;
	return s;
}

static struct sampler *new_sampler(struct sink *k, double rate)
{
	struct sample_cfg c;
	struct sampler *sm;

	sample_cfg__init(&c);
	c.rate = rate;
	c.settle_ms = 100;
	c.max_wait_ms = 1000;
	sm = sampler__new(&c, to_sink, k);
	cr_assert_not_null(sm);
	return sm;
}

/* The rules attribute on the kept root, or NULL. */
static const struct attr *rules_of(struct sink *k)
{
	for (size_t i = 0; i < k->n; i++) {
		const struct attr *a = span__get(k->v[i], SAMPLING_RULES_ATTR);

		if (a)
			return a;
	}
	return NULL;
}

static bool has_rule(struct sink *k, const char *rule)
{
	const struct attr *a = rules_of(k);

	for (size_t i = 0; a && i < a->arr.n; i++)
		if (!strcmp(a->arr.v[i], rule))
			return true;
	return false;
}

static struct sink sink;

Test(sample_rules, normal_trace_dropped_at_rate_zero)
{
	struct sampler *sm = new_sampler(&sink, 0);
	struct sampler_stats st;

	sampler__submit(sm, llm(1, 1, 0, "stop"), 0);
	sampler__tick(sm, 50 * MS);
	cr_assert_eq(sink.n, 0, "held until the root settles");
	sampler__tick(sm, 200 * MS);
	cr_assert_eq(sink.n, 0);
	sampler__stats(sm, &st);
	cr_assert_eq(st.traces_dropped, 1);
	cr_assert_eq(st.spans_dropped, 1);
	sampler__free(sm);
}

Test(sample_rules, finish_reason_length_kept)
{
	struct sampler *sm = new_sampler(&sink, 0);

	sampler__submit(sm, llm(1, 1, 0, "length"), 0);
	sampler__submit(sm, llm(2, 1, 0, "content_filter"), 0);
	sampler__submit(sm, llm(3, 1, 0, "end_turn"), 0);
	sampler__tick(sm, 200 * MS);
	cr_assert_eq(sink.n, 2);
	cr_assert(has_rule(&sink, "finish_reason"));
	sink_clear(&sink);
	sampler__free(sm);
}

Test(sample_rules, unanswered_tool_calls_in_a_workflow)
{
	struct sampler *sm = new_sampler(&sink, 0);
	struct span *root = mk(1, 1, 0, "invoke_agent");
	struct span *root2 = mk(2, 1, 0, "invoke_agent");

	span__set_str(root, "gen_ai.operation.name", "invoke_agent");
	span__set_str(root2, "gen_ai.operation.name", "invoke_agent");
	/* trace 1: tools asked for, never called */
	sampler__submit(sm, llm(1, 2, 1, "tool_calls"), 0);
	sampler__submit(sm, root, 0);
	/* trace 2: asked for, answered by a tool and a final LLM call */
	sampler__submit(sm, llm(2, 2, 1, "tool_calls"), 0);
	sampler__submit(sm, tool(2, 3, 1, 10, 200), 0);
	sampler__submit(sm, llm(2, 4, 1, "stop"), 0);
	sampler__submit(sm, root2, 0);
	/* an LLM call that is its own trace cannot tell: dropped */
	sampler__submit(sm, llm(3, 1, 0, "tool_calls"), 0);
	sampler__tick(sm, 200 * MS);
	cr_assert_eq(sink.n, 2, "only trace 1, whole: %zu", sink.n);
	cr_assert_eq(*(uint32_t *)sink.v[0]->trace_id, 1);
	cr_assert(has_rule(&sink, "finish_reason"));
	sink_clear(&sink);
	sampler__free(sm);
}

Test(sample_rules, error_status_5xx_and_429_kept_4xx_dropped)
{
	struct sampler *sm = new_sampler(&sink, 0);
	struct span *e = llm(4, 1, 0, "stop");

	e->status = SPAN_STATUS_ERROR;
	sampler__submit(sm, tool(1, 1, 0, 10, 500), 0);
	sampler__submit(sm, tool(2, 1, 0, 10, 429), 0);
	sampler__submit(sm, tool(3, 1, 0, 10, 404), 0);
	sampler__submit(sm, e, 0);
	sampler__tick(sm, 200 * MS);
	cr_assert_eq(sink.n, 3);
	cr_assert(has_rule(&sink, "error"));
	for (size_t i = 0; i < sink.n; i++)
		cr_assert_neq(*(uint32_t *)sink.v[i]->trace_id, 3);
	sink_clear(&sink);
	sampler__free(sm);
}

Test(sample_rules, slow_tool_against_learned_p99)
{
	struct sampler *sm = new_sampler(&sink, 0);
	struct sampler_stats st;
	uint32_t t = 100;

	/* learn: 100 calls around 100 ms */
	for (int i = 0; i < 100; i++)
		sampler__submit(sm, tool(t++, 1, 0, 90 + i % 20, 200), 0);
	sampler__tick(sm, 200 * MS);
	cr_assert_eq(sink.n, 0);
	sampler__submit(sm, tool(1, 1, 0, 250, 200), 0);  /* 2.3x: not slow */
	sampler__submit(sm, tool(2, 1, 0, 1000, 200), 0); /* 10x: slow */
	sampler__tick(sm, 400 * MS);
	cr_assert_eq(sink.n, 1);
	cr_assert_eq(*(uint32_t *)sink.v[0]->trace_id, 2);
	cr_assert(has_rule(&sink, "slow_tool"));
	sampler__stats(sm, &st);
	cr_assert_eq(st.kept_by[RULE_SLOW_TOOL], 1);
	cr_assert_eq(st.tools_tracked, 1);
	sink_clear(&sink);
	sampler__free(sm);
}

Test(sample_rules, slow_tool_needs_warm_up)
{
	struct sampler *sm = new_sampler(&sink, 0);

	for (int i = 0; i < 5; i++)
		sampler__submit(sm, tool(10 + i, 1, 0, 100, 200), 0);
	sampler__submit(sm, tool(1, 1, 0, 5000, 200), 0);
	sampler__tick(sm, 200 * MS);
	cr_assert_eq(sink.n, 0, "fewer than slow_tool_min_samples: no verdict");
	sampler__free(sm);
}

Test(sample_rules, token_budget_global_and_per_tenant)
{
	struct sample_cfg c;
	struct sampler *sm;
	struct span *a = llm(1, 1, 0, "stop"), *b = llm(2, 1, 0, "stop"), *d = llm(3, 1, 0, "stop");

	sample_cfg__init(&c);
	c.rate = 0;
	c.settle_ms = 100;
	c.token_budget = 1000;
	c.tenants = calloc(1, sizeof(*c.tenants));
	c.n_tenants = 1;
	strcpy(c.tenants[0].tenant, "small");
	c.tenants[0].tokens = 12;
	sm = sampler__new(&c, to_sink, &sink);
	span__set_str(a, "tenant.id", "small");  /* 15 > 12 */
	span__set_str(b, "tenant.id", "big");    /* 15 < 1000 */
	span__set_int(d, "gen_ai.usage.input_tokens", 2000); /* over the global one */
	sampler__submit(sm, a, 0);
	sampler__submit(sm, b, 0);
	sampler__submit(sm, d, 0);
	sampler__tick(sm, 200 * MS);
	cr_assert_eq(sink.n, 2);
	for (size_t i = 0; i < sink.n; i++)
		cr_assert_neq(*(uint32_t *)sink.v[i]->trace_id, 2);
	cr_assert(has_rule(&sink, "token_budget"));
	sink_clear(&sink);
	sampler__free(sm);
	sample_cfg__release(&c);
}

/* The root of a kept trace carries the trace's token total (what the
 * gateway's budget policy reads); the other spans do not. */
Test(sample_rules, kept_root_carries_the_trace_token_total)
{
	struct sampler *sm = new_sampler(&sink, 1.0);
	struct span *root = mk(7, 1, 0, "POST /agent");
	size_t tagged = 0;

	root->kind = SPAN_KIND_SERVER;
	root->end_ns = 1200 * MS;
	sampler__submit(sm, llm(7, 2, 1, "stop"), 0);
	sampler__submit(sm, llm(7, 3, 1, "stop"), 0);
	sampler__submit(sm, tool(7, 4, 1, 10, 200), 0);
	sampler__submit(sm, root, 0);
	sampler__tick(sm, 10000 * MS);
	cr_assert_eq(sink.n, 4);
	for (size_t i = 0; i < sink.n; i++) {
		const struct attr *a = span__get(sink.v[i], SAMPLING_TOKENS_ATTR);

		if (!a)
			continue;
		tagged++;
		cr_assert_eq(sink.v[i]->kind, SPAN_KIND_SERVER);
		cr_assert_eq(a->i, 2 * (10 + 5));
	}
	cr_assert_eq(tagged, 1);
	sink_clear(&sink);
	sampler__free(sm);
}

Test(sample_rules, schema_drift_kept)
{
	struct sampler *sm = new_sampler(&sink, 0);
	struct span *a = tool(1, 1, 0, 10, 200), *b = tool(2, 1, 0, 10, 200);

	span__set_bool(a, "tool.schema.drift", true);
	span__set_bool(b, "tool.schema.drift", false);
	sampler__submit(sm, a, 0);
	sampler__submit(sm, b, 0);
	sampler__tick(sm, 200 * MS);
	cr_assert_eq(sink.n, 1);
	cr_assert(has_rule(&sink, "schema_drift"));
	sink_clear(&sink);
	sampler__free(sm);
}

Test(sample_rules, tool_result_changed_on_its_way_to_the_model)
{
	struct sampler *sm = new_sampler(&sink, 0);
	struct span *a = tool(1, 1, 0, 10, 200), *b = tool(2, 1, 0, 10, 200);

	span__set_str(a, "agentrace.graph.drift", "truncated");
	span__set_str(b, "agentrace.graph.drift", "unchanged");
	sampler__submit(sm, a, 0);
	sampler__submit(sm, b, 0);
	sampler__tick(sm, 200 * MS);
	cr_assert_eq(sink.n, 1);
	cr_assert_eq(sink.v[0], a);
	cr_assert(has_rule(&sink, "schema_drift"));
	sink_clear(&sink);
	sampler__free(sm);
}

Test(sample_rules, fallback_after_error)
{
	struct sampler *sm = new_sampler(&sink, 0);
	struct span *fail = llm(1, 2, 1, "stop"), *again = llm(1, 3, 1, "stop");
	struct span *root = mk(1, 1, 0, "invoke_agent");

	fail->status = SPAN_STATUS_ERROR;
	sampler__submit(sm, fail, 0);
	sampler__submit(sm, again, 0);
	sampler__submit(sm, root, 0);
	/* two successful calls to the same model: no fallback */
	sampler__submit(sm, llm(2, 2, 1, "stop"), 0);
	sampler__submit(sm, llm(2, 3, 1, "stop"), 0);
	sampler__submit(sm, mk(2, 1, 0, "invoke_agent"), 0);
	sampler__tick(sm, 200 * MS);
	cr_assert_eq(sink.n, 3);
	cr_assert(has_rule(&sink, "fallback"));
	cr_assert(has_rule(&sink, "error"));
	/* the decision is on the root */
	cr_assert_not_null(span__get(root, SAMPLING_RULES_ATTR));
	sink_clear(&sink);
	sampler__free(sm);
}

Test(sample_rules, rules_can_be_switched_off)
{
	struct sample_cfg c;
	struct sampler *sm;

	sample_cfg__init(&c);
	c.rate = 0;
	c.settle_ms = 100;
	c.rules_off = 1u << RULE_ERROR;
	sm = sampler__new(&c, to_sink, &sink);
	sampler__submit(sm, tool(1, 1, 0, 10, 500), 0);
	sampler__tick(sm, 200 * MS);
	cr_assert_eq(sink.n, 0);
	sampler__free(sm);
}

Test(sample_rules, whole_trace_waits_for_its_root)
{
	struct sampler *sm = new_sampler(&sink, 1.0);

	sampler__submit(sm, tool(1, 2, 1, 10, 200), 0);        /* child first */
	sampler__tick(sm, 500 * MS);
	cr_assert_eq(sink.n, 0, "no root yet: held up to max_wait");
	sampler__submit(sm, mk(1, 1, 0, "invoke_agent"), 600 * MS); /* root ends */
	sampler__tick(sm, 650 * MS);
	cr_assert_eq(sink.n, 0, "settling");
	sampler__tick(sm, 701 * MS);
	cr_assert_eq(sink.n, 2);
	cr_assert(has_rule(&sink, "probability"));
	/* a late span follows the decision */
	sampler__submit(sm, tool(1, 3, 1, 10, 200), 800 * MS);
	cr_assert_eq(sink.n, 3);
	sink_clear(&sink);
	/* a rootless trace is decided after max_wait */
	sampler__submit(sm, tool(9, 2, 1, 10, 200), 1000 * MS);
	sampler__tick(sm, 1999 * MS);
	cr_assert_eq(sink.n, 0);
	sampler__tick(sm, 2000 * MS);
	cr_assert_eq(sink.n, 1);
	sink_clear(&sink);
	sampler__free(sm);
}

Test(sample_bounds, overflow_decides_the_oldest_trace_early)
{
	struct sample_cfg c;
	struct sampler *sm;
	struct sampler_stats st;
	struct span *bad;

	sample_cfg__init(&c);
	c.rate = 0;
	c.max_spans = 10;
	sm = sampler__new(&c, to_sink, &sink);
	bad = tool(0, 2, 1, 10, 503); /* the oldest trace, no root, a 503 */
	sampler__submit(sm, bad, 0);
	for (uint32_t t = 1; t <= 30; t++)
		sampler__submit(sm, tool(t, 2, 1, 10, 200), 0);
	sampler__stats(sm, &st);
	cr_assert_leq(st.held_spans, 10);
	cr_assert_eq(st.overflow_decisions, 21);
	cr_assert_eq(sink.n, 1, "the oldest was decided by its rules so far and kept");
	cr_assert_eq(sink.v[0], bad);
	cr_assert_eq(st.traces_dropped, 20);
	sink_clear(&sink);
	sampler__free(sm);
}

Test(sample_bounds, byte_cap)
{
	struct sample_cfg c;
	struct sampler *sm;
	struct sampler_stats st;

	sample_cfg__init(&c);
	c.rate = 0;
	c.max_bytes = 8192;
	sm = sampler__new(&c, to_sink, &sink);
	for (uint32_t t = 1; t <= 1000; t++)
		sampler__submit(sm, tool(t, 2, 1, 10, 200), 0);
	sampler__stats(sm, &st);
	cr_assert_leq(st.held_bytes, 8192);
	cr_assert_gt(st.overflow_decisions, 900);
	sampler__free(sm);
}

Test(sample_decision, trace_id_agreement_and_rate)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int kept10 = 0, kept50 = 0;

	for (int i = 0; i < 20000; i++) {
		uint8_t id[16];

		for (int j = 0; j < 16; j++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			id[j] = (uint8_t)seed;
		}
		bool a = sampler__keep_by_id(id, 0.1), b = sampler__keep_by_id(id, 0.1);
		bool c = sampler__keep_by_id(id, 0.5);

		cr_assert_eq(a, b, "two nodes agree");
		cr_assert(!a || c, "kept at 10%% implies kept at 50%%");
		kept10 += a;
		kept50 += c;
		cr_assert(sampler__keep_by_id(id, 1.0));
		cr_assert(!sampler__keep_by_id(id, 0.0));
	}
	cr_assert(kept10 > 1700 && kept10 < 2300, "10%%: %d of 20000", kept10);
	cr_assert(kept50 > 9500 && kept50 < 10500, "50%%: %d of 20000", kept50);
}

Test(sample_decision, samplers_on_two_nodes_agree)
{
	struct sink k2 = { 0 };
	struct sampler *a = new_sampler(&sink, 0.3), *b = new_sampler(&k2, 0.3);

	for (uint32_t t = 1; t <= 500; t++) {
		struct span *x = llm(t * 2654435761u, 1, 0, "stop");
		struct span *y = llm(t * 2654435761u, 1, 0, "stop");

		x->trace_id[15] = y->trace_id[15] = (uint8_t)t;
		x->trace_id[12] = y->trace_id[12] = (uint8_t)(t * 7);
		sampler__submit(a, x, 0);
		sampler__submit(b, y, 0);
	}
	sampler__flush(a);
	sampler__flush(b);
	cr_assert_eq(sink.n, k2.n);
	for (size_t i = 0; i < sink.n; i++)
		cr_assert_eq(memcmp(sink.v[i]->trace_id, k2.v[i]->trace_id, 16), 0);
	sink_clear(&sink);
	sink_clear(&k2);
	sampler__free(a);
	sampler__free(b);
}

Test(sample_p99, estimate_against_a_known_distribution)
{
	struct p99_table *t = p99_table__new(16);
	uint32_t n;
	uint64_t p;

	/* uniform 1..1000 ms: the true p99 is 990 ms */
	for (int rep = 0; rep < 2; rep++)
		for (int i = 1; i <= 1000; i++)
			cr_assert_eq(p99_table__add(t, "u", (uint64_t)i * MS), 0);
	p = p99_table__get(t, "u", 20, &n);
	cr_assert(p >= 990 * MS && p <= 990 * MS * 1.19 + MS, "p99 %lu ms", (unsigned long)(p / MS));
	/* exponential, mean 100 ms: p99 = 100 ln 100 = 460.5 ms */
	for (int i = 0; i < 5000; i++) {
		double u = ((i * 7919) % 5000 + 0.5) / 5000.0; /* shuffled */

		p99_table__add(t, "e", (uint64_t)(-100.0 * log(1 - u) * MS));
	}
	p = p99_table__get(t, "e", 20, &n);
	cr_assert(p >= 440 * MS && p <= 460.5 * MS * 1.19 + MS, "p99 %lu ms", (unsigned long)(p / MS));
	cr_assert_lt(n, P99_HALF_AT, "decayed counts stay bounded");
	cr_assert_eq(p99_table__get(t, "none", 20, &n), 0);
	p99_table__free(t);
}

Test(sample_p99, recent_durations_win)
{
	struct p99_table *t = p99_table__new(4);
	uint32_t n;

	for (int i = 0; i < 3000; i++)
		p99_table__add(t, "x", 10 * MS);
	for (int i = 0; i < 6000; i++)
		p99_table__add(t, "x", 1000 * MS);
	cr_assert_geq(p99_table__get(t, "x", 20, &n), 1000 * MS);
	for (int i = 0; i < 8000; i++)
		p99_table__add(t, "x", 10 * MS);
	cr_assert_lt(p99_table__get(t, "x", 20, &n), 20 * MS, "old slowness forgotten");
	p99_table__free(t);
}

Test(sample_p99, bounded_memory_with_many_tools)
{
	struct p99_table *t = p99_table__new(64);
	size_t bytes = p99_table__bytes(t);
	uint32_t n;

	for (int i = 0; i < 10000; i++) {
		char key[32];

		snprintf(key, sizeof(key), "tool-%d", i);
		cr_assert_eq(p99_table__add(t, key, MS), 0);
	}
	cr_assert_eq(p99_table__tools(t), 64);
	cr_assert_eq(p99_table__evicted(t), 10000 - 64);
	cr_assert_eq(p99_table__bytes(t), bytes);
	/* the most recent tools survive */
	p99_table__get(t, "tool-9999", 1, &n);
	cr_assert_eq(n, 1);
	p99_table__get(t, "tool-0", 1, &n);
	cr_assert_eq(n, 0);
	p99_table__free(t);
}

static int apply(const char *text, struct sample_cfg *c, char *err)
{
	char perr[256] = "";
	json_t *j = jyaml__load(text, strlen(text), perr, sizeof(perr));
	int ret;

	sample_cfg__init(c);
	if (!j) {
		snprintf(err, 256, "%s", perr);
		return -EINVAL;
	}
	ret = sample_cfg__apply(c, j, err, 256);
	json_decref(j);
	return ret;
}

Test(sample_config, yaml_and_json_files)
{
	struct sample_cfg c;
	char err[256];

	cr_assert_eq(apply("sample_rate: 0.25\n"
			   "rules:\n  slow_tool: false\n"
			   "token_budget: 5000\n"
			   "tenant_budgets:\n  acme: 100\n"
			   "tools:\n  \"api.weather.test/v1/weather\": { k: 5, max_ms: 2000 }\n",
			   &c, err), 0, "%s", err);
	cr_assert_float_eq(c.rate, 0.25, 1e-12);
	cr_assert(c.rules_off & (1u << RULE_SLOW_TOOL));
	cr_assert_eq(sample_cfg__budget(&c, "acme"), 100);
	cr_assert_eq(sample_cfg__budget(&c, "other"), 5000);
	cr_assert_float_eq(sample_cfg__tool(&c, "api.weather.test/v1/weather")->k, 5, 1e-12);
	cr_assert_eq(sample_cfg__tool(&c, "api.weather.test/v1/weather")->max_ns, 2000 * MS);
	sample_cfg__release(&c);
	cr_assert_eq(apply("{\"sample_rate\": 0, \"settle_ms\": 10}", &c, err), 0, "%s", err);
	cr_assert_eq(c.settle_ms, 10);
	sample_cfg__release(&c);
}

Test(sample_config, bad_files_give_clear_errors)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "sample_rate: 2\n", "sample_rate must be a number from 0 to 1" },
		{ "sampel_rate: 0.5\n", "unknown key sampel_rate" },
		{ "rules: { slowtool: false }\n", "rules.slowtool" },
		{ "tenant_budgets: { acme: -5 }\n", "tenant_budgets.acme must be a positive integer" },
		{ "tools: { x: { k: 0.5 } }\n", "k must be a number from 1 to 1000" },
		{ "tools: { x: { kk: 2 } }\n", "tools.x.kk: unknown key" },
		{ "- a\n- b\n", "the top level must be a mapping" },
		{ "a: [1, 2\n", "line " },
		{ "{\"sample_rate\": }", "line 1" },
		{ "a: &x 1\nb: *x\n", "not supported" },
	};
	struct sample_cfg c;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(apply(cases[i].text, &c, err), -EINVAL, "case %zu accepted", i);
		cr_assert_not_null(strstr(err, cases[i].want), "case %zu: got '%s', want '%s'", i,
				   err, cases[i].want);
		sample_cfg__release(&c);
	}
}

Test(sample_rules, remote_parent_makes_a_local_root)
{
	struct sampler *sm = new_sampler(&sink, 1.0);
	struct span *s = tool(1, 2, 1, 10, 200);

	span__set_str(s, "agentrace.parent.source", "traceparent");
	sampler__submit(sm, s, 0);
	sampler__tick(sm, 101 * MS);
	cr_assert_eq(sink.n, 1, "decided after settle_ms, not max_wait_ms");
	sink_clear(&sink);
	sampler__free(sm);
}
