// SPDX-License-Identifier: MIT
/*
 * The gen_ai stage's entry point: recognise the provider, let it fill a
 * struct genai_call, and turn the call into a span.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "conn/stream.h"
#include "genai/content.h"
#include "genai/genai.h"
#include "genai/hint.h"
#include "genai/jskim.h"
#include "genai/provider.h"
#include "genai/semconv.h"
#include "genai/tool_defs.h"
#include "trace/span_exchange.h"

/* request values bigger than this are skimmed over without capture */
#define GENAI_SKIM_SMALL 1024

struct genai {
	struct genai_cfg cfg;
	struct genai_stats st;
	struct genai_tool_defs *defs; /* tool definition hashes by their text */
};

struct genai *genai__new(const struct genai_cfg *cfg)
{
	const struct genai_provider *const *list;
	struct genai *g = calloc(1, sizeof(*g));
	size_t n, i;

	if (!g)
		return NULL;
	g->defs = genai_tool_defs__new();
	if (!g->defs) {
		free(g);
		return NULL;
	}
	if (cfg)
		g->cfg = *cfg;
	if (!g->cfg.content_max_bytes)
		g->cfg.content_max_bytes = GENAI_CONTENT_MAX_DEFAULT;
	list = genai_registry__list(&n);
	for (i = 0; i < n && i < GENAI_STATS_PROVIDERS; i++)
		g->st.provider_names[i] = list[i]->name;
	g->st.n_providers = i;
	return g;
}

void genai__free(struct genai *g)
{
	if (!g)
		return;
	genai_tool_defs__free(g->defs);
	free(g);
}

void genai__stats(const struct genai *g, struct genai_stats *out)
{
	*out = g->st;
}

/* ---- attributes ---- */

static int set_content(struct genai *g, struct span *s, const char *key, const json_t *v)
{
	bool cut = false;
	char *str;
	int err;

	if (!v || json_array_size(v) == 0)
		return 0;
	str = genai_content__dump(v, g->cfg.content_max_bytes, &cut);
	if (!str)
		return -ENOMEM;
	if (cut)
		g->st.content_truncated++;
	err = span__set_str(s, key, str);
	free(str);
	return err;
}

/* gen_ai.output.messages: one message per choice, text then tool calls. */
static json_t *output_messages(const struct genai_call *c, const struct genai_provider *p,
			       bool failed)
{
	json_t *msgs = json_array();
	size_t i, k;

	if (!msgs)
		return NULL;
	for (i = 0; i < c->n_choices; i++) {
		const struct genai_choice *ch = &c->choices[i];
		const char *fr = NULL;
		json_t *parts, *m;

		if (!ch->used)
			continue;
		parts = json_array();
		if (!parts)
			break;
		if (ch->text.len)
			json_array_append_new(parts, genai_part__text(ch->text.s, ch->text.len,
								      c->content_max));
		for (k = 0; k < c->n_tools; k++) {
			const struct genai_tool_call *t = &c->tools[k];

			if (t->choice == i)
				json_array_append_new(parts, genai_part__tool_call(
					t->id, t->name, t->args.s, t->args.len, NULL,
					c->content_max));
		}
		if (json_array_size(parts) == 0) {
			json_decref(parts);
			continue;
		}
		if (ch->finish_reason)
			fr = p->output_finish_reason ? p->output_finish_reason(ch->finish_reason)
						     : NULL;
		if (!fr)
			fr = ch->finish_reason ? ch->finish_reason : failed ? "error" : "stop";
		m = genai_msg__new("assistant", parts);
		if (m) {
			json_object_set_new(m, "finish_reason", json_string(fr));
			json_array_append_new(msgs, m);
		}
	}
	return msgs;
}

