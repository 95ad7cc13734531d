// SPDX-License-Identifier: MIT
/*
 * Ollama: the native /api/chat, /api/generate (NDJSON streams by default,
 * one JSON object with "stream": false), /api/embed and /api/embeddings;
 * and its OpenAI-compatible /v1 paths when the host or port says Ollama
 * (port 11434, or "ollama" in the host name), parsed by the OpenAI
 * provider and named "ollama".
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "genai/jskim.h"
#include "genai/content.h"
#include "genai/provider.h"
#include "genai/semconv.h"

#define OLLAMA_PORT 11434

enum ollama_ep {
	EP_NONE = 0,
	EP_CHAT,
	EP_GENERATE,
	EP_EMBED,       /* /api/embed: usage in prompt_eval_count */
	EP_EMBEDDINGS,  /* /api/embeddings (legacy): no usage */
};

static enum ollama_ep ollama_endpoint(const struct genai_hint *h)
{
	if (genai__path_ends(h, "/api/chat"))
		return EP_CHAT;
	if (genai__path_ends(h, "/api/generate"))
		return EP_GENERATE;
	if (genai__path_ends(h, "/api/embed"))
		return EP_EMBED;
	if (genai__path_ends(h, "/api/embeddings"))
		return EP_EMBEDDINGS;
	return EP_NONE;
}

static bool ollama_host(const struct genai_hint *h)
{
	return h->port == OLLAMA_PORT || strstr(h->host, "ollama");
}

static int ollama_match(const struct http_exchange *x, const struct genai_hint *h)
{
	enum ollama_ep ep = h->post ? ollama_endpoint(h) : EP_NONE;
	const json_t *r = h->req;
	bool shape, hint = ollama_host(h);
	int score;

	if (ep == EP_NONE) {
		/* OpenAI-compatible paths: only on an Ollama host */
		if (!hint)
			return 0;
		score = genai_provider_openai.match(x, h);
		return score ? score + GENAI_SCORE_HINT + 1 : 0;
	}
	if (!json_is_object(r)) /* not read yet, or unparsable: the path decides */
		return GENAI_SCORE_PATH;
	switch (ep) {
	case EP_CHAT:
		shape = json_is_array(json_object_get(r, "messages"));
		break;
	case EP_GENERATE:
		shape = json_object_get(r, "prompt") || json_object_get(r, "suffix");
		break;
	case EP_EMBED:
		shape = json_object_get(r, "input") != NULL;
		break;
	default:
		shape = json_object_get(r, "prompt") != NULL;
		break;
	}
	shape = shape && json_is_string(json_object_get(r, "model"));
	/* "/api/chat" is a common path: a body of another shape on a host
	 * that is not Ollama's is someone else's API */
	if (!shape && !hint)
		return 0;
	score = GENAI_SCORE_PATH + (shape ? GENAI_SCORE_BODY : 0) + (hint ? GENAI_SCORE_HINT : 0);
	return score;
}

/* ---- request ---- */

static void ollama_params(struct genai_call *c, const json_t *r)
{
	const json_t *o = json_object_get(r, "options"), *v;
	size_t i;

	genai__set_json_model(&c->request_model, json_object_get(r, "model"));
	if (c->endpoint == EP_CHAT || c->endpoint == EP_GENERATE) {
		/* Ollama streams unless told "stream": false */
		v = json_object_get(r, "stream");
		c->has_stream = true;
		c->stream = !json_is_false(v);
	}
	if (!json_is_object(o))
		return;
	c->has_temperature = genai__jnum(o, "temperature", &c->temperature);
	c->has_top_p = genai__jnum(o, "top_p", &c->top_p);
	c->has_top_k = genai__jnum(o, "top_k", &c->top_k);
	c->has_max_tokens = genai__jint(o, "num_predict", &c->max_tokens);
	c->has_seed = genai__jint(o, "seed", &c->seed);
	v = json_object_get(o, "stop");
	if (json_is_string(v) && !genai__set_json_str(&c->stop[0], v))
		c->n_stop = 1;
	json_array_foreach(json_is_array(v) ? v : NULL, i, v) {
		if (c->n_stop == GENAI_MAX_STOP)
			break;
		if (!genai__set_json_str(&c->stop[c->n_stop], v))
			c->n_stop++;
	}
}

