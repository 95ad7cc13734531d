// SPDX-License-Identifier: MIT
#include "genai_fixture.h"
#include "genai_split.h"
#include "genai/semconv.h"

#define CASE(name) Test(genai_ollama, name) { fx_run("ollama/" #name); }

CASE(chat_stream)
CASE(chat_nostream)
CASE(generate_stream)
CASE(generate_nostream)
CASE(chat_tools)
CASE(chat_stream_tools)
CASE(error_404)
CASE(stream_error)
CASE(embed)
CASE(openai_compat_stream)

static struct span *run_x(struct genai *g, struct fx *f)
{
	return genai__span_from_exchange(g, &f->x, 0);
}

/* /api/chat is a common path: another API's body on a host that is not
 * Ollama's is left alone; Ollama's shape is found on any host. */
Test(genai_ollama, generic_path_needs_shape_or_host)
{
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "ollama/chat_nostream");
	f.x.host = "chat.example.com";
	f.x.conn = NULL;
	s = run_x(g, &f);
	cr_assert_not_null(s, "Ollama's body shape on any host");
	cr_assert_str_eq(span__get(s, SC_GEN_AI_PROVIDER_NAME)->s, "ollama");
	span__free(s);
	f.x.req.body = (const uint8_t *)"{\"text\":\"hello\",\"room\":42}";
	f.x.req.body_len = strlen((const char *)f.x.req.body);
	cr_assert_null(run_x(g, &f), "someone else's /api/chat");
	f.x.host = "ollama.internal";
	s = run_x(g, &f);
	cr_assert_not_null(s, "an Ollama host name decides");
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

/* The OpenAI-compatible paths are Ollama's only on Ollama's port or host. */
Test(genai_ollama, openai_compat_by_port_or_host)
{
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "ollama/openai_compat_stream");
	f.x.host = "127.0.0.1:8000";
	f.x.conn = NULL;
	s = run_x(g, &f);
	cr_assert_str_eq(span__get(s, SC_GEN_AI_PROVIDER_NAME)->s, "openai");
	span__free(s);
	f.x.host = "my-ollama:8080";
	s = run_x(g, &f);
	cr_assert_str_eq(span__get(s, SC_GEN_AI_PROVIDER_NAME)->s, "ollama");
	span__free(s);
	/* no Host header: the connection's port tells */
	fx_free(&f);
	fx_load(&f, "ollama/openai_compat_stream");
	f.x.host = "";
	s = run_x(g, &f);
	cr_assert_str_eq(span__get(s, SC_GEN_AI_PROVIDER_NAME)->s, "ollama");
	cr_assert_str_eq(span__get(s, SC_SERVER_ADDRESS)->s, "127.0.0.1");
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

/* An NDJSON stream served without its media type is still read. */
Test(genai_ollama, stream_without_media_type)
{
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "ollama/chat_stream");
	f.x.resp.content_type = "";
	s = run_x(g, &f);
	cr_assert_not_null(s);
	cr_assert_eq(s->status, SPAN_STATUS_UNSET);
	cr_assert_eq(span__get(s, SC_GEN_AI_USAGE_OUTPUT_TOKENS)->i, 282);
	cr_assert_str_eq(span__get(s, SC_GEN_AI_RESPONSE_FINISH_REASONS)->arr.v[0], "stop");
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_ollama, cut_stream_is_incomplete)
{
	struct genai *g = genai__new(NULL);
	struct genai_stats st;
	struct span *s;
	struct fx f;

	fx_load(&f, "ollama/chat_stream");
	f.x.resp.body_len -= 40; /* into the final done line */
	f.x.resp_complete = false;
	s = run_x(g, &f);
	cr_assert_not_null(s);
	cr_assert_str_eq(span__get(s, SC_ERROR_TYPE)->s, "stream_incomplete");
	cr_assert_null(span__get(s, SC_GEN_AI_USAGE_OUTPUT_TOKENS));
	genai__stats(g, &st);
	cr_assert_eq(st.json_errors, 1); /* the cut last line */
	cr_assert_eq(st.sse_errors, 1);  /* ... which had no newline */
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_ollama, ndjson_fixtures_split_anyhow)
{
	cr_assert_eq(split_check(SPLIT_NDJSON, "ollama/chat_stream"), 6);
	cr_assert_eq(split_check(SPLIT_NDJSON, "ollama/generate_stream"), 4);
	cr_assert_eq(split_check(SPLIT_NDJSON, "ollama/chat_stream_tools"), 2);
	cr_assert_eq(split_check(SPLIT_NDJSON, "ollama/stream_error"), 3);
	cr_assert_eq(split_check(SPLIT_SSE, "ollama/openai_compat_stream"), 5);
}