static int set_request_attrs(struct span *s, const struct genai_call *c)
{
	int err = 0;

	err |= span__set_str(s, SC_GEN_AI_OPERATION_NAME, c->operation);
	err |= span__set_str(s, SC_GEN_AI_PROVIDER_NAME, c->provider);
	if (c->request_model)
		err |= span__set_str(s, SC_GEN_AI_REQUEST_MODEL, c->request_model);
	if (c->has_temperature)
		err |= span__set_double(s, SC_GEN_AI_REQUEST_TEMPERATURE, c->temperature);
	if (c->has_top_p)
		err |= span__set_double(s, SC_GEN_AI_REQUEST_TOP_P, c->top_p);
	if (c->has_top_k)
		err |= span__set_double(s, SC_GEN_AI_REQUEST_TOP_K, c->top_k);
	if (c->has_max_tokens)
		err |= span__set_int(s, SC_GEN_AI_REQUEST_MAX_TOKENS, c->max_tokens);
	if (c->has_seed)
		err |= span__set_int(s, SC_GEN_AI_REQUEST_SEED, c->seed);
	if (c->has_choice_count)
		err |= span__set_int(s, SC_GEN_AI_REQUEST_CHOICE_COUNT, c->choice_count);
	if (c->n_stop)
		err |= attrs__set_str_array(&s->attrs, SC_GEN_AI_REQUEST_STOP_SEQUENCES,
					    (const char *const *)c->stop, c->n_stop);
	if (c->has_stream || c->resp_stream)
		err |= span__set_bool(s, SC_GEN_AI_REQUEST_STREAM, c->stream || c->resp_stream);
	if (c->encoding_format)
		err |= attrs__set_str_array(&s->attrs, SC_GEN_AI_REQUEST_ENCODING_FORMATS,
					    (const char *const *)&c->encoding_format, 1);
	if (c->has_dimensions)
		err |= span__set_int(s, SC_GEN_AI_EMBEDDINGS_DIMENSION_COUNT, c->dimensions);
	return err ? -ENOMEM : 0;
}

static int set_response_attrs(struct span *s, const struct genai_call *c)
{
	const char *fr[GENAI_MAX_CHOICES];
	const struct genai_usage *u = &c->usage;
	size_t i, n = 0;
	int err = 0;

	if (c->response_id)
		err |= span__set_str(s, SC_GEN_AI_RESPONSE_ID, c->response_id);
	if (c->response_model)
		err |= span__set_str(s, SC_GEN_AI_RESPONSE_MODEL, c->response_model);
	for (i = 0; i < c->n_choices; i++)
		if (c->choices[i].used && c->choices[i].finish_reason)
			fr[n++] = c->choices[i].finish_reason;
	if (n)
		err |= attrs__set_str_array(&s->attrs, SC_GEN_AI_RESPONSE_FINISH_REASONS, fr, n);
	if (u->has_input)
		err |= span__set_int(s, SC_GEN_AI_USAGE_INPUT_TOKENS, u->input);
	if (u->has_output)
		err |= span__set_int(s, SC_GEN_AI_USAGE_OUTPUT_TOKENS, u->output);
	if (u->has_cache_read)
		err |= span__set_int(s, SC_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, u->cache_read);
	if (u->has_cache_creation)
		err |= span__set_int(s, SC_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
				     u->cache_creation);
	if (u->has_reasoning)
		err |= span__set_int(s, SC_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, u->reasoning);
	return err ? -ENOMEM : 0;
}

static int set_net_attrs(struct span *s, const struct http_exchange *x)
{
	char addr[256];
	int port, err = 0;

	genai_hint__server(x, addr, sizeof(addr), &port);
	if (addr[0])
		err |= span__set_str(s, SC_SERVER_ADDRESS, addr);
	if (port)
		err |= span__set_int(s, SC_SERVER_PORT, port);
	if (x->status > 0)
		err |= span__set_int(s, SC_HTTP_RESPONSE_STATUS_CODE, x->status);
	return err ? -ENOMEM : 0;
}

/* error.type and status. The provider's own error type wins; otherwise
 * the status code, or one of our low-cardinality values for calls that
 * ended early. A body cut by our own cap is not the call's error. */
