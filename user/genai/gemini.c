// SPDX-License-Identifier: MIT
/*
 * Google Gemini: POST /{v1,v1beta,v1alpha}/models/{model}:generateContent
 * and :streamGenerateContent (SSE with ?alt=sse, else one JSON array that
 * grows as the stream goes), plus the same methods under Vertex AI's
 * /v1/projects/P/locations/L/publishers/google/models/{model}. The model
 * comes from the path; the API key (?key= or x-goog-api-key) is never read.
 */
#define _GNU_SOURCE /* memmem, memrchr */
#include <errno.h>
#include <string.h>

#include "genai/jskim.h"
#include "genai/content.h"
#include "genai/provider.h"
#include "genai/semconv.h"

enum gemini_ep {
	EP_NONE = 0,
	EP_GENERATE,
	EP_STREAM,
	EP_EMBED,
};

struct gemini_path {
	enum gemini_ep ep;
	bool vertex;
	const char *model;
	size_t model_len;
};

static bool seg_is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* Splits ".../{ver}/models/{model}:{method}". The segment before "models"
 * must be an API version, or the path must be Vertex's publisher path; any
 * prefix before that (gateways, proxies) is allowed. */
static bool gemini_path(const struct genai_hint *h, struct gemini_path *gp)
{
	const char *p = h->path, *end = p + h->path_len, *colon, *models, *verb;
	const char *ver_end, *ver;
	size_t vl;

	memset(gp, 0, sizeof(*gp));
	colon = memrchr(p, ':', h->path_len);
	if (!colon)
		return false;
	verb = colon + 1;
	if (seg_is(verb, end - verb, "generateContent"))
		gp->ep = EP_GENERATE;
	else if (seg_is(verb, end - verb, "streamGenerateContent"))
		gp->ep = EP_STREAM;
	else if (seg_is(verb, end - verb, "embedContent") ||
		 seg_is(verb, end - verb, "batchEmbedContents"))
		gp->ep = EP_EMBED;
	else
		return false;
	/* the last "/models/" before the colon */
	models = NULL;
	for (const char *q = p; (q = memmem(q, colon - q, "/models/", 8)); q++)
		models = q;
	if (!models)
		return false;
	gp->model = models + 8;
	gp->model_len = colon - gp->model;
	if (!gp->model_len || memchr(gp->model, '/', gp->model_len))
		return false;
	if (models - p >= 18 && memcmp(models - 18, "/publishers/google", 18) == 0 &&
	    memmem(p, models - p, "/projects/", 10)) {
		gp->vertex = true;
		return true;
	}
	ver_end = models;
	for (ver = ver_end; ver > p && ver[-1] != '/'; ver--)
		;
	vl = ver_end - ver;
	return seg_is(ver, vl, "v1") || seg_is(ver, vl, "v1beta") || seg_is(ver, vl, "v1alpha") ||
	       seg_is(ver, vl, "v1beta1");
}

static bool host_ends(const struct genai_hint *h, const char *suffix)
{
	size_t hl = strlen(h->host), n = strlen(suffix);

	return hl >= n && strcmp(h->host + hl - n, suffix) == 0;
}

static int gemini_match(const struct http_exchange *x, const struct genai_hint *h)
{
	const json_t *r = h->req;
	struct gemini_path gp;
	int score;

	if (!h->post || !gemini_path(h, &gp))
		return 0;
	score = GENAI_SCORE_PATH;
	if (json_is_array(json_object_get(r, "contents")) ||
	    json_object_get(r, "content") || json_is_array(json_object_get(r, "requests")))
		score += GENAI_SCORE_BODY;
	if (h->hdr_goog_api_key || genai__host_is(h, "generativelanguage.googleapis.com") ||
	    host_ends(h, "aiplatform.googleapis.com")) /* REGION-aiplatform... */
		score += GENAI_SCORE_HINT;
	return score;
}

/* ---- request ---- */

/* generationConfig, in the REST API's camelCase or the proto's snake_case */
static const json_t *jget2(const json_t *o, const char *camel, const char *snake)
{
	const json_t *v = json_object_get(o, camel);

	return v ? v : json_object_get(o, snake);
}

