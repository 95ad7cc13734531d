// SPDX-License-Identifier: MIT
#include <string.h>

#include "genai/semconv.h"
#include "contracts/names.h"
#include "metrics/names.h"
#include "metrics/record.h"
#include "tools/names.h"
#include "tools/tool_key.h"

static const double b_tokens[] = MB_TOKENS;
static const double b_genai[] = MB_GEN_AI_SECONDS;
static const double b_mcp[] = MB_MCP_SECONDS;
static const double b_http[] = MB_HTTP_SECONDS;

#define HIST(n, u, d, b) { n, u, d, MINST_HISTOGRAM, b, sizeof(b) / sizeof(b[0]) }

const struct minst minst_token_usage =
	HIST(MN_GEN_AI_TOKEN_USAGE, "{token}", "Number of input and output tokens used", b_tokens);
const struct minst minst_gen_ai_duration =
	HIST(MN_GEN_AI_DURATION, "s", "GenAI operation duration", b_genai);
const struct minst minst_ttfc =
	HIST(MN_GEN_AI_TTFC, "s", "Time to receive the first chunk of a stream", b_genai);
const struct minst minst_mcp_client =
	HIST(MN_MCP_CLIENT_DURATION, "s", "Duration of an MCP request as seen by its sender", b_mcp);
const struct minst minst_mcp_server =
	HIST(MN_MCP_SERVER_DURATION, "s", "Duration of an MCP request as seen by its receiver",
	     b_mcp);
const struct minst minst_tool_duration =
	HIST(MN_TOOL_DURATION, "s", "Duration of black-box tool (HTTP) calls, per tool", b_http);
const struct minst minst_tool_drift = { MN_TOOL_DRIFT, "{drift}",
					"Tool responses, definitions and listings whose structure drifted",
					MINST_SUM, NULL, 0 };

/* Copies the listed attributes of s that are present, in this order. */
static int pick(struct attr_list *out, const struct span *s, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct attr *a = span__get(s, keys[i]);
		int err = 0;

		if (!a)
			continue;
		if (a->type == ATTR_STR)
			err = attrs__set_str(out, a->key, a->s);
		else if (a->type == ATTR_INT)
			err = attrs__set_int(out, a->key, a->i);
		else if (a->type == ATTR_BOOL)
			err = attrs__set_bool(out, a->key, a->b);
		if (err)
			return err;
	}
	return 0;
}

static const char *str_of(const struct span *s, const char *key)
{
	const struct attr *a = span__get(s, key);

	return a && a->type == ATTR_STR ? a->s : NULL;
}

static double seconds(const struct span *s)
{
	return s->end_ns > s->start_ns ? (double)(s->end_ns - s->start_ns) / 1e9 : 0;
}

static void record_tokens(struct mstore *st, const struct span *s, struct attr_list *l,
			  const char *key, const char *type)
{
	const struct attr *a = span__get(s, key);

	if (!a || a->type != ATTR_INT)
		return;
	if (attrs__set_str(l, MA_GEN_AI_TOKEN_TYPE, type) == 0)
		mstore__record(st, &minst_token_usage, &s->proc, l, (double)a->i);
}

static void record_llm(struct mstore *st, const struct span *s)
{
	static const char *const keys[] = {
		SC_GEN_AI_OPERATION_NAME, SC_GEN_AI_PROVIDER_NAME, SC_GEN_AI_REQUEST_MODEL,
		SC_GEN_AI_RESPONSE_MODEL, SC_SERVER_ADDRESS, SC_SERVER_PORT, SC_ERROR_TYPE,
		"tenant.id",
	};
	struct attr_list l = { 0 };
	const struct attr *ttfc;

	if (pick(&l, s, keys, sizeof(keys) / sizeof(keys[0])))
		goto out;
	mstore__record(st, &minst_gen_ai_duration, &s->proc, &l, seconds(s));
	ttfc = span__get(s, SC_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK);
	if (ttfc && ttfc->type == ATTR_DOUBLE)
		mstore__record(st, &minst_ttfc, &s->proc, &l, ttfc->d);
	/* Usage only from a response that reported it. */
	record_tokens(st, s, &l, SC_GEN_AI_USAGE_INPUT_TOKENS, "input");
	record_tokens(st, s, &l, SC_GEN_AI_USAGE_OUTPUT_TOKENS, "output");
out:
	attrs__clear(&l);
}

