// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <xxhash.h>

#include "contracts/names.h"
#include "genai/semconv.h"
#include "sample/rules.h"
#include "tools/names.h"
#include "tools/tool_key.h"
#include "trace/semconv.h"

static const char *const names[] = {
	[RULE_FINISH] = "finish_reason",
	[RULE_ERROR] = "error",
	[RULE_SLOW_TOOL] = "slow_tool",
	[RULE_TOKEN_BUDGET] = "token_budget",
	[RULE_DRIFT] = "schema_drift",
	[RULE_FALLBACK] = "fallback",
	[RULE_PROBABILITY] = "probability",
};

const char *sample_rule__name(int rule)
{
	return rule >= 0 && rule <= RULE_PROBABILITY ? names[rule] : "?";
}

int sample_rule__parse(const char *name)
{
	for (int i = 0; i < RULE__COUNT; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -EINVAL;
}

static const char *str_of(const struct span *s, const char *key)
{
	const struct attr *a = span__get(s, key);

	return a && a->type == ATTR_STR ? a->s : NULL;
}

/* The finish reasons of a normal end: the model stopped by itself or
 * asked for tools (whether tools answered is a trace-level question). */
static bool normal_finish(const char *r)
{
	static const char *const ok[] = { "stop", "end_turn", "STOP", "stop_sequence",
					  "tool_calls", "tool_use", "function_call" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(r, ok[i]))
			return true;
	return false;
}

static bool asked_for_tools(const char *r)
{
	return !strcmp(r, "tool_calls") || !strcmp(r, "tool_use") || !strcmp(r, "function_call");
}

bool rules__abnormal_finish(const struct span *s)
{
	const struct attr *a = span__get(s, SC_GEN_AI_RESPONSE_FINISH_REASONS);

	if (!a || a->type != ATTR_STR_ARRAY)
		return false;
	for (size_t i = 0; i < a->arr.n; i++)
		if (!normal_finish(a->arr.v[i]))
			return true;
	return false;
}

bool rules__failed(const struct span *s)
{
	const struct attr *a = span__get(s, SC_HTTP_RESPONSE_STATUS_CODE);

	if (s->status == SPAN_STATUS_ERROR)
		return true;
	return a && a->type == ATTR_INT && (a->i >= 500 || a->i == 429);
}

bool rules__is_root(const struct span *s)
{
	static const uint8_t zero[8];
	const char *op = str_of(s, SC_GEN_AI_OPERATION_NAME);
	const char *src = str_of(s, TS_PARENT_SOURCE);

	/* a parent from a traceparent header lives in another process */
	return !memcmp(s->parent_span_id, zero, sizeof(zero)) || s->kind == SPAN_KIND_SERVER ||
	       (op && !strcmp(op, "invoke_agent")) || (src && !strcmp(src, TS_PARENT_OBSERVED));
}

static bool is_llm(const struct span *s)
{
	const char *op = str_of(s, SC_GEN_AI_OPERATION_NAME);

	return str_of(s, SC_GEN_AI_PROVIDER_NAME) && !(op && (!strcmp(op, TN_OP_EXECUTE_TOOL) ||
							      !strcmp(op, "invoke_agent")));
}

/* The identity the fallback rule compares: the tool key or the model. */
static uint64_t callee_key(const struct span *s, bool *ok)
{
	char key[TOOL_KEY_MAX + 8];
	const char *model;

	*ok = true;
	if (tool_key__of(s, key, sizeof(key)) != TOOL_KEY_NONE)
		return XXH3_64bits(key, strlen(key));
	model = is_llm(s) ? str_of(s, SC_GEN_AI_REQUEST_MODEL) : NULL;
	if (model)
		return XXH3_64bits_withSeed(model, strlen(model), 1);
	*ok = false;
	return 0;
}

static void add_tokens(struct rules_trace *t, const struct span *s, const char *key)
{
	const struct attr *a = span__get(s, key);

	if (a && a->type == ATTR_INT && a->i > 0)
		t->tokens += a->i;
}

void rules__span(struct rules_trace *t, const struct span *s)
{
	const struct attr *fr = span__get(s, SC_GEN_AI_RESPONSE_FINISH_REASONS);
	const struct attr *drift = span__get(s, CN_TOOL_SCHEMA_DRIFT);
	const char *tenant = str_of(s, "tenant.id");
	bool keyed, llm = is_llm(s);
	uint64_t key = callee_key(s, &keyed);
	char tk[TOOL_KEY_MAX];

	if (rules__abnormal_finish(s))
		t->rules |= 1u << RULE_FINISH;
	if (rules__failed(s))
		t->rules |= 1u << RULE_ERROR;
	if (drift && drift->type == ATTR_BOOL && drift->b)
		t->rules |= 1u << RULE_DRIFT;
	if (keyed) {
		for (uint8_t i = 0; i < t->n_err_keys; i++)
			if (t->err_keys[i] == key)
				t->rules |= 1u << RULE_FALLBACK;
		if (rules__failed(s) && t->n_err_keys < RULES_MAX_ERR_KEYS)
			t->err_keys[t->n_err_keys++] = key;
	}
	add_tokens(t, s, SC_GEN_AI_USAGE_INPUT_TOKENS);
	add_tokens(t, s, SC_GEN_AI_USAGE_OUTPUT_TOKENS);
	if (tenant && !t->tenant[0])
		strncpy(t->tenant, tenant, sizeof(t->tenant) - 1);
	/* An LLM span or a tool span answers an earlier request for tools. */
	if (llm || tool_key__of(s, tk, sizeof(tk)) != TOOL_KEY_NONE)
		t->pending_tool_calls = false;
	if (rules__is_root(s) && !llm)
		t->workflow_root = true;
	if (llm && fr && fr->type == ATTR_STR_ARRAY)
		for (size_t i = 0; i < fr->arr.n; i++)
			if (asked_for_tools(fr->arr.v[i]))
				t->pending_tool_calls = true;
}

uint32_t rules__trace_end(struct rules_trace *t, int64_t budget)
{
	if (t->pending_tool_calls && t->workflow_root)
		t->rules |= 1u << RULE_FINISH;
	if (budget > 0 && t->tokens > budget)
		t->rules |= 1u << RULE_TOKEN_BUDGET;
	return t->rules;
}
