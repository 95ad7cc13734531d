/* SPDX-License-Identifier: MIT */
/*
 * Trace context: the one place that decides which trace a span belongs
 * to, who its parent is, and which tenant it is for. Runs once per HTTP
 * request on the parsing thread; one struct tracectx per such thread
 * (it is not thread-safe and holds its own id pool and parse workspace).
 */
#ifndef AR_TRACE_CONTEXT_H
#define AR_TRACE_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/http_types.h"
#include "trace/baggage.h"
#include "trace/span.h"
#include "trace/traceparent.h"

/* Most entries per configured list, and longest entry. */
#define TRACECTX_MAX_LIST 16
#define TRACECTX_MAX_NAME 128
/* Longest tenant id copied to a span; longer ones are rejected. */
#define TRACECTX_MAX_TENANT 256

/*
 * Each list: a NULL pointer takes the default, a non-NULL pointer with
 * count 0 turns the feature off.
 *  - tenant_baggage_keys: baggage keys holding the tenant, in priority
 *    order. Default {"tenant.id"}.
 *  - tenant_headers: request headers holding the tenant, tried after the
 *    baggage keys, in order, case-insensitive. Default {"x-tenant-id"}.
 *    Credential headers (authorization, cookie, api keys) are refused.
 *  - baggage_allow: baggage keys (exact, case-sensitive) copied to the
 *    span as string attributes named "baggage.<key>". Default none:
 *    baggage is user data and may be sensitive, so copying is opt-in.
 */
struct tracectx_cfg {
	const char *const *tenant_baggage_keys;
	size_t n_tenant_baggage_keys;
	const char *const *tenant_headers;
	size_t n_tenant_headers;
	const char *const *baggage_allow;
	size_t n_baggage_allow;
	/* Optional source 3: the parent another stage chose for s (the causal
	 * graph's agent turn or tool window); true when it chose one. */
	bool (*workflow_parent)(void *ctx, const struct span *s, uint8_t trace_id[16],
				uint8_t span_id[8]);
	void *workflow_ctx;
};

struct tracectx_stats {
	/* invalid traceparent by reason; [OK] and [ABSENT] stay 0 */
	uint64_t traceparent_invalid[TRACEPARENT__COUNT];
	/* tracestate dropped (traceparent kept) by reason; [OK] stays 0 */
	uint64_t tracestate_dropped[TRACESTATE__COUNT];
	/* baggage headers dropped whole by reason; [OK], [ABSENT] stay 0 */
	uint64_t baggage_dropped[BAGGAGE__COUNT];
	uint64_t joined;          /* joined an observed traceparent */
	uint64_t from_server;     /* parented by an enclosing inbound request */
	uint64_t from_workflow;   /* parented by the process's workflow */
	uint64_t new_traces;      /* started a new trace */
	uint64_t tenant_from_baggage;
	uint64_t tenant_from_header;
	uint64_t tenant_rejected; /* empty, over 256 bytes, control chars, non-UTF-8 */
	uint64_t id_errors;       /* getrandom(2) failures */
};

struct tracectx;

/* cfg NULL means all defaults; the lists are copied. Returns NULL with
 * errno EINVAL (list over 16 entries, entry empty or over 128 chars, or
 * a credential header as tenant header) or ENOMEM. */
struct tracectx *tracectx__new(const struct tracectx_cfg *cfg);
void tracectx__free(struct tracectx *t);

/*
 * Decides s's trace_id, span_id, parent_span_id, trace_flags and
 * trace_state from the request headers (req may be NULL), and sets the
 * "tenant.id" and allow-listed "baggage.<key>" attributes. The first
 * source that answers wins:
 *   1. a valid traceparent observed on the request: join that trace;
 *   2. an inbound server request enclosing this call on the same thread;
 *   3. the process's current workflow;
 *   4. a new trace.
 * Returns 0; -errno from getrandom(2) or -ENOMEM with s untouched; or
 * -ENOMEM after the ids are set but with attributes missing.
 */
int tracectx__apply(struct tracectx *t, struct span *s,
		    const struct http_message *req);

void tracectx__stats(const struct tracectx *t, struct tracectx_stats *out);

#endif
