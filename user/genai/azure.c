// SPDX-License-Identifier: MIT
/*
 * Azure OpenAI: the OpenAI wire format under
 * /openai/deployments/{deployment}/{chat/completions,completions,embeddings}
 * ?api-version=..., and the newer /openai/v1/... paths on Azure hosts. The
 * OpenAI provider parses; this one recognises the call, names the provider
 * and takes the deployment as the request model when the body has none.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <string.h>

#include "genai/provider.h"
#include "genai/semconv.h"

static bool host_ends(const struct genai_hint *h, const char *suffix)
{
	size_t hl = strlen(h->host), n = strlen(suffix);

	return hl > n && strcmp(h->host + hl - n, suffix) == 0;
}

static bool azure_host(const struct genai_hint *h)
{
	return host_ends(h, ".openai.azure.com") || host_ends(h, ".cognitiveservices.azure.com") ||
	       host_ends(h, ".services.ai.azure.com");
}

/* The deployment segment of ".../openai/deployments/{name}/...". */
static bool deployment(const struct genai_hint *h, const char **name, size_t *len)
{
	const char *d = memmem(h->path, h->path_len, "/openai/deployments/", 20);
	const char *end = h->path + h->path_len, *slash;

	if (!d)
		return false;
	d += 20;
	slash = memchr(d, '/', end - d);
	if (!slash || slash == d)
		return false;
	*name = d;
	*len = slash - d;
	return true;
}

static int azure_match(const struct http_exchange *x, const struct genai_hint *h)
{
	const char *name;
	size_t len;
	bool v1 = h->path_len >= 11 && memcmp(h->path, "/openai/v1/", 11) == 0;
	int score;

	/* the deployments path is Azure's alone; /openai/v1 also serves
	 * others, so it needs the host or Azure's api-key header. Checked
	 * first: most calls are not Azure's, and OpenAI's match reads JSON. */
	if (!deployment(h, &name, &len) && !azure_host(h) && !(v1 && h->hdr_api_key))
		return 0;
	score = genai_provider_openai.match(x, h);
	return score ? score + GENAI_SCORE_HINT + 1 : 0;
}

static int azure_parse_request(struct genai_call *c, const struct http_exchange *x,
			       const struct genai_hint *h)
{
	const char *name;
	size_t len;
	int err = genai_provider_openai.parse_request(c, x, h);

	if (err)
		return err;
	c->provider = SC_PROVIDER_AZURE_OPENAI;
	if (!c->request_model && deployment(h, &name, &len))
		return genai__set_url_decoded(&c->request_model, name, len);
	return 0;
}

static int azure_parse_response(struct genai_call *c, const struct http_exchange *x,
				const struct genai_hint *h, struct genai_counters *cnt)
{
	return genai_provider_openai.parse_response(c, x, h, cnt);
}

static const char *azure_output_finish(const char *raw)
{
	return genai_provider_openai.output_finish_reason(raw);
}

const struct genai_provider genai_provider_azure_openai = {
	.name = SC_PROVIDER_AZURE_OPENAI,
	.match = azure_match,
	.parse_request = azure_parse_request,
	.parse_response = azure_parse_response,
	.output_finish_reason = azure_output_finish,
};
