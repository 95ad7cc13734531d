// SPDX-License-Identifier: MIT
/* The registry's fast reject: only POSTs can be LLM calls, so other
 * methods skip the hint and the matchers, and every provider agrees. */
#include <criterion/criterion.h>

#include "genai_fixture.h"
#include "genai/hint.h"
#include "genai/provider.h"

static const char *const cases[] = {
	"anthropic/error_529",
	"anthropic/messages_basic",
	"anthropic/messages_stream",
	"anthropic/messages_stream_tools",
	"anthropic/messages_tools",
	"anthropic/stream_error_event",
	"anthropic/stream_truncated",
	"azure/chat_deployment",
	"azure/chat_stream_deployment",
	"azure/embeddings_deployment",
	"azure/error_content_filter",
	"azure/v1_chat_tools",
	"bedrock/converse_basic",
	"bedrock/converse_stream",
	"bedrock/converse_stream_exception",
	"bedrock/converse_stream_tools",
	"bedrock/converse_stream_truncated",
	"bedrock/converse_tools",
	"bedrock/error_400",
	"gemini/error_429_key_in_url",
	"gemini/stream_truncated",
	"gemini/v1_generate_max_tokens",
	"gemini/v1alpha_stream_json_array",
	"gemini/v1beta_generate",
	"gemini/v1beta_stream_sse_key_in_url",
	"gemini/v1beta_stream_tools",
	"gemini/v1beta_tools",
	"gemini/vertex_generate",
	"ollama/chat_nostream",
	"ollama/chat_stream",
	"ollama/chat_stream_tools",
	"ollama/chat_tools",
	"ollama/embed",
	"ollama/error_404",
	"ollama/generate_nostream",
	"ollama/generate_stream",
	"ollama/openai_compat_stream",
	"ollama/stream_error",
	"openai/chat_basic",
	"openai/chat_stream",
	"openai/chat_stream_tools",
	"openai/chat_stream_truncated",
	"openai/chat_tools",
	"openai/completions",
	"openai/embeddings",
	"openai/error_401",
	"openai/responses_basic",
	"openai/responses_failed",
	"openai/responses_incomplete",
	"openai/responses_stream",
	"openai/vllm_stream",
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* The rule the fast reject relies on: no provider matches a non-POST,
 * whatever its path, host, headers and body. */
Test(genai_registry, no_provider_matches_without_post)
{
	const struct genai_provider *const *reg;
	size_t n, i, j;

	reg = genai_registry__list(&n);
	for (i = 0; i < N_CASES; i++) {
		struct genai_hint h;
		json_t *req;
		struct fx f;

		fx_load(&f, cases[i]);
		req = json_loadb(f.req, f.req_len, 0, NULL);
		genai_hint__init(&h, &f.x);
		cr_assert(h.post, "%s", cases[i]);
		h.req = req;
		h.post = false;
		for (j = 0; j < n; j++)
			cr_assert_eq(reg[j]->match(&f.x, &h), 0, "%s matches %s without POST",
				     reg[j]->name, cases[i]);
		json_decref(req);
		fx_free(&f);
	}
}

Test(genai_registry, may_match_is_post)
{
	static const struct {
		const char *method;
		bool may;
	} cases[] = { { "POST", true }, { "post", true }, { "PoSt", true }, { "GET", false },
		      { "POSTX", false }, { "PUT", false }, { "", false } };
	struct http_exchange x = { 0 };

	cr_assert_not(genai_registry__may_match(&x));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		x.method = cases[i].method;
		cr_assert_eq(genai_registry__may_match(&x), cases[i].may, "%s", cases[i].method);
	}
}

/* Every provider's calls are still recognised after the fast path
 * (any case of POST), and other methods are counted as not gen_ai
 * without a JSON parse. */
Test(genai_registry, provider_calls_still_recognised)
{
	static const char *const other[] = { "GET", "PUT", "PATCH", "DELETE", "HEAD" };
	struct genai_stats st;
	struct genai *g;
	size_t i, j;

	g = genai__new(NULL);
	cr_assert_not_null(g);
	for (i = 0; i < N_CASES; i++) {
		struct span *s;
		struct fx f;

		fx_load(&f, cases[i]);
		f.x.method = "post";
		s = genai__span_from_exchange(g, &f.x, 0);
		cr_assert_not_null(s, "%s not recognised", cases[i]);
		span__free(s);
		for (j = 0; j < sizeof(other) / sizeof(other[0]); j++) {
			f.x.method = other[j];
			cr_assert_null(genai__span_from_exchange(g, &f.x, 0), "%s %s", other[j],
				       cases[i]);
		}
		fx_free(&f);
	}
	genai__stats(g, &st);
	cr_assert_eq(st.calls, N_CASES);
	cr_assert_eq(st.not_genai, N_CASES * 5);
	genai__free(g);
}