static json_t *text_parts(const json_t *t, size_t max)
{
	json_t *parts = json_array();

	if (parts && json_is_string(t) && json_string_length(t))
		json_array_append_new(parts, genai_part__text_str(t, max));
	return parts;
}

static void ollama_input(struct genai_call *c, const json_t *r)
{
	const json_t *m, *tc, *sys = json_object_get(r, "system");
	size_t i, k, max = c->content_max;

	if (json_is_string(sys))
		c->system_instructions = text_parts(sys, max);
	c->input_messages = json_array();
	if (!c->input_messages)
		return;
	if (c->endpoint == EP_GENERATE) {
		genai_msgs__append(c->input_messages,
				   genai_msg__new("user", text_parts(json_object_get(r, "prompt"),
								     max)));
		return;
	}
	json_array_foreach(json_object_get(r, "messages"), i, m) {
		const char *role = genai__jstr(m, "role");
		const json_t *content = json_object_get(m, "content");
		json_t *parts;

		if (role && strcmp(role, "tool") == 0) {
			parts = json_array();
			json_array_append_new(parts, genai_part__tool_response(
				genai__jstr(m, "tool_call_id"), content, max));
		} else {
			parts = text_parts(content, max);
			json_array_foreach(json_object_get(m, "tool_calls"), k, tc) {
				const json_t *fn = json_object_get(tc, "function");

				json_array_append_new(parts, genai_part__tool_call(
					genai__jstr(tc, "id"), genai__jstr(fn, "name"), NULL, 0,
					json_object_get(fn, "arguments"), max));
			}
		}
		genai_msgs__append(c->input_messages, genai_msg__new(role, parts));
	}
}

static int ollama_parse_request(struct genai_call *c, const struct http_exchange *x,
				 const struct genai_hint *h)
{
	int err;

	c->endpoint = ollama_endpoint(h);
	if (c->endpoint == EP_NONE) { /* the OpenAI-compatible API */
		err = genai_provider_openai.parse_request(c, x, h);
		c->provider = SC_PROVIDER_OLLAMA;
		return err;
	}
	c->provider = SC_PROVIDER_OLLAMA;
	c->operation = c->endpoint == EP_CHAT	  ? SC_OP_CHAT
		       : c->endpoint == EP_GENERATE ? SC_OP_TEXT_COMPLETION
						    : SC_OP_EMBEDDINGS;
	if (!json_is_object(h->req))
		return 0;
	ollama_params(c, h->req);
	if (c->capture && (c->endpoint == EP_CHAT || c->endpoint == EP_GENERATE))
		ollama_input(c, h->req);
	return 0;
}

/* ---- response ---- */

struct ollama_state {
	struct genai_call *c;
	struct genai_counters *cnt;
	int64_t calls; /* tool calls seen, in order */
};

static void ollama_tool_calls(struct ollama_state *s, const json_t *list)
{
	struct genai_call *c = s->c;
	const json_t *tc, *v;
	size_t i;

	json_array_foreach(list, i, tc) {
		const json_t *fn = json_object_get(tc, "function");
		struct genai_tool_call *t = genai_call__tool(c, 0, s->calls++);

		if (!t)
			continue;
		/* newer Ollama versions send an id; older ones only the name */
		if (json_is_string(v = json_object_get(tc, "id")) && json_string_length(v))
			genai__set_json_str(&t->id, v);
		genai__set_json_str(&t->name, json_object_get(fn, "name"));
		if (c->capture) {
			v = json_object_get(fn, "arguments");
			if (json_is_string(v))
				genai_text__append(&t->args, json_string_value(v),
						   json_string_length(v), c->content_max);
			else
				genai_text__append_json(&t->args, v, c->content_max);
		}
	}
}

