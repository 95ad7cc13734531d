// SPDX-License-Identifier: MIT
/*
 * OpenAI and OpenAI-compatible servers: /chat/completions, /responses,
 * /embeddings and /completions, plain JSON and SSE streams.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <string.h>

#include "genai/content.h"
#include "genai/jskim.h"
#include "genai/provider.h"
#include "genai/semconv.h"

enum openai_ep {
	EP_NONE = 0,
	EP_CHAT,
	EP_RESPONSES,
	EP_EMBEDDINGS,
	EP_COMPLETIONS,
};

static enum openai_ep openai_endpoint(const struct genai_hint *h)
{
	if (genai__path_ends(h, "/chat/completions"))
		return EP_CHAT;
	if (genai__path_ends(h, "/responses"))
		return EP_RESPONSES;
	if (genai__path_ends(h, "/embeddings"))
		return EP_EMBEDDINGS;
	if (genai__path_ends(h, "/completions"))
		return EP_COMPLETIONS;
	return EP_NONE;
}

static int openai_match(const struct http_exchange *x, const struct genai_hint *h)
{
	enum openai_ep ep = h->post ? openai_endpoint(h) : EP_NONE;
	const json_t *r = h->req;
	int score;
	bool shape;

	if (ep == EP_NONE)
		return 0;
	score = GENAI_SCORE_PATH;
	switch (ep) {
	case EP_CHAT:
		shape = json_is_array(json_object_get(r, "messages"));
		break;
	case EP_RESPONSES:
	case EP_EMBEDDINGS:
		shape = json_object_get(r, "input") != NULL;
		break;
	default:
		shape = json_object_get(r, "prompt") != NULL;
		break;
	}
	/* llama.cpp accepts a missing model; its presence is only a bonus */
	if (shape)
		score += GENAI_SCORE_BODY - (json_is_string(json_object_get(r, "model")) ? 0 : 5);
	if (genai__host_is(h, "api.openai.com"))
		score += GENAI_SCORE_HINT;
	return score;
}

/* ---- request ---- */

static void openai_params(struct genai_call *c, const json_t *r)
{
	const json_t *stop = json_object_get(r, "stop");
	const json_t *v;
	size_t i;

	genai__set_json_model(&c->request_model, json_object_get(r, "model"));
	c->has_temperature = genai__jnum(r, "temperature", &c->temperature);
	c->has_top_p = genai__jnum(r, "top_p", &c->top_p);
	c->has_seed = genai__jint(r, "seed", &c->seed);
	c->has_choice_count = genai__jint(r, "n", &c->choice_count);
	c->has_max_tokens = genai__jint(r, "max_completion_tokens", &c->max_tokens) ||
			    genai__jint(r, "max_tokens", &c->max_tokens) ||
			    genai__jint(r, "max_output_tokens", &c->max_tokens);
	v = json_object_get(r, "stream");
	if (json_is_boolean(v)) {
		c->has_stream = true;
		c->stream = json_is_true(v);
	}
	if (json_is_string(stop)) {
		if (!genai__set_json_str(&c->stop[0], stop))
			c->n_stop = 1;
	} else if (json_is_array(stop)) {
		json_array_foreach(stop, i, v) {
			if (c->n_stop == GENAI_MAX_STOP)
				break;
			if (!genai__set_json_str(&c->stop[c->n_stop], v))
				c->n_stop++;
		}
	}
	if (c->endpoint == EP_EMBEDDINGS) {
		genai__set_json_str(&c->encoding_format, json_object_get(r, "encoding_format"));
		c->has_dimensions = genai__jint(r, "dimensions", &c->dimensions);
	}
}

/* Parts of a chat message's content: a string or an array of parts. */
static json_t *chat_content_parts(const json_t *content, size_t max)
{
	json_t *parts = json_array(), *p;
	size_t i;

	if (!parts)
		return NULL;
	if (json_is_string(content)) {
		json_array_append_new(parts, genai_part__text_str(content, max));
		return parts;
	}
	json_array_foreach(content, i, p) {
		const char *type = genai__jstr(p, "type");
		const json_t *t = json_object_get(p, "text");

		if (json_is_string(t)) /* text, input_text, output_text */
			json_array_append_new(parts, genai_part__text_str(t, max));
		else
			json_array_append_new(parts, genai_part__generic(type));
	}
	return parts;
}

