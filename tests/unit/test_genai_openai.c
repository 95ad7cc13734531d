// SPDX-License-Identifier: MIT
#include <time.h>

#include "genai_fixture.h"
#include "genai/semconv.h"

#define CASE(name) Test(genai_openai, name) { fx_run("openai/" #name); }

CASE(chat_basic)
CASE(chat_stream)
CASE(chat_tools)
CASE(chat_stream_tools)
CASE(responses_basic)
CASE(responses_stream)
CASE(responses_incomplete)
CASE(responses_failed)
CASE(embeddings)
CASE(completions)
CASE(error_401)
CASE(chat_stream_truncated)
CASE(vllm_stream)

static struct span *run_x(struct genai *g, struct fx *f)
{
	return genai__span_from_exchange(g, &f->x, 0);
}

Test(genai_openai, truncated_stream_counts_sse_error)
{
	struct genai_stats st = fx_run("openai/chat_stream_truncated");

	cr_assert_eq(st.sse_errors, 1);
	cr_assert_eq(st.incomplete, 1);
}

Test(genai_openai, not_genai_paths)
{
	static const char *const targets[] = { "/v1/models", "/v1/chat", "/health",
					       "/v1/chat/completionsx", "/v1/files" };
	struct genai *g = genai__new(NULL);
	struct genai_stats st;
	struct fx f;
	size_t i;

	fx_load(&f, "openai/chat_basic");
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		f.x.target = targets[i];
		cr_assert_null(run_x(g, &f), "%s recognised", targets[i]);
	}
	f.x.target = "/v1/chat/completions";
	f.x.method = "GET";
	cr_assert_null(run_x(g, &f));
	genai__stats(g, &st);
	cr_assert_eq(st.not_genai, 6);
	cr_assert_eq(st.json_errors, 0, "non-LLM traffic must not be parsed");
	genai__free(g);
	fx_free(&f);
}

Test(genai_openai, compatible_paths_any_host)
{
	static const char *const targets[] = { "/chat/completions", "/api/v1/chat/completions/",
					       "/openai/v1/chat/completions?x=1",
					       "http://10.0.0.5:8080/v1/chat/completions" };
	struct genai *g = genai__new(NULL);
	struct fx f;
	size_t i;

	fx_load(&f, "openai/chat_basic");
	f.x.host = "10.0.0.5:8080";
	f.x.conn = NULL;
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct span *s;

		f.x.target = targets[i];
		s = run_x(g, &f);
		cr_assert_not_null(s, "%s not recognised", targets[i]);
		cr_assert_str_eq(span__get(s, SC_GEN_AI_PROVIDER_NAME)->s, "openai");
		cr_assert_str_eq(span__get(s, SC_SERVER_ADDRESS)->s, "10.0.0.5");
		cr_assert_eq(span__get(s, SC_SERVER_PORT)->i, 8080);
		span__free(s);
	}
	genai__free(g);
	fx_free(&f);
}

