// SPDX-License-Identifier: MIT
#include "genai_fixture.h"
#include "genai/semconv.h"

#define CASE(name) Test(genai_anthropic, name) { fx_run("anthropic/" #name); }

CASE(messages_basic)
CASE(messages_stream)
CASE(messages_tools)
CASE(messages_stream_tools)
CASE(error_529)
CASE(stream_error_event)
CASE(stream_truncated)

Test(genai_anthropic, recognised_by_path_on_any_host)
{
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "anthropic/messages_basic");
	f.x.host = "litellm.internal:4000";
	f.x.req.n_headers = 0; /* no anthropic-version either */
	f.x.conn = NULL;
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_not_null(s);
	cr_assert_str_eq(span__get(s, SC_GEN_AI_PROVIDER_NAME)->s, "anthropic");
	cr_assert_str_eq(span__get(s, SC_SERVER_ADDRESS)->s, "litellm.internal");
	cr_assert_eq(span__get(s, SC_SERVER_PORT)->i, 4000);
	span__free(s);
	/* count_tokens and batches are not inference calls */
	f.x.target = "/v1/messages/count_tokens";
	cr_assert_null(genai__span_from_exchange(g, &f.x, 0));
	f.x.target = "/v1/messages/batches";
	cr_assert_null(genai__span_from_exchange(g, &f.x, 0));
	genai__free(g);
	fx_free(&f);
}

Test(genai_anthropic, cached_tokens_summed_into_input)
{
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "anthropic/messages_basic");
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_not_null(s);
	/* 21 uncached + 1800 read + 188 written */
	cr_assert_eq(span__get(s, SC_GEN_AI_USAGE_INPUT_TOKENS)->i, 2009);
	cr_assert_null(span__get(s, SC_GEN_AI_INPUT_MESSAGES), "capture is off");
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_anthropic, stream_without_capture_keeps_tool_ids)
{
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "anthropic/messages_stream_tools");
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_not_null(s);
	cr_assert_eq(s->n_events, 1);
	cr_assert_str_eq(attrs__get(&s->events[0].attrs, SC_GEN_AI_TOOL_CALL_ID)->s,
			 "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
	cr_assert_null(attrs__get(&s->events[0].attrs, SC_GEN_AI_TOOL_CALL_ARGUMENTS));
	cr_assert_str_eq(span__get(s, SC_GEN_AI_RESPONSE_FINISH_REASONS)->arr.v[0], "tool_use");
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_anthropic, no_response_is_an_error)
{
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "anthropic/messages_basic");
	f.x.status = 0;
	f.x.resp.body_len = 0;
	f.x.resp.ts_last = 0;
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_not_null(s);
	cr_assert_eq(s->status, SPAN_STATUS_ERROR);
	cr_assert_str_eq(span__get(s, SC_ERROR_TYPE)->s, "no_response");
	cr_assert_null(span__get(s, SC_HTTP_RESPONSE_STATUS_CODE));
	cr_assert_eq(s->end_ns, f.x.req.ts_last);
	span__free(s);
	genai__free(g);
	fx_free(&f);
}