static json_t *chat_tool_call_part(const json_t *tc, size_t max)
{
	const json_t *fn = json_object_get(tc, "function");
	const json_t *args = json_object_get(fn, "arguments");

	return genai_part__tool_call(genai__jstr(tc, "id"), genai__jstr(fn, "name"),
				     json_string_value(args), json_string_length(args),
				     json_is_string(args) ? NULL : args, max);
}

static void chat_input(struct genai_call *c, const json_t *r)
{
	const json_t *msgs = json_object_get(r, "messages"), *m;
	size_t i, k, max = c->content_max;

	c->input_messages = json_array();
	if (!c->input_messages)
		return;
	json_array_foreach(msgs, i, m) {
		const char *role = genai__jstr(m, "role");
		const json_t *content = json_object_get(m, "content"), *tc;
		json_t *parts;

		if (role && strcmp(role, "tool") == 0) {
			parts = json_array();
			json_array_append_new(parts, genai_part__tool_response(
				genai__jstr(m, "tool_call_id"), content, max));
		} else {
			parts = chat_content_parts(content, max);
			json_array_foreach(json_object_get(m, "tool_calls"), k, tc)
				json_array_append_new(parts, chat_tool_call_part(tc, max));
		}
		genai_msgs__append(c->input_messages, genai_msg__new(role, parts));
	}
}

/* Responses API input: a string or a list of items. */
static void responses_input(struct genai_call *c, const json_t *r)
{
	const json_t *in = json_object_get(r, "input"), *it;
	const json_t *instr = json_object_get(r, "instructions");
	size_t i, max = c->content_max;

	c->input_messages = json_array();
	if (!c->input_messages)
		return;
	if (json_is_string(instr)) {
		c->system_instructions = json_array();
		json_array_append_new(c->system_instructions,
				      genai_part__text_str(instr, max));
	}
	if (json_is_string(in)) {
		json_t *parts = json_array();

		json_array_append_new(parts, genai_part__text_str(in, max));
		genai_msgs__append(c->input_messages, genai_msg__new("user", parts));
		return;
	}
	json_array_foreach(in, i, it) {
		const char *type = genai__jstr(it, "type");
		json_t *parts;

		if (type && strcmp(type, "function_call") == 0) {
			const json_t *args = json_object_get(it, "arguments");

			parts = json_array();
			json_array_append_new(parts, genai_part__tool_call(
				genai__jstr(it, "call_id"), genai__jstr(it, "name"),
				json_string_value(args), json_string_length(args), NULL, max));
			genai_msgs__append(c->input_messages, genai_msg__new("assistant", parts));
		} else if (type && strcmp(type, "function_call_output") == 0) {
			parts = json_array();
			json_array_append_new(parts, genai_part__tool_response(
				genai__jstr(it, "call_id"), json_object_get(it, "output"), max));
			genai_msgs__append(c->input_messages, genai_msg__new("tool", parts));
		} else if (genai__jstr(it, "role")) {
			parts = chat_content_parts(json_object_get(it, "content"), max);
			genai_msgs__append(c->input_messages,
					   genai_msg__new(genai__jstr(it, "role"), parts));
		}
	}
}

static void completions_input(struct genai_call *c, const json_t *r)
{
	const json_t *p = json_object_get(r, "prompt"), *v;
	size_t i;

	c->input_messages = json_array();
	if (!c->input_messages)
		return;
	if (json_is_string(p))
		p = json_pack("[O]", p);
	else
		json_incref((json_t *)p);
	json_array_foreach(p, i, v) {
		json_t *parts;

		if (!json_is_string(v))
			continue;
		parts = json_array();
		json_array_append_new(parts, genai_part__text(json_string_value(v),
							      json_string_length(v),
							      c->content_max));
		genai_msgs__append(c->input_messages, genai_msg__new("user", parts));
	}
	json_decref((json_t *)p);
}

