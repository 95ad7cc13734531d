/* SPDX-License-Identifier: MIT */
/*
 * The gen_ai stage: recognises LLM API calls among HTTP exchanges and
 * turns each into an OpenTelemetry span after the GenAI semantic
 * conventions (v1.41). Providers are data-driven (genai/provider.h).
 * Not thread-safe: one struct genai per parser thread.
 */
#ifndef AR_GENAI_GENAI_H
#define AR_GENAI_GENAI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/http_types.h"
#include "trace/span.h"

#define GENAI_CONTENT_MAX_DEFAULT 8192
#define GENAI_STATS_PROVIDERS 16

/* Content cap while an observer is set (it compares whole tool results). */
#define GENAI_OBSERVE_MAX 65536

struct genai_call;
struct json_t;

struct genai_cfg {
	bool capture_content;     /* record input/output messages, tool args */
	size_t content_max_bytes; /* cap per content attribute; 0 = default */
	/*
	 * Optional: sees each recognised call after its span is built, with
	 * the call record (content collected up to GENAI_OBSERVE_MAX even
	 * without capture_content; only capture_content puts it on the span)
	 * and the parsed request body (NULL if unparsable). All three are
	 * borrowed for the call; it may add attributes to s.
	 */
	void (*observe)(void *ctx, const struct genai_call *c, const struct json_t *req,
			struct span *s);
	void *observe_ctx;
};

struct genai_stats {
	uint64_t exchanges;        /* seen by genai__span_from_exchange */
	uint64_t calls;            /* recognised and turned into spans */
	uint64_t not_genai;        /* no provider matched */
	uint64_t per_provider[GENAI_STATS_PROVIDERS]; /* by registry index */
	const char *provider_names[GENAI_STATS_PROVIDERS];
	size_t n_providers;
	uint64_t json_errors;      /* request/response/chunk JSON unparsable */
	uint64_t sse_errors;       /* dropped lines/events, unterminated streams */
	uint64_t http_errors;      /* status >= 400 */
	uint64_t incomplete;       /* stream or body ended early */
	uint64_t truncated_bodies; /* body over the HTTP stage's cap or gap */
	uint64_t content_truncated;/* a content attribute was cut */
	uint64_t dropped;          /* tool calls/choices over the caps */
	uint64_t nomem;            /* span building ran out of memory */
};

struct genai;

/* Returns NULL on -ENOMEM. cfg may be NULL (defaults). */
struct genai *genai__new(const struct genai_cfg *cfg);
void genai__free(struct genai *g);

/* Returns a new span (caller owns it), or NULL if x is not a recognised
 * gen_ai call or memory ran out (counted in stats). mono_to_real_ns is
 * added to the exchange's monotonic timestamps to get unix ns. Fills
 * s->tid, s->conn_id and s->proc.pid; the caller adds the rest of the
 * process identity and the trace context. */
struct span *genai__span_from_exchange(struct genai *g, const struct http_exchange *x,
				       uint64_t mono_to_real_ns);

void genai__stats(const struct genai *g, struct genai_stats *out);

#endif
