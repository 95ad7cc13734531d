// SPDX-License-Identifier: MIT
/*
 * AWS Bedrock Converse: POST /model/{modelId}/converse (JSON) and
 * /model/{modelId}/converse-stream (application/vnd.amazon.eventstream,
 * see eventstream.h). The model id is percent-decoded from the path (ARNs
 * and "model:0" versions arrive encoded).
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <string.h>

#include "genai/jskim.h"
#include "genai/content.h"
#include "genai/eventstream.h"
#include "genai/provider.h"
#include "genai/semconv.h"

enum bedrock_ep {
	EP_NONE = 0,
	EP_CONVERSE,
	EP_STREAM,
};

/* "/model/{id}/converse[-stream]", possibly behind a proxy prefix. */
static enum bedrock_ep bedrock_path(const struct genai_hint *h, const char **id, size_t *id_len)
{
	const char *p = h->path, *end = p + h->path_len, *m = NULL, *slash;
	enum bedrock_ep ep;

	if (genai__path_ends(h, "/converse"))
		ep = EP_CONVERSE;
	else if (genai__path_ends(h, "/converse-stream"))
		ep = EP_STREAM;
	else
		return EP_NONE;
	for (const char *q = p; (q = memmem(q, end - q, "/model/", 7)); q++)
		m = q;
	if (!m)
		return EP_NONE;
	*id = m + 7;
	slash = memchr(*id, '/', end - *id);
	if (!slash || slash == *id || slash != end - (ep == EP_STREAM ? 16 : 9))
		return EP_NONE;
	*id_len = slash - *id;
	return ep;
}

static int bedrock_match(const struct http_exchange *x, const struct genai_hint *h)
{
	const char *id;
	size_t n;
	int score;

	if (!h->post || !bedrock_path(h, &id, &n))
		return 0;
	score = GENAI_SCORE_PATH;
	if (json_is_array(json_object_get(h->req, "messages")))
		score += GENAI_SCORE_BODY;
	if (strncmp(h->host, "bedrock-runtime", 15) == 0 && strstr(h->host, ".amazonaws.com"))
		score += GENAI_SCORE_HINT;
	return score;
}

/* ---- request ---- */

static void bedrock_params(struct genai_call *c, const json_t *r)
{
	const json_t *ic = json_object_get(r, "inferenceConfig"), *v;
	size_t i;

	c->has_max_tokens = genai__jint(ic, "maxTokens", &c->max_tokens);
	c->has_temperature = genai__jnum(ic, "temperature", &c->temperature);
	c->has_top_p = genai__jnum(ic, "topP", &c->top_p);
	json_array_foreach(json_object_get(ic, "stopSequences"), i, v) {
		if (c->n_stop == GENAI_MAX_STOP)
			break;
		if (!genai__set_json_str(&c->stop[c->n_stop], v))
			c->n_stop++;
	}
}

/* toolResult content: [{"text": ...} | {"json": ...}]: the text when it is
 * one text block, else the list as is. */
static json_t *tool_result_part(const json_t *tr, size_t max)
{
	const json_t *content = json_object_get(tr, "content");
	const json_t *t = json_object_get(json_array_get(content, 0), "text");

	if (json_array_size(content) == 1 && json_is_string(t))
		content = t;
	return genai_part__tool_response(genai__jstr(tr, "toolUseId"), content, max);
}

/* One ContentBlock, a union keyed by its only member. */
static json_t *block_part(const json_t *b, size_t max, bool *is_result)
{
	const json_t *v;
	void *it;

	*is_result = false;
	if (json_is_string(v = json_object_get(b, "text")))
		return genai_part__text_str(v, max);
	if ((v = json_object_get(b, "toolUse")))
		return genai_part__tool_call(genai__jstr(v, "toolUseId"), genai__jstr(v, "name"),
					     NULL, 0, json_object_get(v, "input"), max);
	if ((v = json_object_get(b, "toolResult"))) {
		*is_result = true;
		return tool_result_part(v, max);
	}
	if ((v = json_object_get(json_object_get(b, "reasoningContent"), "reasoningText")) &&
	    json_is_string(json_object_get(v, "text"))) {
		v = json_object_get(v, "text");
		return genai_part__reasoning(json_string_value(v), json_string_length(v), max);
	}
	it = json_is_object(b) ? json_object_iter((json_t *)b) : NULL;
	return genai_part__generic(it ? json_object_iter_key(it) : NULL); /* image, ... */
}

static void bedrock_input(struct genai_call *c, const json_t *r)
{
	const json_t *m, *b;
	size_t i, k, max = c->content_max;
	bool res;

	json_array_foreach(json_object_get(r, "system"), i, b) {
		if (!json_is_string(json_object_get(b, "text")))
			continue; /* cachePoint, guardContent */
		if (!c->system_instructions)
			c->system_instructions = json_array();
		json_array_append_new(c->system_instructions, block_part(b, max, &res));
	}
	c->input_messages = json_array();
	if (!c->input_messages)
		return;
	json_array_foreach(json_object_get(r, "messages"), i, m) {
		const json_t *content = json_object_get(m, "content");
		json_t *parts = json_array();
		bool all_results = json_array_size(content) > 0;

		if (!parts)
			continue;
		json_array_foreach(content, k, b) {
			if (json_object_get(b, "cachePoint"))
				continue;
			json_array_append_new(parts, block_part(b, max, &res));
			all_results &= res;
		}
		genai_msgs__append(c->input_messages,
				   genai_msg__new(all_results ? "tool" : genai__jstr(m, "role"),
						  parts));
	}
}

