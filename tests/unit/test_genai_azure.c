// SPDX-License-Identifier: MIT
#include "genai_fixture.h"
#include "genai_split.h"
#include "genai/semconv.h"

#define CASE(name) Test(genai_azure, name) { fx_run("azure/" #name); }

CASE(chat_deployment)
CASE(chat_stream_deployment)
CASE(embeddings_deployment)
CASE(v1_chat_tools)
CASE(error_content_filter)

static const char *provider_for(struct genai *g, struct fx *f)
{
	static char name[64];
	struct span *s = genai__span_from_exchange(g, &f->x, 0);

	cr_assert_not_null(s, "%s not recognised", f->x.target);
	snprintf(name, sizeof(name), "%s", span__get(s, SC_GEN_AI_PROVIDER_NAME)->s);
	span__free(s);
	return name;
}

/* The deployments path is Azure's on any host (APIM, private endpoints);
 * /openai/v1 is Azure's only on an Azure host or with its api-key header. */
Test(genai_azure, recognition)
{
	struct genai *g = genai__new(NULL);
	struct fx f;

	fx_load(&f, "azure/chat_deployment");
	f.x.conn = NULL;
	f.x.host = "apim.contoso.internal";
	cr_assert_str_eq(provider_for(g, &f), "azure.ai.openai");
	f.x.target = "/openai/v1/chat/completions";
	cr_assert_str_eq(provider_for(g, &f), "azure.ai.openai"); /* api-key header */
	f.x.req.n_headers = 0;
	cr_assert_str_eq(provider_for(g, &f), "openai");
	f.x.host = "myres.cognitiveservices.azure.com";
	cr_assert_str_eq(provider_for(g, &f), "azure.ai.openai");
	f.x.host = "api.openai.com";
	f.x.target = "/v1/chat/completions";
	cr_assert_str_eq(provider_for(g, &f), "openai");
	genai__free(g);
	fx_free(&f);
}

/* A model in the body wins over the deployment name. */
Test(genai_azure, body_model_over_deployment)
{
	static const char req[] = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
				  "\"content\":\"hi\"}]}";
	struct genai *g = genai__new(NULL);
	struct span *s;
	struct fx f;

	fx_load(&f, "azure/chat_deployment");
	f.x.req.body = (const uint8_t *)req;
	f.x.req.body_len = sizeof(req) - 1;
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_str_eq(span__get(s, SC_GEN_AI_REQUEST_MODEL)->s, "gpt-4o-mini");
	cr_assert_str_eq(s->name, "chat gpt-4o-mini");
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_azure, sse_fixture_split_anyhow)
{
	cr_assert_eq(split_check(SPLIT_SSE, "azure/chat_stream_deployment"), 6);
}

/* Some quickstarts send "model": ""; the deployment then names the model,
 * as it does when the key is missing (issue #16). */
Test(genai_azure, empty_body_model_falls_back_to_deployment)
{
	static const char req[] = "{\"model\":\"\",\"messages\":[{\"role\":\"user\","
				  "\"content\":\"hi\"}]}";
	struct genai *g = genai__new(NULL);
	const struct attr *a;
	struct span *s;
	struct fx f;

	fx_load(&f, "azure/chat_deployment");
	f.x.req.body = (const uint8_t *)req;
	f.x.req.body_len = sizeof(req) - 1;
	s = genai__span_from_exchange(g, &f.x, 0);
	cr_assert_not_null(s);
	a = span__get(s, SC_GEN_AI_REQUEST_MODEL);
	cr_assert_not_null(a);
	cr_assert_gt(strlen(a->s), 0);
	cr_assert(strstr(f.x.target, a->s), "model %s is not the deployment in %s", a->s,
		  f.x.target);
	cr_assert_str_neq(s->name, "chat ");
	span__free(s);
	genai__free(g);
	fx_free(&f);
}
