// SPDX-License-Identifier: MIT
#include "genai_fixture.h"
#include "genai_split.h"
#include "genai/semconv.h"

#define GEMINI_KEY "AIzaSyD-FIXTURE-SECRET-gemini-key-0123456"

#define CASE(name) Test(genai_gemini, name) { fx_run("gemini/" #name); }

CASE(v1beta_generate)
CASE(v1beta_stream_sse_key_in_url)
CASE(v1_generate_max_tokens)
CASE(v1alpha_stream_json_array)
CASE(v1beta_tools)
CASE(v1beta_stream_tools)
CASE(error_429_key_in_url)
CASE(stream_truncated)
CASE(vertex_generate)

static const char *const all_cases[] = {
	"gemini/v1beta_generate", "gemini/v1beta_stream_sse_key_in_url",
	"gemini/v1_generate_max_tokens", "gemini/v1alpha_stream_json_array",
	"gemini/v1beta_tools", "gemini/v1beta_stream_tools", "gemini/error_429_key_in_url",
	"gemini/stream_truncated", "gemini/vertex_generate",
};

/* The key travels in ?key= or x-goog-api-key; it must never reach a span,
 * with or without content capture. */
Test(genai_gemini, api_key_never_in_a_span)
{
	size_t i, j, e;
	int cap;

	for (cap = 0; cap < 2; cap++) {
		struct genai_cfg cfg = { .capture_content = cap };
		struct genai *g = genai__new(&cfg);

		for (i = 0; i < sizeof(all_cases) / sizeof(all_cases[0]); i++) {
			struct span *s;
			struct fx f;

			fx_load(&f, all_cases[i]);
			cr_assert(strstr(f.x.target, GEMINI_KEY) ||
				  f.x.req.n_headers > 1 || strstr(all_cases[i], "vertex"));
			s = genai__span_from_exchange(g, &f.x, 0);
			cr_assert_not_null(s, "%s", all_cases[i]);
			cr_assert_null(strstr(s->name, GEMINI_KEY));
			for (e = 0; e <= s->n_events; e++) {
				const struct attr_list *l = e ? &s->events[e - 1].attrs : &s->attrs;

				for (j = 0; j < l->n; j++) {
					const struct attr *a = &l->v[j];
					size_t k;

					if (a->type == ATTR_STR)
						cr_assert_null(strstr(a->s, GEMINI_KEY), "%s: key in %s",
							       all_cases[i], a->key);
					if (a->type == ATTR_STR_ARRAY)
						for (k = 0; k < a->arr.n; k++)
							cr_assert_null(strstr(a->arr.v[k], GEMINI_KEY));
				}
			}
			span__free(s);
			fx_free(&f);
		}
		genai__free(g);
	}
}

Test(genai_gemini, api_versions_and_prefixes)
{
	static const struct {
		const char *target;
		const char *model;
	} ok[] = {
		{ "/v1/models/gemini-2.5-flash:generateContent", "gemini-2.5-flash" },
		{ "/v1alpha/models/gemini-2.5-flash:generateContent?key=" GEMINI_KEY,
		  "gemini-2.5-flash" },
		{ "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", "gemini-2.0-flash" },
		/* a gateway in front keeps its own prefix */
		{ "/gemini/v1beta/models/gemini-1.5-pro:generateContent", "gemini-1.5-pro" },
		{ "/v1beta/models/gemini%2D2.5-flash:generateContent", "gemini-2.5-flash" },
	};
	static const char *const no[] = {
		"/v1beta/models/gemini-2.5-flash:countTokens",
		"/v1beta/models/gemini-2.5-flash",
		"/v2/models/gemini-2.5-flash:generateContent",
		"/v1beta/models/:generateContent",
		"/v1beta/models/a/b:generateContent",
		"/v1beta/cachedContents",
	};
	struct genai *g = genai__new(NULL);
	struct fx f;
	size_t i;

	fx_load(&f, "gemini/v1beta_generate");
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct span *s;

		f.x.target = ok[i].target;
		s = genai__span_from_exchange(g, &f.x, 0);
		cr_assert_not_null(s, "%s", ok[i].target);
		cr_assert_str_eq(span__get(s, SC_GEN_AI_PROVIDER_NAME)->s, "gcp.gemini");
		cr_assert_str_eq(span__get(s, SC_GEN_AI_REQUEST_MODEL)->s, ok[i].model);
		cr_assert_str_eq(span__get(s, SC_GEN_AI_OPERATION_NAME)->s, "generate_content");
		span__free(s);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		f.x.target = no[i];
		cr_assert_null(genai__span_from_exchange(g, &f.x, 0), "%s recognised", no[i]);
	}
	genai__free(g);
	fx_free(&f);
}