static int set_error(struct genai *g, struct span *s, const struct http_exchange *x,
		     const struct genai_call *c)
{
	/* Our doing: a capture gap, an undecodable body, or the body cap (the
	 * message still completed). A connection that closed mid-body is the
	 * call's failure and falls through to the incomplete checks. */
	bool cut = x->gap || x->resp.decode_failed ||
		   (x->resp.body_truncated && x->resp_complete);
	char num[16];
	const char *type = NULL;

	if (x->status == 0) {
		type = SC_ERR_NO_RESPONSE;
		g->st.incomplete++;
	} else if (x->status >= 400) {
		g->st.http_errors++;
		snprintf(num, sizeof(num), "%d", x->status);
		type = c->error_type ? c->error_type : num;
	} else if (c->error_type) {
		type = c->error_type;
	} else if (cut) {
		g->st.truncated_bodies++;
	} else if (c->resp_stream && !c->terminated) {
		type = SC_ERR_STREAM_INCOMPLETE;
		g->st.incomplete++;
	} else if (!x->resp_complete &&
		   !(c->resp_stream && c->terminated && !c->trailer_pending)) {
		/* a stream that reached its terminal event ([DONE],
		 * message_stop, response.completed, ...) gave the agent its
		 * whole answer, even if HTTP's last chunk was never read */
		type = SC_ERR_RESPONSE_INCOMPLETE;
		g->st.incomplete++;
	}
	if (!type)
		return 0;
	s->status = SPAN_STATUS_ERROR;
	return span__set_str(s, SC_ERROR_TYPE, type);
}

/* One event per tool call the model asked for, ids exactly as sent. */
static int add_tool_events(struct span *s, const struct genai_call *c, bool capture,
			   size_t max)
{
	size_t i;
	int err = 0;

	for (i = 0; i < c->n_tools; i++) {
		const struct genai_tool_call *t = &c->tools[i];
		struct span_event *e;

		if (!t->id && !t->name)
			continue;
		e = span__add_event(s, SC_EVENT_TOOL_CALL, s->end_ns);
		if (!e)
			return -ENOMEM;
		if (t->name)
			err |= attrs__set_str(&e->attrs, SC_GEN_AI_TOOL_NAME, t->name);
		if (t->id)
			err |= attrs__set_str(&e->attrs, SC_GEN_AI_TOOL_CALL_ID, t->id);
		err |= attrs__set_str(&e->attrs, SC_GEN_AI_TOOL_TYPE, SC_TOOL_TYPE_FUNCTION);
		/* c->capture may be on for the graph stage alone */
		if (capture && t->args.len)
			err |= attrs__set_strn(&e->attrs, SC_GEN_AI_TOOL_CALL_ARGUMENTS, t->args.s,
					       genai__utf8_cut(t->args.s, t->args.len, max));
		if (err)
			return -ENOMEM;
	}
	return 0;
}

static struct span *build_span(struct genai *g, const struct http_exchange *x,
			       const struct genai_provider *p, const struct genai_call *c,
			       uint64_t mono_to_real_ns)
{
	char name[GENAI_STR_MAX + 32];
	const struct http_message *rq = &x->req, *rs = &x->resp;
	struct span *s;
	int err = 0;

	span__join_name(name, sizeof(name), c->operation, c->request_model);
	s = span__from_exchange(x, name, SPAN_KIND_CLIENT, mono_to_real_ns);
	if (!s)
		return NULL;
	err |= set_request_attrs(s, c);
	err |= set_response_attrs(s, c);
	if (c->resp_stream && rq->ts_first) {
		uint64_t first = rs->ts_first_body ? rs->ts_first_body : rs->ts_first;

		if (first >= rq->ts_first)
			err |= span__set_double(s, SC_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
						(double)(first - rq->ts_first) / 1e9);
	}
	err |= set_net_attrs(s, x);
	err |= set_error(g, s, x, c);
	if (g->cfg.capture_content) {
		json_t *out = output_messages(c, p, s->status == SPAN_STATUS_ERROR);

		err |= set_content(g, s, SC_GEN_AI_SYSTEM_INSTRUCTIONS, c->system_instructions);
		err |= set_content(g, s, SC_GEN_AI_INPUT_MESSAGES, c->input_messages);
		err |= set_content(g, s, SC_GEN_AI_OUTPUT_MESSAGES, out);
		json_decref(out);
	}
	err |= add_tool_events(s, c, g->cfg.capture_content, g->cfg.content_max_bytes);
	if (err) {
		span__free(s);
		return NULL;
	}
	return s;
}