static void record_mcp(struct mstore *st, const struct span *s)
{
	static const char *const keys[] = {
		TN_MCP_METHOD_NAME, SC_GEN_AI_TOOL_NAME, TN_GEN_AI_PROMPT_NAME,
		TN_MCP_PROTOCOL_VERSION, SC_ERROR_TYPE, TN_NETWORK_TRANSPORT,
		SC_SERVER_ADDRESS, SC_SERVER_PORT, "tenant.id",
	};
	struct attr_list l = { 0 };

	if (!pick(&l, s, keys, sizeof(keys) / sizeof(keys[0])))
		mstore__record(st, s->kind == SPAN_KIND_SERVER ? &minst_mcp_server
							       : &minst_mcp_client,
			       &s->proc, &l, seconds(s));
	attrs__clear(&l);
}

static void record_tool(struct mstore *st, const struct span *s, const char *key)
{
	static const char *const keys[] = {
		TN_HTTP_REQUEST_METHOD, SC_HTTP_RESPONSE_STATUS_CODE, SC_ERROR_TYPE, "tenant.id",
	};
	struct attr_list l = { 0 };

	if (!attrs__set_str(&l, MA_TOOL_KEY, key) && !pick(&l, s, keys, 4))
		mstore__record(st, &minst_tool_duration, &s->proc, &l, seconds(s));
	attrs__clear(&l);
}

/* One count per drift event on s: a tool response's structure (kind
 * "output", by the span's tool key), or a tool definition an LLM request
 * offered ("definition") or an MCP server listed ("listed"), by tool name. */
static void record_drift(struct mstore *st, const struct span *s, const char *key)
{
	const struct attr *version = span__get(s, CN_TOOL_CONTRACT_VERSION);

	for (size_t i = 0; i < s->n_events; i++) {
		const struct span_event *e = &s->events[i];
		const struct attr *kind = attrs__get(&e->attrs, CN_DRIFT_KIND);
		const struct attr *name = attrs__get(&e->attrs, SC_GEN_AI_TOOL_NAME);
		const char *tool = name && name->type == ATTR_STR ? name->s : key;
		struct attr_list l = { 0 };
		int err;

		if (strcmp(e->name, CN_EVENT_DRIFT) || !kind || kind->type != ATTR_STR || !tool)
			continue;
		err = attrs__set_str(&l, MA_TOOL_KEY, tool) ?: attrs__set_str(&l, CN_DRIFT_KIND, kind->s);
		/* a contract versions a tool's responses only */
		if (!err && version && version->type == ATTR_STR && !strcmp(kind->s, "output"))
			err = attrs__set_str(&l, CN_TOOL_CONTRACT_VERSION, version->s);
		if (!err)
			mstore__add(st, &minst_tool_drift, &s->proc, &l, 1);
		attrs__clear(&l);
	}
}

void metrics_record__span(struct mstore *st, const struct span *s)
{
	const char *op = str_of(s, SC_GEN_AI_OPERATION_NAME);
	char key[TOOL_KEY_MAX];
	enum tool_key_kind kind = tool_key__of(s, key, sizeof(key));

	if (str_of(s, TN_MCP_METHOD_NAME))
		record_mcp(st, s);
	else if (str_of(s, SC_GEN_AI_PROVIDER_NAME) && op && strcmp(op, TN_OP_EXECUTE_TOOL) &&
		 s->kind != SPAN_KIND_SERVER)
		record_llm(st, s);
	else if (kind == TOOL_KEY_HTTP && s->kind == SPAN_KIND_CLIENT)
		record_tool(st, s, key);
	record_drift(st, s, kind != TOOL_KEY_NONE ? key : NULL);
}
