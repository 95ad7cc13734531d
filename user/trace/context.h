/* SPDX-License-Identifier: MIT */
/*
 * Trace context: the one place that decides which trace a span belongs
 * to, who its parent is, and which tenant it is for. Runs once per HTTP
 * request on the parsing thread; one struct tracectx per such thread
 * (it is not thread-safe and holds its own id pool and parse workspace).
 */
#ifndef AR_TRACE_CONTEXT_H
#define AR_TRACE_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/http_types.h"
#include "trace/baggage.h"
#include "trace/injected.h"
#include "trace/parent.h"
#include "trace/reqctx.h"
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
};

struct tracectx_stats {
	/* invalid traceparent by reason; [OK] and [ABSENT] stay 0 */
	uint64_t traceparent_invalid[TRACEPARENT__COUNT];
	/* tracestate dropped (traceparent kept) by reason; [OK] stays 0 */
	uint64_t tracestate_dropped[TRACESTATE__COUNT];
	/* baggage headers dropped whole by reason; [OK], [ABSENT] stay 0 */
	uint64_t baggage_dropped[BAGGAGE__COUNT];
	/* copies of parent.by_source[] under their old names */
	uint64_t joined;          /* joined an observed traceparent */
	uint64_t from_server;     /* parented by an enclosing inbound request */
	uint64_t from_peer;       /* parented by the traced caller on this host */
	uint64_t new_traces;      /* started a new trace */
	struct parent_stats parent;
	struct reqctx_stats requests;
	struct injected_stats injected; /* --inject-traceparent records */
	struct injected_stats served;   /* ... of inbound requests, ahead of their entry */
	uint64_t serve_late;      /* kernel SERVER ids that came after the span was built */
	uint64_t nomem;           /* request context lost tenant/baggage/tracestate */
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
 * trace_state from the request headers alone (req may be NULL): a valid
 * observed traceparent, else a new trace. Sets "tenant.id", allow-listed
 * "baggage.<key>" and agentrace.parent.source. For a request outside any
 * connection (tests, replays of single messages). Returns 0; -errno from
 * getrandom(2) or -ENOMEM with s untouched; or -ENOMEM after the ids are
 * set but with attributes missing.
 */
int tracectx__apply(struct tracectx *t, struct span *s,
		    const struct http_message *req);

/*
 * The live path, for exchanges on connections. tracectx__request is
 * called when a request's header block is in (http_cfg.on_milestone):
 * it records the request so calls it causes can find it.
 * tracectx__response is called when its final response begins: the
 * request is no longer being served. tracectx__apply_exchange decides s
 * (the span of the finished exchange x) by the rules of trace/parent.h
 * and fills it as tracectx__apply does; returns the same errors, and
 * -EAGAIN (s untouched) when final is false and x is an inbound request
 * whose caller on this host may not have been seen yet: hold s a moment
 * (trace/hold.h) and call tracectx__apply_held, final once it timed out.
 * tracectx__peer_known says whether waiting is over.
 */
void tracectx__request(struct tracectx *t, const struct http_exchange *x);
void tracectx__response(struct tracectx *t, const struct http_exchange *x);
int tracectx__apply_exchange(struct tracectx *t, struct span *s, const struct http_exchange *x,
			     bool final);
int tracectx__apply_held(struct tracectx *t, struct span *s, uint64_t conn_id,
			 uint32_t req_index, bool final);
bool tracectx__peer_known(struct tracectx *t, uint64_t conn_id, uint32_t req_index);
/* A later stage moved s (x's span) to another trace or parent: record it,
 * so that its callee on this host, decided later, follows. */
void tracectx__settle(struct tracectx *t, const struct span *s, const struct http_exchange *x);

void tracectx__stats(const struct tracectx *t, struct tracectx_stats *out);

/* An AR_EV_INJECT record: the ids the kernel put into an outbound request,
 * for that request's entry to take (trace/injected.h). */
void tracectx__injected(struct tracectx *t, const struct ar_inject_event *ev);
/* The context x's inbound request gives the calls its thread makes while
 * serving it, for the kernel to inject (--inject-traceparent): its
 * trace, its span and a "baggage:" line of the tenant and allow-listed
 * baggage it has. Decides the request's parent now. Returns 0; -EAGAIN
 * when deciding now could cut it off from a caller on this host not yet
 * built (then its calls get fresh ids and the server rule keeps the CLIENT
 * spans in the workflow, trace/parent.h); -ENOENT; or getrandom's -errno. */
int tracectx__inject_ctx(struct tracectx *t, const struct http_exchange *x,
			 struct ar_inject_ctx *out);
/* For an inbound request the kernel decided at its read (an
 * AR_INJ_F_SERVE record, or its entry e): the refinement userspace adds
 * to the kernel's per-thread context, with the kernel's span id: the
 * baggage line, and the trace when a caller on this host decided it.
 * Returns 0; -ENODATA when there is nothing to add; -ENOENT (no such
 * request yet); or the errors of tracectx__inject_ctx. */
int tracectx__served_ctx(struct tracectx *t, struct reqctx *e, struct ar_inject_ctx *out);
int tracectx__served_record_ctx(struct tracectx *t, const struct ar_inject_event *ev,
				struct ar_inject_ctx *out);

#endif
