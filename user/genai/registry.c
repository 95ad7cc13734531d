// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "genai/provider.h"
#include "proto/ndjson.h"
#include "proto/sse.h"

/* Tie-break order: on equal scores the earlier entry wins. Azure and
 * Ollama's OpenAI-compatible paths outscore OpenAI through host hints,
 * never through order. */
static const struct genai_provider *const registry[] = {
	&genai_provider_openai,
	&genai_provider_anthropic,
	&genai_provider_gemini,
	&genai_provider_ollama,
	&genai_provider_azure_openai,
	&genai_provider_bedrock,
};

const struct genai_provider *const *genai_registry__list(size_t *n)
{
	*n = sizeof(registry) / sizeof(registry[0]);
	return registry;
}

bool genai_registry__may_match(const struct http_exchange *x)
{
	const char *m = x->method;

	return m && (m[0] | 0x20) == 'p' && strcasecmp(m, "POST") == 0;
}

const struct genai_provider *genai_registry__match(const struct http_exchange *x,
						   const struct genai_hint *h,
						   size_t *idx)
{
	const struct genai_provider *best = NULL;
	int best_score = GENAI_SCORE_MIN - 1;
	size_t i;

	for (i = 0; i < sizeof(registry) / sizeof(registry[0]); i++) {
		int sc = registry[i]->match(x, h);

		if (sc > best_score) {
			best_score = sc;
			best = registry[i];
			*idx = i;
		}
	}
	return best;
}

bool genai__path_ends(const struct genai_hint *h, const char *suffix)
{
	size_t n = strlen(suffix);

	if (h->path_len < n)
		return false;
	if (memcmp(h->path + h->path_len - n, suffix, n) != 0)
		return false;
	/* "/v1/foo/chat/completions" yes, "/v1/xchat/completions" no */
	return h->path_len == n || suffix[0] == '/' ||
	       h->path[h->path_len - n - 1] == '/';
}

bool genai__host_is(const struct genai_hint *h, const char *name)
{
	size_t hl = strlen(h->host), n = strlen(name);

	if (hl < n || strcmp(h->host + hl - n, name) != 0)
		return false;
	return hl == n || h->host[hl - n - 1] == '.';
}

struct sse_adapter {
	genai_sse_fn fn;
	void *ctx;
};

static int sse_adapter_cb(void *ctx, const struct sse_event *ev)
{
	struct sse_adapter *a = ctx;

	return a->fn(a->ctx, ev->event, ev->event_len, ev->data, ev->data_len);
}

int genai__sse_each(const struct http_message *m, genai_sse_fn fn, void *ctx,
		    struct genai_counters *cnt)
{
	struct sse_adapter a = { .fn = fn, .ctx = ctx };
	struct sse_stats st;
	struct sse *p;
	int err;

	/* one line may hold a whole response object; the body cap bounds it */
	p = sse__new(m->body_len + 1, m->body_len + 1, sse_adapter_cb, &a);
	if (!p)
		return -ENOMEM;
	err = sse__feed(p, (const char *)m->body, m->body_len);
	if (!err)
		sse__finish(p);
	sse__stats(p, &st);
	cnt->sse_errors += st.dropped_lines + st.dropped_events + st.unterminated;
	sse__free(p);
	return err;
}

struct ndjson_adapter {
	genai_line_fn fn;
	void *ctx;
};

static int ndjson_adapter_cb(void *ctx, const char *line, size_t len)
{
	struct ndjson_adapter *a = ctx;

	return a->fn(a->ctx, line, len);
}

int genai__ndjson_each(const struct http_message *m, genai_line_fn fn, void *ctx,
		       struct genai_counters *cnt)
{
	struct ndjson_adapter a = { .fn = fn, .ctx = ctx };
	struct ndjson_stats st;
	struct ndjson *p;
	int err;

	p = ndjson__new(m->body_len + 1, ndjson_adapter_cb, &a);
	if (!p)
		return -ENOMEM;
	err = ndjson__feed(p, (const char *)m->body, m->body_len);
	if (!err)
		err = ndjson__finish(p);
	ndjson__stats(p, &st);
	cnt->sse_errors += st.dropped_lines + st.unterminated;
	ndjson__free(p);
	return err;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int genai__set_url_decoded(char **dst, const char *s, size_t n)
{
	char buf[GENAI_STR_MAX];
	size_t i, o = 0;

	for (i = 0; i < n && o < sizeof(buf); i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			buf[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			buf[o++] = s[i];
		}
	}
	return genai__set_str(dst, buf, o);
}
