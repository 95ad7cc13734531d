// SPDX-License-Identifier: MIT
#include "genai_fixture.h"
#include "genai_split.h"
#include "genai/semconv.h"

#define CASE(name) Test(genai_bedrock, name) { fx_run("bedrock/" #name); }

CASE(converse_basic)
CASE(converse_tools)
CASE(converse_stream)
CASE(converse_stream_tools)
CASE(converse_stream_exception)
CASE(converse_stream_truncated)
CASE(error_400)

/* The error type travels in X-Amzn-ErrorType, with a URL tail. */
Test(genai_bedrock, error_type_from_header)
{
	static struct header_view rh[] = {
		{ "Content-Type", 12, "application/json", 16 },
		{ "X-Amzn-ErrorType", 16,
		  "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/", 72 },
	};
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "bedrock/error_400");
	f.x.resp.headers = rh;
	f.x.resp.n_headers = 2;
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_str_eq(span__get(s, SC_ERROR_TYPE)->s, "ValidationException");
	span__free(s);
	/* or a namespaced __type in the body */
	f.x.resp.n_headers = 1;
	f.x.resp.body = (const uint8_t *)"{\"__type\":\"com.amazon.coral.service#"
					 "AccessDeniedException\",\"message\":\"no\"}";
	f.x.resp.body_len = strlen((const char *)f.x.resp.body);
	f.x.status = 403;
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_str_eq(span__get(s, SC_ERROR_TYPE)->s, "AccessDeniedException");
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_bedrock, paths)
{
	static const char *const no[] = { "/model/x/invoke", "/model//converse", "/model/a/b/converse",
					  "/converse", "/model/x/converse-streamx" };
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;
	size_t i;

	fx_load(&f, "bedrock/converse_basic");
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		f.x.target = no[i];
		cr_assert_null(genai__span_from_exchange(g, &f.x, 0), "%s", no[i]);
	}
	/* behind a proxy prefix, on any host */
	f.x.target = "/bedrock/model/meta.llama3-8b-instruct-v1%3A0/converse";
	f.x.host = "gateway.local";
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_not_null(s);
	cr_assert_str_eq(span__get(s, SC_GEN_AI_REQUEST_MODEL)->s, "meta.llama3-8b-instruct-v1:0");
	cr_assert_str_eq(span__get(s, SC_GEN_AI_PROVIDER_NAME)->s, "aws.bedrock");
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

/* A flipped byte in a frame drops that frame (counted), not the span. */
Test(genai_bedrock, corrupt_frame_is_counted)
{
	struct genai *g = genai__new(NULL);
	struct genai_stats st;
	struct span *s;
	struct fx f;

	fx_load(&f, "bedrock/converse_stream");
	f.resp[f.resp_len - 30] ^= 0x55; /* inside the metadata frame */
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_not_null(s);
	cr_assert_null(span__get(s, SC_GEN_AI_USAGE_INPUT_TOKENS));
	cr_assert_str_eq(span__get(s, SC_GEN_AI_RESPONSE_FINISH_REASONS)->arr.v[0], "end_turn");
	genai__stats(g, &st);
	cr_assert_eq(st.sse_errors, 1);
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_bedrock, eventstream_fixtures_split_anyhow)
{
	cr_assert_eq(split_check(SPLIT_EVENTSTREAM, "bedrock/converse_stream"), 6);
	cr_assert_eq(split_check(SPLIT_EVENTSTREAM, "bedrock/converse_stream_tools"), 9);
	cr_assert_eq(split_check(SPLIT_EVENTSTREAM, "bedrock/converse_stream_exception"), 3);
	cr_assert_eq(split_check(SPLIT_EVENTSTREAM, "bedrock/converse_stream_truncated"), 5);
}