static void gemini_params(struct genai_call *c, const json_t *r)
{
	const json_t *gc = jget2(r, "generationConfig", "generation_config"), *v;
	size_t i;

	if (!json_is_object(gc))
		return;
	c->has_temperature = json_is_number(v = json_object_get(gc, "temperature"));
	c->temperature = json_number_value(v);
	c->has_top_p = json_is_number(v = jget2(gc, "topP", "top_p"));
	c->top_p = json_number_value(v);
	c->has_top_k = json_is_number(v = jget2(gc, "topK", "top_k"));
	c->top_k = json_number_value(v);
	c->has_max_tokens = json_is_number(v = jget2(gc, "maxOutputTokens", "max_output_tokens"));
	c->max_tokens = (int64_t)json_number_value(v);
	c->has_seed = json_is_number(v = json_object_get(gc, "seed"));
	c->seed = (int64_t)json_number_value(v);
	c->has_choice_count = json_is_number(v = jget2(gc, "candidateCount", "candidate_count"));
	c->choice_count = (int64_t)json_number_value(v);
	json_array_foreach(jget2(gc, "stopSequences", "stop_sequences"), i, v) {
		if (c->n_stop == GENAI_MAX_STOP)
			break;
		if (!genai__set_json_str(&c->stop[c->n_stop], v))
			c->n_stop++;
	}
}

/* One Content's parts as semconv parts; *all_responses is set when every
 * part is a functionResponse (the tool's turn). */
static json_t *content_parts(const json_t *content, size_t max, bool *all_responses)
{
	const json_t *parts = json_object_get(content, "parts"), *p, *v;
	json_t *out = json_array();
	size_t i;

	*all_responses = json_array_size(parts) > 0;
	if (!out)
		return NULL;
	json_array_foreach(parts, i, p) {
		const json_t *fc = jget2(p, "functionCall", "function_call");
		const json_t *fr = jget2(p, "functionResponse", "function_response");
		json_t *part;

		if (fr) {
			part = genai_part__tool_response(genai__jstr(fr, "id"),
							 json_object_get(fr, "response"), max);
		} else if (fc) {
			part = genai_part__tool_call(genai__jstr(fc, "id"), genai__jstr(fc, "name"),
						     NULL, 0, json_object_get(fc, "args"), max);
		} else if (json_is_string(v = json_object_get(p, "text"))) {
			part = json_is_true(json_object_get(p, "thought"))
				       ? genai_part__reasoning(json_string_value(v),
							       json_string_length(v), max)
				       : genai_part__text_str(v, max);
		} else {
			void *it = json_is_object(p) ? json_object_iter((json_t *)p) : NULL;

			/* inlineData, fileData, executableCode, ... */
			part = genai_part__generic(it ? json_object_iter_key(it) : NULL);
		}
		if (!fr)
			*all_responses = false;
		json_array_append_new(out, part);
	}
	return out;
}

static void gemini_input(struct genai_call *c, const json_t *r)
{
	const json_t *sys = jget2(r, "systemInstruction", "system_instruction"), *m;
	size_t i, max = c->content_max;
	bool res;

	if (json_is_object(sys))
		c->system_instructions = content_parts(sys, max, &res);
	c->input_messages = json_array();
	if (!c->input_messages)
		return;
	json_array_foreach(json_object_get(r, "contents"), i, m) {
		const char *role = genai__jstr(m, "role");
		json_t *parts = content_parts(m, max, &res);

		if (res)
			role = "tool";
		else if (!role || strcmp(role, "user") == 0)
			role = "user";
		else if (strcmp(role, "model") == 0)
			role = "assistant";
		genai_msgs__append(c->input_messages, genai_msg__new(role, parts));
	}
}

static int gemini_parse_request(struct genai_call *c, const struct http_exchange *x,
				const struct genai_hint *h)
{
	struct gemini_path gp;

	gemini_path(h, &gp);
	c->endpoint = gp.ep;
	c->provider = gp.vertex ? SC_PROVIDER_GCP_VERTEX_AI : SC_PROVIDER_GCP_GEMINI;
	c->operation = gp.ep == EP_EMBED ? SC_OP_EMBEDDINGS : SC_OP_GENERATE_CONTENT;
	if (genai__set_url_decoded(&c->request_model, gp.model, gp.model_len))
		return -ENOMEM;
	if (gp.ep != EP_EMBED) {
		c->has_stream = true;
		c->stream = gp.ep == EP_STREAM;
	}
	if (!json_is_object(h->req))
		return 0;
	gemini_params(c, h->req);
	if (c->capture && gp.ep != EP_EMBED)
		gemini_input(c, h->req);
	return 0;
}