static int openai_parse_request(struct genai_call *c, const struct http_exchange *x,
				const struct genai_hint *h)
{
	c->endpoint = openai_endpoint(h);
	c->provider = SC_PROVIDER_OPENAI;
	switch (c->endpoint) {
	case EP_EMBEDDINGS:
		c->operation = SC_OP_EMBEDDINGS;
		break;
	case EP_COMPLETIONS:
		c->operation = SC_OP_TEXT_COMPLETION;
		break;
	default:
		c->operation = SC_OP_CHAT;
		break;
	}
	if (!json_is_object(h->req))
		return 0;
	openai_params(c, h->req);
	if (!c->capture)
		return 0;
	if (c->endpoint == EP_CHAT)
		chat_input(c, h->req);
	else if (c->endpoint == EP_RESPONSES)
		responses_input(c, h->req);
	else if (c->endpoint == EP_COMPLETIONS)
		completions_input(c, h->req);
	return 0;
}

/* ---- response ---- */

static void openai_usage(struct genai_call *c, const json_t *u)
{
	const json_t *d;
	struct genai_usage *g = &c->usage;

	if (!json_is_object(u))
		return;
	if (genai__jint(u, "prompt_tokens", &g->input) || genai__jint(u, "input_tokens", &g->input))
		g->has_input = true;
	if (genai__jint(u, "completion_tokens", &g->output) ||
	    genai__jint(u, "output_tokens", &g->output))
		g->has_output = true;
	d = json_object_get(u, "prompt_tokens_details");
	if (!d)
		d = json_object_get(u, "input_tokens_details");
	if (genai__jint(d, "cached_tokens", &g->cache_read))
		g->has_cache_read = true;
	d = json_object_get(u, "completion_tokens_details");
	if (!d)
		d = json_object_get(u, "output_tokens_details");
	if (genai__jint(d, "reasoning_tokens", &g->reasoning))
		g->has_reasoning = true;
}

/* {"error": {"type": ..., "code": ...}}: type, else code. A bare string
 * error is a message (high cardinality) and is not used. */
static void openai_error(struct genai_call *c, const json_t *root)
{
	const json_t *e = json_object_get(root, "error"), *v;
	char num[24];

	if (!json_is_object(e))
		return;
	v = json_object_get(e, "type");
	if (!json_is_string(v) || !json_string_length(v))
		v = json_object_get(e, "code");
	if (json_is_string(v) && json_string_length(v)) {
		genai__set_json_str(&c->error_type, v);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		genai__set_str(&c->error_type, num, strlen(num));
	}
}

static void set_finish(struct genai_call *c, int64_t idx, const json_t *fr)
{
	struct genai_choice *ch;

	if (!json_is_string(fr))
		return;
	ch = genai_call__choice(c, idx);
	if (ch)
		genai__set_json_str(&ch->finish_reason, fr);
}

static void append_text(struct genai_call *c, int64_t idx, const json_t *t)
{
	struct genai_choice *ch;

	if (!c->capture || !json_is_string(t) || !json_string_length(t))
		return;
	ch = genai_call__choice(c, idx);
	if (ch)
		genai_text__append(&ch->text, json_string_value(t), json_string_length(t),
				   c->content_max);
}

/* A chat tool_calls entry, whole (JSON) or a stream delta: id and name
 * are set when present, arguments are appended. */
static void chat_tool_delta(struct genai_call *c, int64_t choice, const json_t *tc,
			    int64_t pos)
{
	const json_t *fn = json_object_get(tc, "function");
	const json_t *args = json_object_get(fn, "arguments"), *id, *name;
	struct genai_tool_call *t;
	int64_t index;

	if (!genai__jint(tc, "index", &index))
		index = pos;
	if (choice < 0 || choice >= GENAI_MAX_CHOICES)
		return;
	t = genai_call__tool(c, (uint32_t)choice, index);
	if (!t)
		return;
	id = json_object_get(tc, "id");
	name = json_object_get(fn, "name");
	if (json_is_string(id) && json_string_length(id))
		genai__set_json_str(&t->id, id);
	if (json_is_string(name))
		genai__set_json_str(&t->name, name);
	if (c->capture && json_is_string(args))
		genai_text__append(&t->args, json_string_value(args), json_string_length(args),
				   c->content_max);
}

