// SPDX-License-Identifier: MIT
/*
 * Anthropic Messages API (/v1/messages), plain JSON and SSE streams.
 */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "genai/content.h"
#include "genai/jskim.h"
#include "genai/provider.h"
#include "genai/semconv.h"

static int anthropic_match(const struct http_exchange *x, const struct genai_hint *h)
{
	const json_t *r = h->req;
	int score;

	if (!h->post || !genai__path_ends(h, "/v1/messages"))
		return 0;
	score = GENAI_SCORE_PATH;
	if (json_is_array(json_object_get(r, "messages")))
		score += GENAI_SCORE_BODY - (json_object_get(r, "max_tokens") ? 0 : 5);
	if (h->hdr_anthropic_version || genai__host_is(h, "api.anthropic.com"))
		score += GENAI_SCORE_HINT;
	return score;
}

/* ---- request ---- */

static void anthropic_params(struct genai_call *c, const json_t *r)
{
	const json_t *v;
	size_t i;

	genai__set_json_model(&c->request_model, json_object_get(r, "model"));
	c->has_temperature = genai__jnum(r, "temperature", &c->temperature);
	c->has_top_p = genai__jnum(r, "top_p", &c->top_p);
	c->has_top_k = genai__jnum(r, "top_k", &c->top_k);
	c->has_max_tokens = genai__jint(r, "max_tokens", &c->max_tokens);
	v = json_object_get(r, "stream");
	if (json_is_boolean(v)) {
		c->has_stream = true;
		c->stream = json_is_true(v);
	}
	json_array_foreach(json_object_get(r, "stop_sequences"), i, v) {
		if (c->n_stop == GENAI_MAX_STOP)
			break;
		if (!genai__set_json_str(&c->stop[c->n_stop], v))
			c->n_stop++;
	}
}

/* One content block of a request message as a semconv part. */
static json_t *block_part(const json_t *b, size_t max, bool *is_result)
{
	const char *type = genai__jstr(b, "type");
	const json_t *v;

	*is_result = false;
	if (!type)
		return genai_part__generic(NULL);
	if (strcmp(type, "text") == 0) {
		v = json_object_get(b, "text");
		return genai_part__text_str(v, max);
	}
	if (strcmp(type, "tool_use") == 0)
		return genai_part__tool_call(genai__jstr(b, "id"), genai__jstr(b, "name"), NULL,
					     0, json_object_get(b, "input"), max);
	if (strcmp(type, "tool_result") == 0) {
		*is_result = true;
		return genai_part__tool_response(genai__jstr(b, "tool_use_id"),
						 json_object_get(b, "content"), max);
	}
	if (strcmp(type, "thinking") == 0) {
		v = json_object_get(b, "thinking");
		return genai_part__reasoning(json_string_value(v), json_string_length(v), max);
	}
	return genai_part__generic(type); /* image, document, redacted_thinking */
}

static void anthropic_input(struct genai_call *c, const json_t *r)
{
	const json_t *sys = json_object_get(r, "system"), *m, *b;
	size_t i, k, max = c->content_max;

	if (json_is_string(sys)) {
		c->system_instructions = json_array();
		json_array_append_new(c->system_instructions,
				      genai_part__text_str(sys, max));
	} else if (json_is_array(sys)) {
		bool res;

		c->system_instructions = json_array();
		json_array_foreach(sys, i, b)
			json_array_append_new(c->system_instructions, block_part(b, max, &res));
	}
	c->input_messages = json_array();
	if (!c->input_messages)
		return;
	json_array_foreach(json_object_get(r, "messages"), i, m) {
		const json_t *content = json_object_get(m, "content");
		const char *role = genai__jstr(m, "role");
		json_t *parts = json_array();
		bool all_results = json_array_size(content) > 0, res;

		if (!parts)
			continue;
		if (json_is_string(content))
			json_array_append_new(parts, genai_part__text_str(content, max));
		json_array_foreach(content, k, b) {
			json_array_append_new(parts, block_part(b, max, &res));
			all_results &= res;
		}
		/* a user turn made only of tool results is the tool's message */
		genai_msgs__append(c->input_messages,
				   genai_msg__new(all_results ? "tool" : role, parts));
	}
}