/* ---- response ---- */

struct gemini_state {
	struct genai_call *c;
	struct genai_counters *cnt;
	/* function calls seen per candidate: their index in the call record */
	int64_t calls[GENAI_MAX_CHOICES];
	bool has_prompt, has_cand, has_thoughts;
	int64_t prompt, cand, thoughts;
};

static void gemini_usage(struct gemini_state *s, const json_t *u)
{
	struct genai_usage *g = &s->c->usage;

	if (!json_is_object(u))
		return;
	/* later chunks repeat and complete the counts: the last value wins */
	if (genai__jint(u, "promptTokenCount", &s->prompt))
		s->has_prompt = true;
	if (genai__jint(u, "candidatesTokenCount", &s->cand))
		s->has_cand = true;
	if (genai__jint(u, "thoughtsTokenCount", &s->thoughts))
		s->has_thoughts = true;
	if (genai__jint(u, "cachedContentTokenCount", &g->cache_read))
		g->has_cache_read = true;
}

/* promptTokenCount already includes cachedContentTokenCount; thoughts are
 * counted apart from candidates (totalTokenCount sums them), and the
 * semconv output count includes reasoning. */
static void gemini_usage_done(struct gemini_state *s)
{
	struct genai_usage *g = &s->c->usage;

	if (s->has_prompt) {
		g->has_input = true;
		g->input = s->prompt;
	}
	if (s->has_cand || s->has_thoughts) {
		g->has_output = true;
		g->output = (s->has_cand ? s->cand : 0) + (s->has_thoughts ? s->thoughts : 0);
	}
	if (s->has_thoughts) {
		g->has_reasoning = true;
		g->reasoning = s->thoughts;
	}
}

/* {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", ...}}: the
 * status name; the message is high-cardinality and never used. */
static void gemini_error(struct genai_call *c, const json_t *o)
{
	const json_t *st = json_object_get(json_object_get(o, "error"), "status");

	if (json_is_string(st) && json_string_length(st))
		genai__set_json_str(&c->error_type, st);
}

static void candidate(struct gemini_state *s, const json_t *cand, size_t pos)
{
	struct genai_call *c = s->c;
	const json_t *parts = json_object_get(json_object_get(cand, "content"), "parts"), *p;
	const json_t *fr = json_object_get(cand, "finishReason");
	struct genai_choice *ch;
	int64_t idx;
	size_t i;

	if (!genai__jint(cand, "index", &idx))
		idx = pos;
	ch = genai_call__choice(c, idx);
	if (!ch)
		return;
	json_array_foreach(parts, i, p) {
		const json_t *fc = json_object_get(p, "functionCall"), *t;

		if (json_is_object(fc)) {
			struct genai_tool_call *tc = genai_call__tool(c, (uint32_t)idx,
								      s->calls[idx]++);

			if (!tc)
				continue;
			/* most Gemini versions send no id: the name alone is kept */
			if (json_is_string(t = json_object_get(fc, "id")) && json_string_length(t))
				genai__set_json_str(&tc->id, t);
			genai__set_json_str(&tc->name, json_object_get(fc, "name"));
			if (c->capture)
				genai_text__append_json(&tc->args, json_object_get(fc, "args"),
							c->content_max);
		} else if (c->capture && json_is_string(t = json_object_get(p, "text")) &&
			   !json_is_true(json_object_get(p, "thought"))) {
			genai_text__append(&ch->text, json_string_value(t), json_string_length(t),
					   c->content_max);
		}
	}
	if (json_is_string(fr) && json_string_length(fr)) {
		genai__set_json_str(&ch->finish_reason, fr);
		c->terminated = true; /* Gemini streams end with the finish reason */
	}
}

