/* SPDX-License-Identifier: MIT */
/*
 * The provider interface. A provider recognises its calls (match), then
 * fills a struct genai_call from the request and the response. Providers
 * are listed in registry.c; adding one is adding a table entry.
 *
 * Recognition scores path and body shape first, so OpenAI-compatible
 * servers (vLLM, llama.cpp, LiteLLM, ...) are found on any host and port;
 * host names and provider headers only break ties.
 */
#ifndef AR_GENAI_PROVIDER_H
#define AR_GENAI_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "genai/call.h"
#include "proto/http_types.h"

/* Scores: a provider returns 0 for "not mine". */
#define GENAI_SCORE_PATH 50   /* the path is one of the provider's endpoints */
#define GENAI_SCORE_BODY 30   /* the request body has the endpoint's shape */
#define GENAI_SCORE_HINT 10   /* host name or provider header */
#define GENAI_SCORE_MIN  50   /* below this nothing is recognised */

/* What span_build learns about an exchange once, for every matcher.
 * Header values are never kept: only whether a header is present. */
struct genai_hint {
	const char *path;          /* request-target without query */
	size_t path_len;           /* trailing '/' removed */
	char host[256];            /* Host without port, lowercased; "" if none */
	int port;                  /* Host port, else the connection's; 0 unknown */
	bool post;
	bool hdr_anthropic_version;
	bool hdr_x_api_key;
	bool hdr_api_key;          /* Azure style */
	bool hdr_goog_api_key;
	const json_t *req;         /* parsed request body, NULL if none/bad */
	bool resp_sse;             /* response is text/event-stream */
	bool resp_ndjson;          /* response is application/x-ndjson */
	bool resp_eventstream;     /* response is application/vnd.amazon.eventstream */
};

/* Drop counters a provider bumps while parsing. */
struct genai_counters {
	uint64_t json_errors;
	uint64_t sse_errors;       /* also NDJSON and eventstream framing drops */
};

struct genai_provider {
	const char *name;          /* gen_ai.provider.name value */
	/* Score in [0, 100]; 0 = not this provider's call, and always 0
	 * when !h->post: the registry rejects other methods before it builds
	 * a hint (genai_registry__may_match). */
	int (*match)(const struct http_exchange *x, const struct genai_hint *h);
	/* Fill operation, endpoint, request model and parameters and, when
	 * c->capture, input content. Returns 0 or -ENOMEM. */
	int (*parse_request)(struct genai_call *c, const struct http_exchange *x,
			     const struct genai_hint *h);
	/* Fill response fields (stream or not), usage, tool calls, errors.
	 * Malformed input is counted in cnt and parsed as far as possible.
	 * Returns 0 or -ENOMEM. */
	int (*parse_response)(struct genai_call *c, const struct http_exchange *x,
			      const struct genai_hint *h, struct genai_counters *cnt);
	/* Maps a raw finish reason to the output-message enum (stop, length,
	 * content_filter, tool_calls, error); NULL keeps the raw value. */
	const char *(*output_finish_reason)(const char *raw);
};

/* The registry, in tie-break order. */
const struct genai_provider *const *genai_registry__list(size_t *n);
/* False when no provider can match x: every provider's endpoints are
 * POSTs. The one test of that (genai_hint's post too); every non-LLM
 * exchange gets it, so it is cheap. */
bool genai_registry__may_match(const struct http_exchange *x);
/* Best-scoring provider for x, or NULL if none reaches GENAI_SCORE_MIN.
 * *idx gets its registry index. */
const struct genai_provider *genai_registry__match(const struct http_exchange *x,
						   const struct genai_hint *h,
						   size_t *idx);

/* True if the path ends with suffix at a '/' boundary. */
bool genai__path_ends(const struct genai_hint *h, const char *suffix);
/* Host equals name or is a subdomain of it. */
bool genai__host_is(const struct genai_hint *h, const char *name);

/* Shared by providers that parse event streams. */
typedef int (*genai_sse_fn)(void *ctx, const char *event, size_t event_len,
			    const char *data, size_t data_len);
/* Runs the SSE parser over the whole body; counts drops and an
 * unterminated tail in cnt. Returns 0 or a negative callback error. */
int genai__sse_each(const struct http_message *m, genai_sse_fn fn, void *ctx,
		    struct genai_counters *cnt);

/* Same for NDJSON bodies: one call per line, drops and an unterminated
 * last line counted in cnt. Returns 0 or a negative callback error. */
typedef int (*genai_line_fn)(void *ctx, const char *line, size_t len);
int genai__ndjson_each(const struct http_message *m, genai_line_fn fn, void *ctx,
		       struct genai_counters *cnt);

/* Percent-decodes s[0..n) into *dst (cut to GENAI_STR_MAX); a malformed
 * escape is kept as is. Returns 0 or -ENOMEM (*dst unchanged). */
int genai__set_url_decoded(char **dst, const char *s, size_t n);

extern const struct genai_provider genai_provider_openai;
extern const struct genai_provider genai_provider_anthropic;
extern const struct genai_provider genai_provider_gemini;
extern const struct genai_provider genai_provider_ollama;
extern const struct genai_provider genai_provider_azure_openai;
extern const struct genai_provider genai_provider_bedrock;

#endif