static int anthropic_parse_request(struct genai_call *c, const struct http_exchange *x,
				   const struct genai_hint *h)
{
	c->provider = SC_PROVIDER_ANTHROPIC;
	c->operation = SC_OP_CHAT;
	if (!json_is_object(h->req))
		return 0;
	anthropic_params(c, h->req);
	if (c->capture)
		anthropic_input(c, h->req);
	return 0;
}

/* ---- response ---- */

/* Anthropic reports input_tokens without the cached parts; the semconv
 * input count includes them, so the raw parts are summed at the end. */
struct anthropic_state {
	struct genai_call *c;
	struct genai_counters *cnt;
	bool has_input;
	int64_t input;
};

static void anthropic_usage(struct anthropic_state *s, const json_t *u)
{
	struct genai_usage *g = &s->c->usage;

	if (!json_is_object(u))
		return;
	if (genai__jint(u, "input_tokens", &s->input))
		s->has_input = true;
	if (genai__jint(u, "output_tokens", &g->output))
		g->has_output = true;
	if (genai__jint(u, "cache_read_input_tokens", &g->cache_read))
		g->has_cache_read = true;
	if (genai__jint(u, "cache_creation_input_tokens", &g->cache_creation))
		g->has_cache_creation = true;
}

static void anthropic_usage_done(struct anthropic_state *s)
{
	if (s->has_input)
		genai_usage__set_input_plus_cache(&s->c->usage, s->input);
}

static void anthropic_error(struct genai_call *c, const json_t *o)
{
	const json_t *t = json_object_get(json_object_get(o, "error"), "type");

	if (json_is_string(t) && json_string_length(t))
		genai__set_json_str(&c->error_type, t);
}

static void set_finish(struct genai_call *c, const json_t *fr)
{
	if (json_is_string(fr))
		genai__set_json_str(&genai_call__choice(c, 0)->finish_reason, fr);
}

static void add_text(struct genai_call *c, const json_t *t)
{
	if (c->capture && json_is_string(t))
		genai_text__append(&genai_call__choice(c, 0)->text, json_string_value(t),
				   json_string_length(t), c->content_max);
}