/* The request body as JSON: whole when content is captured or observed,
 * else only its top level (see jskim.h). "tools" is built only for
 * capture; *tools gets its text, which tool_defs.c reads instead. NULL if
 * the body is not a JSON object. */
static json_t *load_request(struct genai *g, const struct http_exchange *x,
			    struct genai_jmember *tools)
{
	const char *b = (const char *)x->req.body;
	bool complete = true;
	json_t *r;

	tools->key = "tools";
	tools->skip = !g->cfg.capture_content;
	tools->v = NULL;
	if (!b || !x->req.body_len)
		return NULL;
	if (g->cfg.capture_content || g->cfg.observe)
		r = genai__json_load_member(b, x->req.body_len, tools);
	else
		r = genai__json_skim(b, x->req.body_len, GENAI_SKIM_SMALL, &complete, tools);
	if (!r || !complete) {
		g->st.json_errors++;
		if (x->req.body_truncated)
			g->st.truncated_bodies++;
	}
	return r;
}

struct span *genai__span_from_exchange(struct genai *g, const struct http_exchange *x,
				       uint64_t mono_to_real_ns)
{
	const struct genai_provider *p;
	struct genai_counters cnt = { 0 };
	struct genai_hint h;
	struct genai_jmember tools;
	struct genai_call c;
	struct span *s = NULL;
	size_t idx = 0;
	json_t *req;
	int n_defs;

	g->st.exchanges++;
	if (!x)
		return NULL;
	/* most traffic is not a POST: no hint, no matchers */
	if (!genai_registry__may_match(x)) {
		g->st.not_genai++;
		return NULL;
	}
	genai_hint__init(&h, x);
	/* paths decide first, so non-LLM traffic never costs a JSON parse */
	if (!genai_registry__match(x, &h, &idx)) {
		g->st.not_genai++;
		return NULL;
	}
	req = load_request(g, x, &tools);
	h.req = req;
	p = genai_registry__match(x, &h, &idx);
	if (!p) {
		g->st.not_genai++;
		json_decref(req);
		return NULL;
	}
	/* The observer (the causal graph) needs messages and tool arguments
	 * even when no content is exported: collect them, emit per the cfg. */
	genai_call__init(&c, g->cfg.capture_content || g->cfg.observe,
			 g->cfg.observe && g->cfg.content_max_bytes < GENAI_OBSERVE_MAX
				 ? GENAI_OBSERVE_MAX : g->cfg.content_max_bytes);
	if (p->parse_request(&c, x, &h) || p->parse_response(&c, x, &h, &cnt)) {
		g->st.nomem++;
		goto cleanup;
	}
	g->st.json_errors += cnt.json_errors;
	g->st.sse_errors += cnt.sse_errors;
	g->st.dropped += c.tools_dropped + c.choices_dropped;
	s = build_span(g, x, p, &c, mono_to_real_ns);
	n_defs = s ? genai_tool_defs__annotate(g->defs, s, req, tools.v, tools.n,
					       g->cfg.capture_content) : 0;
	if (n_defs < 0) {
		span__free(s);
		s = NULL;
	}
	if (!s) {
		g->st.nomem++;
		warn("gen_ai: out of memory building a span");
		goto cleanup;
	}
	c.offers_tools = json_array_size(json_object_get(req, "tools")) ||
			 genai__json_raw_nonempty_array(tools.v, tools.n);
	if (g->cfg.observe)
		g->cfg.observe(g->cfg.observe_ctx, &c, req, s);
	g->st.calls++;
	if (idx < GENAI_STATS_PROVIDERS)
		g->st.per_provider[idx]++;
cleanup:
	genai_call__release(&c);
	json_decref(req);
	return s;
}