/* One response object: a whole body or one NDJSON line. */
static void ollama_object(struct ollama_state *s, const json_t *o)
{
	struct genai_call *c = s->c;
	const json_t *msg = json_object_get(o, "message"), *t;
	struct genai_usage *u = &c->usage;
	struct genai_choice *ch;

	if (json_object_get(o, "error")) {
		/* {"error": "message"}: free text, so not an error.type */
		if (!c->error_type)
			genai__set_str(&c->error_type, SC_ERR_STREAM_ERROR,
				       strlen(SC_ERR_STREAM_ERROR));
		c->terminated = true;
		return;
	}
	if (!c->response_model)
		genai__set_json_str(&c->response_model, json_object_get(o, "model"));
	if (c->endpoint == EP_EMBED || c->endpoint == EP_EMBEDDINGS) {
		if (genai__jint(o, "prompt_eval_count", &u->input))
			u->has_input = true;
		return;
	}
	ch = genai_call__choice(c, 0);
	t = msg ? json_object_get(msg, "content") : json_object_get(o, "response");
	if (c->capture && json_is_string(t) && json_string_length(t))
		genai_text__append(&ch->text, json_string_value(t), json_string_length(t),
				   c->content_max);
	ollama_tool_calls(s, json_object_get(msg, "tool_calls"));
	if (json_is_true(json_object_get(o, "done")))
		c->terminated = true;
	genai__set_json_str(&ch->finish_reason, json_object_get(o, "done_reason"));
	if (genai__jint(o, "prompt_eval_count", &u->input))
		u->has_input = true;
	if (genai__jint(o, "eval_count", &u->output))
		u->has_output = true;
}

static int ollama_line_cb(void *ctx, const char *line, size_t len)
{
	struct ollama_state *s = ctx;
	json_t *o = genai__json_load(line, len, 0);

	if (!o) {
		s->cnt->json_errors++;
		return 0;
	}
	ollama_object(s, o);
	json_decref(o);
	return 0;
}

static int ollama_parse_response(struct genai_call *c, const struct http_exchange *x,
				 const struct genai_hint *h, struct genai_counters *cnt)
{
	struct ollama_state s = { .c = c, .cnt = cnt };
	json_t *o;

	if (ollama_endpoint(h) == EP_NONE)
		return genai_provider_openai.parse_response(c, x, h, cnt);
	if (!x->resp.body_len)
		return 0;
	if (h->resp_ndjson && x->status < 400) {
		c->resp_stream = true;
		return genai__ndjson_each(&x->resp, ollama_line_cb, &s, cnt);
	}
	o = genai__json_load((const char *)x->resp.body, x->resp.body_len, 0);
	if (o && x->status >= 400) {
		json_decref(o); /* {"error": "..."}: the status code is the type */
		return 0;
	}
	if (o) {
		ollama_object(&s, o);
		json_decref(o);
		return 0;
	}
	if (x->status >= 400)
		return 0;
	/* a stream served without its media type: more than one object */
	if (c->stream) {
		c->resp_stream = true;
		return genai__ndjson_each(&x->resp, ollama_line_cb, &s, cnt);
	}
	cnt->json_errors++;
	return 0;
}

/* Native done_reason values, and OpenAI's for the compatible paths. */
static const char *ollama_output_finish(const char *raw)
{
	static const char *const map[][2] = {
		{ "stop", "stop" },
		{ "length", "length" },
		{ "tool_calls", "tool_calls" },
		{ "content_filter", "content_filter" },
	};

	return GENAI_FINISH_MAP(map, raw);
}

const struct genai_provider genai_provider_ollama = {
	.name = SC_PROVIDER_OLLAMA,
	.match = ollama_match,
	.parse_request = ollama_parse_request,
	.parse_response = ollama_parse_response,
	.output_finish_reason = ollama_output_finish,
};