/* A tool_use block: id and name always, input only with capture. */
static void tool_block(struct genai_call *c, int64_t index, const json_t *b, bool whole)
{
	struct genai_tool_call *t = genai_call__tool(c, 0, index);
	const json_t *in = json_object_get(b, "input");

	if (!t)
		return;
	genai__set_json_str(&t->id, json_object_get(b, "id"));
	genai__set_json_str(&t->name, json_object_get(b, "name"));
	/* in a stream the start block has "input": {} and the real input
	 * follows as input_json_delta */
	if (whole && c->capture && in) {
		char *s = json_dumps(in, JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (s) {
			genai_text__append(&t->args, s, strlen(s), c->content_max);
			free(s);
		}
	}
}

static void message_object(struct anthropic_state *s, const json_t *m)
{
	struct genai_call *c = s->c;
	const json_t *b;
	size_t i;

	genai__set_json_str(&c->response_id, json_object_get(m, "id"));
	genai__set_json_str(&c->response_model, json_object_get(m, "model"));
	genai_call__choice(c, 0);
	json_array_foreach(json_object_get(m, "content"), i, b) {
		const char *type = genai__jstr(b, "type");

		if (type && strcmp(type, "text") == 0)
			add_text(c, json_object_get(b, "text"));
		else if (type && strcmp(type, "tool_use") == 0)
			tool_block(c, i, b, true);
	}
	set_finish(c, json_object_get(m, "stop_reason"));
	anthropic_usage(s, json_object_get(m, "usage"));
}

static void stream_event(struct anthropic_state *s, const char *type, const json_t *o)
{
	struct genai_call *c = s->c;
	int64_t index = 0;

	genai__jint(o, "index", &index);
	if (strcmp(type, "message_start") == 0) {
		message_object(s, json_object_get(o, "message"));
	} else if (strcmp(type, "content_block_start") == 0) {
		const json_t *b = json_object_get(o, "content_block");
		const char *bt = genai__jstr(b, "type");

		if (bt && strcmp(bt, "tool_use") == 0)
			tool_block(c, index, b, false);
		else if (bt && strcmp(bt, "text") == 0)
			add_text(c, json_object_get(b, "text"));
	} else if (strcmp(type, "content_block_delta") == 0) {
		const json_t *d = json_object_get(o, "delta");
		const char *dt = genai__jstr(d, "type");

		if (!dt || !c->capture)
			return;
		if (strcmp(dt, "text_delta") == 0) {
			add_text(c, json_object_get(d, "text"));
		} else if (strcmp(dt, "input_json_delta") == 0) {
			const json_t *pj = json_object_get(d, "partial_json");
			struct genai_tool_call *t = genai_call__tool(c, 0, index);

			if (t && json_is_string(pj))
				genai_text__append(&t->args, json_string_value(pj),
						   json_string_length(pj), c->content_max);
		}
	} else if (strcmp(type, "message_delta") == 0) {
		set_finish(c, json_object_get(json_object_get(o, "delta"), "stop_reason"));
		anthropic_usage(s, json_object_get(o, "usage")); /* cumulative */
	} else if (strcmp(type, "message_stop") == 0) {
		c->terminated = true;
	} else if (strcmp(type, "error") == 0) {
		c->terminated = true;
		anthropic_error(c, o);
		if (!c->error_type)
			genai__set_str(&c->error_type, "error", 5);
	}
}

static int anthropic_sse_cb(void *ctx, const char *ev, size_t evl, const char *d, size_t n)
{
	struct anthropic_state *s = ctx;
	const char *type;
	json_t *o;

	/* keep-alives, and deltas that only matter for content capture */
	if (evl == 4 && memcmp(ev, "ping", 4) == 0)
		return 0;
	if (evl == 19 && memcmp(ev, "content_block_delta", 19) == 0) {
		json_t *t;

		if (!s->c->capture)
			return 0;
		/* text deltas are most of a stream: take the text directly */
		if (memmem(d, n, "\"text_delta\"", 12) &&
		    genai__json_one_str(d, n, "\"text\"", &t)) {
			add_text(s->c, t);
			json_decref(t);
			return 0;
		}
	}
	o = genai__json_load(d, n, 0);
	if (!o) {
		s->cnt->json_errors++;
		return 0;
	}
	type = genai__jstr(o, "type");
	if (type)
		stream_event(s, type, o);
	json_decref(o);
	return 0;
}

static int anthropic_parse_response(struct genai_call *c, const struct http_exchange *x,
				    const struct genai_hint *h, struct genai_counters *cnt)
{
	struct anthropic_state s = { .c = c, .cnt = cnt };
	int err = 0;
	json_t *o;

	if (!x->resp.body_len)
		return 0;
	if (h->resp_sse && x->status < 400) {
		c->resp_stream = true;
		err = genai__sse_each(&x->resp, anthropic_sse_cb, &s, cnt);
		anthropic_usage_done(&s);
		return err;
	}
	o = genai__json_load((const char *)x->resp.body, x->resp.body_len, 0);
	if (!o) {
		cnt->json_errors++;
		return 0;
	}
	if (x->status >= 400 || json_object_get(o, "error"))
		anthropic_error(c, o);
	else
		message_object(&s, o);
	json_decref(o);
	anthropic_usage_done(&s);
	return 0;
}

static const char *anthropic_output_finish(const char *raw)
{
	static const char *const map[][2] = {
		{ "end_turn", "stop" },
		{ "stop_sequence", "stop" },
		{ "pause_turn", "stop" },
		{ "max_tokens", "length" },
		{ "model_context_window_exceeded", "length" },
		{ "tool_use", "tool_calls" },
		{ "refusal", "content_filter" },
	};

	return GENAI_FINISH_MAP(map, raw);
}

const struct genai_provider genai_provider_anthropic = {
	.name = SC_PROVIDER_ANTHROPIC,
	.match = anthropic_match,
	.parse_request = anthropic_parse_request,
	.parse_response = anthropic_parse_response,
	.output_finish_reason = anthropic_output_finish,
};
