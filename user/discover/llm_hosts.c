// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* FNM_CASEFOLD */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "discover/llm_hosts.h"

/* Public endpoints of the providers user/genai/ understands, and of the
 * hosted agents' backends. */
static const char *const builtin[] = {
	"api.openai.com",
	"*.openai.azure.com",
	"chatgpt.com",
	"api.anthropic.com",
	"generativelanguage.googleapis.com",
	"*aiplatform.googleapis.com",
	"bedrock-runtime.*.amazonaws.com",
	"bedrock-runtime-fips.*.amazonaws.com",
	"api.mistral.ai",
	"api.groq.com",
	"api.together.xyz",
	"api.deepseek.com",
	"api.x.ai",
	"openrouter.ai",
	"api.cohere.com",
	"api.cohere.ai",
	"api.fireworks.ai",
	"api.perplexity.ai",
	"*.githubcopilot.com",
};

int llm_hosts__add(struct llm_hosts *h, const char *pattern)
{
	if (h->n_extra == LLM_HOSTS_MAX)
		return -ENOSPC;
	h->extra[h->n_extra++] = pattern;
	return 0;
}

static bool one(const char *pattern, const char *host)
{
	return fnmatch(pattern, host, FNM_CASEFOLD) == 0;
}

bool llm_hosts__match(const struct llm_hosts *h, const char *host)
{
	char name[256];
	size_t n = strcspn(host, ":");

	if (!n || n >= sizeof(name))
		return false;
	memcpy(name, host, n);
	if (name[n - 1] == '.')
		n--;
	name[n] = 0;
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (one(builtin[i], name))
			return true;
	for (unsigned i = 0; h && i < h->n_extra; i++)
		if (one(h->extra[i], name))
			return true;
	return false;
}