/* One GenerateContentResponse (a whole body or one stream chunk). */
static void response_object(struct gemini_state *s, const json_t *o)
{
	struct genai_call *c = s->c;
	const json_t *cands = json_object_get(o, "candidates"), *cand;
	size_t i;

	if (json_object_get(o, "error")) { /* mid-stream error */
		gemini_error(c, o);
		if (!c->error_type)
			genai__set_str(&c->error_type, SC_ERR_STREAM_ERROR,
				       strlen(SC_ERR_STREAM_ERROR));
		c->terminated = true;
		return;
	}
	if (!c->response_id)
		genai__set_json_str(&c->response_id, json_object_get(o, "responseId"));
	genai__set_json_str(&c->response_model, json_object_get(o, "modelVersion"));
	json_array_foreach(cands, i, cand)
		candidate(s, cand, i);
	/* a blocked prompt has no candidates: the feedback ends the stream */
	if (json_object_get(json_object_get(o, "promptFeedback"), "blockReason"))
		c->terminated = true;
	gemini_usage(s, json_object_get(o, "usageMetadata"));
}

static int gemini_sse_cb(void *ctx, const char *ev, size_t evl, const char *d, size_t n)
{
	struct gemini_state *s = ctx;
	json_t *o = genai__json_load(d, n, 0);

	if (!o) {
		s->cnt->json_errors++;
		return 0;
	}
	response_object(s, o);
	json_decref(o);
	return 0;
}

/* streamGenerateContent without alt=sse: "[{...},\r\n{...}]", read element
 * by element so a cut stream still yields what arrived. */
static void json_array_stream(struct gemini_state *s, const char *b, size_t n)
{
	size_t i = 0;
	bool open = false;

	while (i < n) {
		json_error_t err;
		json_t *o;

		while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n' ||
				 b[i] == ',' || (!open && b[i] == '[')))
			open |= b[i++] == '[';
		if (i == n)
			break;
		if (b[i] == ']') { /* the server closed the array: a clean end */
			s->c->terminated = true;
			return;
		}
		o = json_loadb(b + i, n - i, JSON_DISABLE_EOF_CHECK, &err);
		if (!o) {
			s->cnt->json_errors++;
			return;
		}
		response_object(s, o);
		json_decref(o);
		i += err.position;
	}
	s->cnt->sse_errors++; /* no closing bracket */
}

static int gemini_parse_response(struct genai_call *c, const struct http_exchange *x,
				 const struct genai_hint *h, struct genai_counters *cnt)
{
	struct gemini_state s = { .c = c, .cnt = cnt };
	const char *b = (const char *)x->resp.body;
	size_t n = x->resp.body_len;
	int err = 0;
	json_t *o;

	if (!n)
		return 0;
	if (h->resp_sse && x->status < 400) {
		c->resp_stream = true;
		err = genai__sse_each(&x->resp, gemini_sse_cb, &s, cnt);
	} else if (c->endpoint == EP_STREAM && x->status < 400) {
		c->resp_stream = true;
		json_array_stream(&s, b, n);
	} else {
		o = genai__json_load(b, n, 0);
		if (!o) {
			cnt->json_errors++;
			return 0;
		}
		if (x->status >= 400) /* the stream method wraps it in an array */
			gemini_error(c, json_is_array(o) ? json_array_get(o, 0) : o);
		else if (c->endpoint != EP_EMBED)
			response_object(&s, o);
		json_decref(o);
	}
	gemini_usage_done(&s);
	return err;
}

static const char *gemini_output_finish(const char *raw)
{
	static const char *const map[][2] = {
		{ "STOP", "stop" },
		{ "MAX_TOKENS", "length" },
		{ "SAFETY", "content_filter" },
		{ "RECITATION", "content_filter" },
		{ "BLOCKLIST", "content_filter" },
		{ "PROHIBITED_CONTENT", "content_filter" },
		{ "SPII", "content_filter" },
		{ "IMAGE_SAFETY", "content_filter" },
		{ "MALFORMED_FUNCTION_CALL", "error" },
		{ "UNEXPECTED_TOOL_CALL", "error" },
	};

	return GENAI_FINISH_MAP(map, raw);
}

const struct genai_provider genai_provider_gemini = {
	.name = SC_PROVIDER_GCP_GEMINI,
	.match = gemini_match,
	.parse_request = gemini_parse_request,
	.parse_response = gemini_parse_response,
	.output_finish_reason = gemini_output_finish,
};