static int bedrock_parse_request(struct genai_call *c, const struct http_exchange *x,
				 const struct genai_hint *h)
{
	const char *id;
	size_t n;

	c->endpoint = bedrock_path(h, &id, &n);
	c->provider = SC_PROVIDER_AWS_BEDROCK;
	c->operation = SC_OP_CHAT;
	c->has_stream = true;
	c->stream = c->endpoint == EP_STREAM;
	if (genai__set_url_decoded(&c->request_model, id, n))
		return -ENOMEM;
	if (!json_is_object(h->req))
		return 0;
	bedrock_params(c, h->req);
	if (c->capture)
		bedrock_input(c, h->req);
	return 0;
}

/* ---- response ---- */

/* inputTokens leaves out cache reads and writes; the semconv input count
 * includes them, so the parts are summed at the end. */
struct bedrock_state {
	struct genai_call *c;
	struct genai_counters *cnt;
	bool has_input;
	int64_t input;
};

static void bedrock_usage(struct bedrock_state *s, const json_t *u)
{
	struct genai_usage *g = &s->c->usage;

	if (!json_is_object(u))
		return;
	if (genai__jint(u, "inputTokens", &s->input))
		s->has_input = true;
	if (genai__jint(u, "outputTokens", &g->output))
		g->has_output = true;
	if (genai__jint(u, "cacheReadInputTokens", &g->cache_read))
		g->has_cache_read = true;
	if (genai__jint(u, "cacheWriteInputTokens", &g->cache_creation))
		g->has_cache_creation = true;
}

static void bedrock_usage_done(struct bedrock_state *s)
{
	if (s->has_input)
		genai_usage__set_input_plus_cache(&s->c->usage, s->input);
}

static void set_finish(struct genai_call *c, const json_t *fr)
{
	struct genai_choice *ch = genai_call__choice(c, 0);

	if (json_is_string(fr))
		genai__set_json_str(&ch->finish_reason, fr);
}

static void add_text(struct genai_call *c, const json_t *t)
{
	if (c->capture && json_is_string(t))
		genai_text__append(&genai_call__choice(c, 0)->text, json_string_value(t),
				   json_string_length(t), c->content_max);
}

/* The ConverseResponse body. */
static void converse_object(struct bedrock_state *s, const json_t *o)
{
	struct genai_call *c = s->c;
	const json_t *msg = json_object_get(json_object_get(o, "output"), "message"), *b, *tu;
	size_t i;

	genai_call__choice(c, 0);
	json_array_foreach(json_object_get(msg, "content"), i, b) {
		struct genai_tool_call *t;

		add_text(c, json_object_get(b, "text"));
		tu = json_object_get(b, "toolUse");
		if (!json_is_object(tu) || !(t = genai_call__tool(c, 0, i)))
			continue;
		genai__set_json_str(&t->id, json_object_get(tu, "toolUseId"));
		genai__set_json_str(&t->name, json_object_get(tu, "name"));
		if (c->capture)
			genai_text__append_json(&t->args, json_object_get(tu, "input"),
						c->content_max);
	}
	set_finish(c, json_object_get(o, "stopReason"));
	bedrock_usage(s, json_object_get(o, "usage"));
}

/* The REST-JSON error type: the X-Amzn-ErrorType header, else the body's
 * __type or code, without the "...#" namespace or the ":http://..." tail. */
static void bedrock_error(struct genai_call *c, const struct http_exchange *x, const json_t *o)
{
	const struct header_view *hv = http_message__header(&x->resp, "x-amzn-errortype", 0);
	const char *v = NULL, *hash, *colon;
	size_t n = 0;

	if (hv && hv->value_len) {
		v = hv->value;
		n = hv->value_len;
	} else if (genai__jstr(o, "__type") || genai__jstr(o, "code")) {
		const json_t *t = json_object_get(o, "__type");

		if (!json_is_string(t))
			t = json_object_get(o, "code");
		v = json_string_value(t);
		n = json_string_length(t);
	}
	if (!v || !n)
		return;
	hash = memrchr(v, '#', n);
	if (hash) {
		n -= hash + 1 - v;
		v = hash + 1;
	}
	colon = memchr(v, ':', n); /* header values are not NUL-terminated */
	if (colon)
		n = colon - v;
	if (n)
		genai__set_str(&c->error_type, v, n);
}