/* The API key is also a body-shape-free hint: an unknown host with the
 * Gemini path and no body still gives a span. */
Test(genai_gemini, path_alone_on_any_host)
{
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "gemini/v1beta_generate");
	f.x.host = "10.1.2.3:8080";
	f.x.req.n_headers = 0;
	f.x.req.body_len = 0;
	f.x.conn = NULL;
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_not_null(s);
	cr_assert_str_eq(s->name, "generate_content gemini-2.5-flash");
	cr_assert_eq(span__get(s, SC_GEN_AI_USAGE_OUTPUT_TOKENS)->i, 502);
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

/* Without thinking, output is candidatesTokenCount alone and no reasoning
 * attribute appears. */
Test(genai_gemini, output_tokens_without_thoughts)
{
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "gemini/v1_generate_max_tokens");
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_eq(span__get(s, SC_GEN_AI_USAGE_OUTPUT_TOKENS)->i, 16);
	cr_assert_null(span__get(s, SC_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS));
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_gemini, midstream_error_object)
{
	static const char body[] =
		"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"},"
		"\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":3},\"responseId\":\"r1\"}\r\n\r\n"
		"data: {\"error\":{\"code\":500,\"message\":\"An internal error has occurred.\","
		"\"status\":\"INTERNAL\"}}\r\n\r\n";
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "gemini/v1beta_stream_tools");
	f.x.resp.body = (const uint8_t *)body;
	f.x.resp.body_len = sizeof(body) - 1;
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_not_null(s);
	cr_assert_eq(s->status, SPAN_STATUS_ERROR);
	cr_assert_str_eq(span__get(s, SC_ERROR_TYPE)->s, "INTERNAL");
	cr_assert_str_eq(span__get(s, SC_GEN_AI_RESPONSE_ID)->s, "r1");
	cr_assert_eq(s->n_events, 0);
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_gemini, json_array_stream_cut_and_garbage)
{
	struct genai *g = genai__new(NULL);
	struct genai_stats st;
	struct span *s;
	struct fx f;

	fx_load(&f, "gemini/v1alpha_stream_json_array");
	f.x.resp.body_len /= 2; /* cut inside the second element */
	f.x.resp_complete = false;
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_not_null(s);
	cr_assert_str_eq(span__get(s, SC_ERROR_TYPE)->s, "stream_incomplete");
	cr_assert_eq(span__get(s, SC_GEN_AI_USAGE_INPUT_TOKENS)->i, 9);
	span__free(s);
	f.x.resp.body = (const uint8_t *)"[{\"candidates\": [}}}}garbage";
	f.x.resp.body_len = strlen((const char *)f.x.resp.body);
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_not_null(s);
	genai__stats(g, &st);
	cr_assert_geq(st.json_errors, 1);
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_gemini, sse_fixtures_split_anyhow)
{
	cr_assert_eq(split_check(SPLIT_SSE, "gemini/v1beta_stream_sse_key_in_url"), 3);
	cr_assert_eq(split_check(SPLIT_SSE, "gemini/v1beta_stream_tools"), 1);
	cr_assert_eq(split_check(SPLIT_SSE, "gemini/stream_truncated"), 2);
}