Test(genai_openai, server_from_tuple_without_host)
{
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "openai/vllm_stream");
	f.x.host = "";
	s = run_x(g, &f);
	cr_assert_not_null(s);
	cr_assert_str_eq(span__get(s, SC_SERVER_ADDRESS)->s, "127.0.0.1");
	cr_assert_eq(span__get(s, SC_SERVER_PORT)->i, 8000);
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_openai, garbage_bodies_still_give_a_span)
{
	struct genai *g = genai__new(NULL);
	struct genai_stats st;
	struct span *s;
	struct fx f;

	fx_load(&f, "openai/chat_basic");
	f.x.req.body = (const uint8_t *)"{\"model\": \"gpt-4o\", \"messages\": [";
	f.x.req.body_len = strlen((const char *)f.x.req.body);
	f.x.resp.body = (const uint8_t *)"\x01\x02garbage{{{";
	f.x.resp.body_len = 12;
	s = run_x(g, &f);
	cr_assert_not_null(s);
	/* the keys before the cut are still read */
	cr_assert_str_eq(s->name, "chat gpt-4o");
	genai__stats(g, &st);
	cr_assert_eq(st.json_errors, 2);
	span__free(s);
	f.x.req.body = (const uint8_t *)"\xff\xfe not json at all";
	f.x.req.body_len = 20;
	s = run_x(g, &f);
	cr_assert_not_null(s); /* the path alone identifies the call */
	cr_assert_str_eq(s->name, "chat");
	cr_assert_null(span__get(s, SC_GEN_AI_REQUEST_MODEL));
	genai__stats(g, &st);
	cr_assert_eq(st.json_errors, 4);
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_openai, garbage_sse_chunks_are_counted)
{
	static const char body[] =
		"data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[]}\n\n"
		"data: {\"finish_reason\":\"stop\", not json\n\n"
		"data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
		"data: [DONE]\n\n";
	struct genai *g = genai__new(NULL);
	struct genai_stats st;
	struct span *s;
	struct fx f;

	fx_load(&f, "openai/chat_stream");
	f.x.resp.body = (const uint8_t *)body;
	f.x.resp.body_len = sizeof(body) - 1;
	s = run_x(g, &f);
	cr_assert_not_null(s);
	cr_assert_eq(s->status, SPAN_STATUS_UNSET);
	cr_assert_str_eq(span__get(s, SC_GEN_AI_RESPONSE_FINISH_REASONS)->arr.v[0], "stop");
	genai__stats(g, &st);
	cr_assert_eq(st.json_errors, 1);
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_openai, status_code_when_error_body_has_no_type)
{
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "openai/error_401");
	f.x.status = 502;
	f.x.resp.body = (const uint8_t *)"<html>bad gateway</html>";
	f.x.resp.body_len = strlen((const char *)f.x.resp.body);
	s = run_x(g, &f);
	cr_assert_not_null(s);
	cr_assert_eq(s->status, SPAN_STATUS_ERROR);
	cr_assert_str_eq(span__get(s, SC_ERROR_TYPE)->s, "502");
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_openai, content_cut_on_utf8_boundary)
{
	struct genai_cfg cfg = { .capture_content = true, .content_max_bytes = 64 };
	struct genai *g = genai__new(&cfg);
	const struct attr *a;
	struct genai_stats st;
	struct span *s;
	struct fx f;
	char req[512];
	size_t n;

	/* each "é" is two bytes; the cut must never land inside one */
	n = snprintf(req, sizeof(req), "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
				       "\"content\":\"%s\"}]}",
		     "ééééééééééééééééééééééééééééééééééééééééééééééé");
	fx_load(&f, "openai/chat_basic");
	f.x.req.body = (const uint8_t *)req;
	f.x.req.body_len = n;
	s = run_x(g, &f);
	cr_assert_not_null(s);
	a = span__get(s, SC_GEN_AI_INPUT_MESSAGES);
	cr_assert_not_null(a);
	cr_assert_leq(strlen(a->s), 64);
	cr_assert_geq(strlen(a->s), 63);
	/* valid UTF-8: the last byte is not a lead byte left dangling */
	cr_assert_neq((unsigned char)a->s[strlen(a->s) - 1], 0xC3);
	genai__stats(g, &st);
	cr_assert_geq(st.content_truncated, 1);
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_openai, no_content_without_capture)
{
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "openai/chat_stream_tools");
	s = run_x(g, &f);
	cr_assert_not_null(s);
	cr_assert_null(span__get(s, SC_GEN_AI_INPUT_MESSAGES));
	cr_assert_null(span__get(s, SC_GEN_AI_OUTPUT_MESSAGES));
	cr_assert_eq(s->n_events, 2);
	cr_assert_null(attrs__get(&s->events[0].attrs, SC_GEN_AI_TOOL_CALL_ARGUMENTS));
	cr_assert_str_eq(attrs__get(&s->events[1].attrs, SC_GEN_AI_TOOL_CALL_ID)->s, "call_def456");
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

/* Per-call cost is measured by `make bench`, not here: tests carry no
 * timing thresholds. */