static void stream_event(struct bedrock_state *s, const char *ev, size_t evl, const json_t *o)
{
	struct genai_call *c = s->c;
	int64_t index = 0;

#define EV_IS(lit) (evl == sizeof(lit) - 1 && memcmp(ev, lit, evl) == 0)
	genai__jint(o, "contentBlockIndex", &index);
	if (EV_IS("messageStart")) {
		genai_call__choice(c, 0);
	} else if (EV_IS("contentBlockStart")) {
		const json_t *tu = json_object_get(json_object_get(o, "start"), "toolUse");
		struct genai_tool_call *t;

		if (!json_is_object(tu) || !(t = genai_call__tool(c, 0, index)))
			return;
		genai__set_json_str(&t->id, json_object_get(tu, "toolUseId"));
		genai__set_json_str(&t->name, json_object_get(tu, "name"));
	} else if (EV_IS("contentBlockDelta")) {
		const json_t *d = json_object_get(o, "delta");
		const json_t *in = json_object_get(json_object_get(d, "toolUse"), "input");
		struct genai_tool_call *t;

		add_text(c, json_object_get(d, "text"));
		if (c->capture && json_is_string(in) && (t = genai_call__tool(c, 0, index)))
			genai_text__append(&t->args, json_string_value(in), json_string_length(in),
					   c->content_max);
	} else if (EV_IS("messageStop")) {
		set_finish(c, json_object_get(o, "stopReason"));
		c->terminated = true;
		c->trailer_pending = true; /* usage comes in metadata, last */
	} else if (EV_IS("metadata")) {
		bedrock_usage(s, json_object_get(o, "usage"));
		c->trailer_pending = false;
	}
#undef EV_IS
}

static int eventstream_cb(void *ctx, const struct eventstream_msg *m)
{
	struct bedrock_state *s = ctx;
	struct genai_call *c = s->c;
	json_t *o;

	if (m->message_type && !(m->message_type_len == 5 &&
				 memcmp(m->message_type, "event", 5) == 0)) {
		/* exception (modeled, with :exception-type) or error */
		const char *t = m->exception_type ? m->exception_type : m->error_code;
		size_t n = m->exception_type ? m->exception_type_len : m->error_code_len;

		if (t && n)
			genai__set_str(&c->error_type, t, n);
		else
			genai__set_str(&c->error_type, SC_ERR_STREAM_ERROR,
				       strlen(SC_ERR_STREAM_ERROR));
		c->terminated = true;
		return 0;
	}
	if (!m->event_type)
		return 0;
	/* text deltas matter only for content capture */
	if (!c->capture && m->event_type_len == 17 &&
	    memcmp(m->event_type, "contentBlockDelta", 17) == 0)
		return 0;
	o = genai__json_load((const char *)m->payload, m->payload_len, 0);
	if (!o) {
		s->cnt->json_errors++;
		return 0;
	}
	stream_event(s, m->event_type, m->event_type_len, o);
	json_decref(o);
	return 0;
}

static int eventstream_each(struct bedrock_state *s, const struct http_message *m)
{
	struct eventstream_stats st;
	struct eventstream *p;
	int err;

	p = eventstream__new(m->body_len, eventstream_cb, s);
	if (!p)
		return -ENOMEM;
	err = eventstream__feed(p, m->body, m->body_len);
	if (!err)
		eventstream__finish(p);
	eventstream__stats(p, &st);
	s->cnt->sse_errors += eventstream__errors(&st);
	eventstream__free(p);
	return err;
}

static int bedrock_parse_response(struct genai_call *c, const struct http_exchange *x,
				  const struct genai_hint *h, struct genai_counters *cnt)
{
	struct bedrock_state s = { .c = c, .cnt = cnt };
	int err = 0;
	json_t *o;

	if (x->status >= 400) {
		o = genai__json_load((const char *)x->resp.body, x->resp.body_len, 0);
		bedrock_error(c, x, o);
		json_decref(o);
		return 0;
	}
	if (!x->resp.body_len)
		return 0;
	if (h->resp_eventstream || c->endpoint == EP_STREAM) {
		c->resp_stream = true;
		err = eventstream_each(&s, &x->resp);
	} else {
		o = genai__json_load((const char *)x->resp.body, x->resp.body_len, 0);
		if (!o) {
			cnt->json_errors++;
			return 0;
		}
		converse_object(&s, o);
		json_decref(o);
	}
	bedrock_usage_done(&s);
	return err == -ENOMEM ? err : 0;
}

static const char *bedrock_output_finish(const char *raw)
{
	static const char *const map[][2] = {
		{ "end_turn", "stop" },
		{ "stop_sequence", "stop" },
		{ "max_tokens", "length" },
		{ "model_context_window_exceeded", "length" },
		{ "tool_use", "tool_calls" },
		{ "guardrail_intervened", "content_filter" },
		{ "content_filtered", "content_filter" },
	};

	return GENAI_FINISH_MAP(map, raw);
}

const struct genai_provider genai_provider_bedrock = {
	.name = SC_PROVIDER_AWS_BEDROCK,
	.match = bedrock_match,
	.parse_request = bedrock_parse_request,
	.parse_response = bedrock_parse_response,
	.output_finish_reason = bedrock_output_finish,
};