/* One chat/completions response object or stream chunk. */
static void chat_object(struct genai_call *c, const json_t *o, bool chunk)
{
	const json_t *choices = json_object_get(o, "choices"), *ch, *tc, *v;
	size_t i, k;

	/* Azure's first chunk carries only prompt_filter_results, with
	 * "id": "" and "model": "": take the first non-empty values */
	if (!c->response_id && json_string_length(v = json_object_get(o, "id")))
		genai__set_json_str(&c->response_id, v);
	if (!c->response_model && json_string_length(v = json_object_get(o, "model")))
		genai__set_json_str(&c->response_model, v);
	json_array_foreach(choices, i, ch) {
		const json_t *msg = json_object_get(ch, chunk ? "delta" : "message");
		int64_t idx;

		if (!genai__jint(ch, "index", &idx))
			idx = i;
		if (idx < GENAI_MAX_CHOICES && idx >= 0)
			genai_call__choice(c, idx);
		append_text(c, idx, json_object_get(msg, "content"));
		append_text(c, idx, json_object_get(ch, "text")); /* /completions */
		json_array_foreach(json_object_get(msg, "tool_calls"), k, tc)
			chat_tool_delta(c, idx, tc, k);
		set_finish(c, idx, json_object_get(ch, "finish_reason"));
	}
	openai_usage(c, json_object_get(o, "usage"));
	openai_error(c, o);
}

/* A Responses API response object (plain body or a terminal event). */
static void responses_object(struct genai_call *c, const json_t *r)
{
	const char *status = genai__jstr(r, "status");
	const json_t *out = json_object_get(r, "output"), *it, *e;
	struct genai_choice *ch0;
	bool tools = false;
	size_t i, k;

	genai__set_json_str(&c->response_id, json_object_get(r, "id"));
	genai__set_json_str(&c->response_model, json_object_get(r, "model"));
	ch0 = genai_call__choice(c, 0);
	if (c->capture) /* the final object is authoritative over deltas */
		genai_text__release(&ch0->text);
	json_array_foreach(out, i, it) {
		const char *type = genai__jstr(it, "type");

		if (!type)
			continue;
		if (strcmp(type, "function_call") == 0) {
			struct genai_tool_call *t = genai_call__tool(c, 0, i);
			const json_t *args = json_object_get(it, "arguments");

			tools = true;
			if (!t)
				continue;
			genai__set_json_str(&t->id, json_object_get(it, "call_id"));
			genai__set_json_str(&t->name, json_object_get(it, "name"));
			if (c->capture && json_is_string(args)) {
				genai_text__release(&t->args);
				genai_text__append(&t->args, json_string_value(args),
						   json_string_length(args), c->content_max);
			}
		} else if (strcmp(type, "message") == 0 && c->capture) {
			json_array_foreach(json_object_get(it, "content"), k, e)
				append_text(c, 0, json_object_get(e, "text"));
		}
	}
	if (status && strcmp(status, "completed") == 0) {
		genai__set_str(&ch0->finish_reason, tools ? "tool_calls" : "stop",
			       tools ? 10 : 4);
	} else if (status && strcmp(status, "incomplete") == 0) {
		const json_t *why = json_object_get(json_object_get(r, "incomplete_details"),
						    "reason");

		if (json_is_string(why))
			genai__set_json_str(&ch0->finish_reason, why);
		else
			genai__set_str(&ch0->finish_reason, "incomplete", 10);
	} else if (status && strcmp(status, "failed") == 0) {
		genai__set_str(&ch0->finish_reason, "error", 5);
		e = json_object_get(r, "error");
		if (genai__set_json_str(&c->error_type, json_object_get(e, "code")) &&
		    !c->error_type)
			genai__set_str(&c->error_type, "failed", 6);
	}
	openai_usage(c, json_object_get(r, "usage"));
}

/* What one pass over a chat stream chunk's keys (strings followed by a
 * colon) found: whether it may carry more than text, and where the values
 * of its "index" and "content" keys start, when each occurs once. */
struct chunk_keys {
	bool more;          /* "tool_calls" or "error", or a non-null
			     * "finish_reason" or "usage": parse it whole */
	int n_index, n_content;
	const char *index, *content;
};

static bool key_is(const char *k, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(k, name, n) == 0;
}

static void scan_chunk(const char *d, size_t n, struct chunk_keys *ck)
{
	const char *p = d, *end = d + n, *q, *k;

	memset(ck, 0, sizeof(*ck));
	while ((p = memchr(p, '"', end - p)) != NULL) {
		k = ++p;
		/* the closing quote: one not escaped by an odd backslash run */
		for (;;) {
			const char *b;

			q = memchr(p, '"', end - p);
			if (!q)
				return;
			for (b = q; b > p && b[-1] == '\\'; b--)
				;
			p = q + 1;
			if ((q - b) % 2 == 0)
				break;
		}
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p == end || *p != ':')
			continue; /* a value, not a key */
		do
			p++;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'));
		if (key_is(k, q - k, "index")) {
			ck->n_index++;
			ck->index = p;
		} else if (key_is(k, q - k, "content")) {
			ck->n_content++;
			ck->content = p;
		} else if (key_is(k, q - k, "tool_calls") || key_is(k, q - k, "error") ||
			   ((key_is(k, q - k, "finish_reason") || key_is(k, q - k, "usage")) &&
			    p < end && *p != 'n')) {
			ck->more = true;
			return;
		}
	}
}

/* The text of a chunk that only carries text: its one "content" value, in
 * its one choice, index 0. Returns false when the chunk must be parsed. */
static bool chunk_text(struct genai_call *c, const struct chunk_keys *ck, const char *end)
{
	const char *v = ck->content;
	json_t *t;

	if (ck->n_index != 1 || ck->n_content != 1 || end - ck->index < 2 ||
	    ck->index[0] != '0' || (ck->index[1] >= '0' && ck->index[1] <= '9'))
		return false;
	if (end - v >= 4 && memcmp(v, "null", 4) == 0)
		return true;
	t = genai__json_str_at(v, end - v);
	if (!t)
		return false;
	append_text(c, 0, t);
	json_decref(t);
	return true;
}

struct openai_stream {
	struct genai_call *c;
	struct genai_counters *cnt;
};

static json_t *parse_chunk(struct openai_stream *s, const char *d, size_t n)
{
	json_t *o = genai__json_load(d, n, 0);

	if (!o)
		s->cnt->json_errors++;
	return o;
}

static int chat_sse_cb(void *ctx, const char *ev, size_t evl, const char *d, size_t n)
{
	struct openai_stream *s = ctx;
	struct genai_call *c = s->c;
	json_t *o;

	if (n == 6 && memcmp(d, "[DONE]", 6) == 0) {
		c->terminated = true;
		return 0;
	}
	/* most chunks only carry text: skip them, or with capture take the
	 * text without parsing the whole chunk */
	if (c->response_id) {
		struct chunk_keys ck;

		scan_chunk(d, n, &ck);
		if (!ck.more && (!c->capture || chunk_text(c, &ck, d + n)))
			return 0;
	}
	o = parse_chunk(s, d, n);
	if (o) {
		chat_object(c, o, true);
		json_decref(o);
	}
	return 0;
}

static void responses_event(struct genai_call *c, const char *type, const json_t *o)
{
	const json_t *item = json_object_get(o, "item");
	int64_t oi = 0;

	genai__jint(o, "output_index", &oi);
	if (strcmp(type, "response.created") == 0 || strcmp(type, "response.in_progress") == 0) {
		const json_t *r = json_object_get(o, "response");

		genai__set_json_str(&c->response_id, json_object_get(r, "id"));
		genai__set_json_str(&c->response_model, json_object_get(r, "model"));
	} else if (strcmp(type, "response.output_item.added") == 0 ||
		   strcmp(type, "response.output_item.done") == 0) {
		const char *it = genai__jstr(item, "type");
		struct genai_tool_call *t;

		if (!it || strcmp(it, "function_call") != 0)
			return;
		t = genai_call__tool(c, 0, oi);
		if (!t)
			return;
		genai__set_json_str(&t->id, json_object_get(item, "call_id"));
		genai__set_json_str(&t->name, json_object_get(item, "name"));
	} else if (strcmp(type, "response.output_text.delta") == 0) {
		append_text(c, 0, json_object_get(o, "delta"));
	} else if (strcmp(type, "response.function_call_arguments.delta") == 0) {
		const json_t *dl = json_object_get(o, "delta");
		struct genai_tool_call *t = genai_call__tool(c, 0, oi);

		if (t && c->capture && json_is_string(dl))
			genai_text__append(&t->args, json_string_value(dl),
					   json_string_length(dl), c->content_max);
	} else if (strcmp(type, "response.completed") == 0 ||
		   strcmp(type, "response.incomplete") == 0 ||
		   strcmp(type, "response.failed") == 0) {
		c->terminated = true;
		responses_object(c, json_object_get(o, "response"));
	} else if (strcmp(type, "error") == 0) {
		c->terminated = true;
		if (genai__set_json_str(&c->error_type, json_object_get(o, "code")) &&
		    !c->error_type)
			genai__set_str(&c->error_type, "error", 5);
	}
}

static int responses_sse_cb(void *ctx, const char *ev, size_t evl, const char *d, size_t n)
{
	struct openai_stream *s = ctx;
	const char *type;
	json_t *o;

	/* text and argument deltas matter only for content capture */
	if (evl > 6 && memcmp(ev + evl - 6, ".delta", 6) == 0) {
		json_t *t;

		if (!s->c->capture)
			return 0;
		if (evl == 26 && memcmp(ev, "response.output_text.delta", 26) == 0 &&
		    genai__json_one_str(d, n, "\"delta\"", &t)) {
			append_text(s->c, 0, t);
			json_decref(t);
			return 0;
		}
	}
	o = parse_chunk(s, d, n);
	if (!o)
		return 0;
	type = genai__jstr(o, "type");
	if (type)
		responses_event(s->c, type, o);
	json_decref(o);
	return 0;
}

/* Every member chat_object and openai_error read, at any depth; a chat
 * response's others (created, logprobs, refusal, system_fingerprint, the
 * token details' other counts, ...) are checked but not built. A switch,
 * not a list: it runs for every key of every response. */
static bool chat_key(const char *k, size_t n)
{
#define IS(name) (memcmp(k, name, sizeof(name) - 1) == 0)
	switch (n) {
	case 2: return IS("id");
	case 4: return IS("text") || IS("name") || IS("type") || IS("code");
	case 5: return IS("model") || IS("index") || IS("usage") || IS("error");
	case 7: return IS("choices") || IS("message") || IS("content");
	case 8: return IS("function");
	case 9: return IS("arguments");
	case 10: return IS("tool_calls");
	case 12: return IS("input_tokens");
	case 13: return IS("prompt_tokens") || IS("finish_reason") || IS("output_tokens") ||
			IS("cached_tokens");
	case 16: return IS("reasoning_tokens");
	case 17: return IS("completion_tokens");
	case 20: return IS("input_tokens_details");
	case 21: return IS("prompt_tokens_details") || IS("output_tokens_details");
	case 25: return IS("completion_tokens_details");
	default: return false;
	}
#undef IS
}

static int openai_parse_response(struct genai_call *c, const struct http_exchange *x,
				 const struct genai_hint *h, struct genai_counters *cnt)
{
	const char *b = (const char *)x->resp.body;
	json_t *o;

	if (!x->resp.body_len)
		return 0;
	if (h->resp_sse && x->status < 400) {
		struct openai_stream s = { .c = c, .cnt = cnt };

		c->resp_stream = true;
		return genai__sse_each(&x->resp,
				       c->endpoint == EP_RESPONSES ? responses_sse_cb : chat_sse_cb,
				       &s, cnt);
	}
	o = c->endpoint == EP_RESPONSES ? genai__json_load(b, x->resp.body_len, 0)
					: genai__json_load_keys(b, x->resp.body_len, chat_key);
	if (!o) {
		cnt->json_errors++;
		return 0;
	}
	if (x->status >= 400)
		openai_error(c, o);
	else if (c->endpoint == EP_RESPONSES)
		responses_object(c, o);
	else
		chat_object(c, o, false);
	json_decref(o);
	return 0;
}

static const char *openai_output_finish(const char *raw)
{
	static const char *const map[][2] = {
		{ "stop", "stop" },
		{ "length", "length" },
		{ "max_output_tokens", "length" },
		{ "tool_calls", "tool_calls" },
		{ "function_call", "tool_calls" },
		{ "content_filter", "content_filter" },
		{ "error", "error" },
	};

	return GENAI_FINISH_MAP(map, raw);
}

const struct genai_provider genai_provider_openai = {
	.name = SC_PROVIDER_OPENAI,
	.match = openai_match,
	.parse_request = openai_parse_request,
	.parse_response = openai_parse_response,
	.output_finish_reason = openai_output_finish,
};
