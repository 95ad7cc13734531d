/* SPDX-License-Identifier: MIT */
/*
 * The one place that decides a request's parent. Rules are tried in
 * priority order; the first that answers decides, and its name is kept
 * on the span as agentrace.parent.source (trace/semconv.h):
 *   1. traceparent  a valid traceparent observed on the request;
 *   2. injected     ids agentrace injected into the request on the wire
 *                   (--inject-traceparent): what the callee continues, so
 *                   it beats the enclosing server, whose trace the kernel
 *                   took from inject_ctx; if the kernel had none while
 *                   there is one enclosing server, rule 3 decides (the
 *                   span keeps the injected span id) and it is counted;
 *   3. server       an outbound call made while its thread serves exactly
 *                   one inbound request: the child of that SERVER span;
 *   4. peer         an inbound request whose caller is traced on this
 *                   host: the child of the caller's CLIENT span (same
 *                   4-tuple reversed, same request order);
 *   5. none         the root of a new trace: for an inbound request the
 *                   kernel decided at its read (--inject-traceparent),
 *                   the kernel's trace, which its calls already carry.
 * An inbound request the kernel decided at its read keeps the kernel's
 * span id whichever rule decides its trace.
 * A later rule (the agent turn) is one more entry in the table in
 * parent.c. Deciding a parent may first decide the parent's own (the
 * enclosing server or the peer), recursively and boundedly.
 */
#ifndef AR_TRACE_PARENT_H
#define AR_TRACE_PARENT_H

#include <stdint.h>

#include "trace/reqctx.h"

struct ids;

/* Which rule decided. Order is the priority order. */
enum parent_source {
	PARENT_OBSERVED = 0,
	PARENT_INJECTED,
	PARENT_SERVER,
	PARENT_PEER,
	PARENT_NONE,
	PARENT__COUNT,
};

struct parent_stats {
	uint64_t by_source[PARENT__COUNT];
	/* outbound calls whose thread served several inbound requests at
	 * once (an event loop): left as their own trace, never guessed */
	uint64_t ambiguous;
	uint64_t id_errors; /* getrandom failed: the entry stays undecided */
	/* injected into a new trace while its thread served a request: the
	 * thread's context reached the kernel after the send */
	uint64_t inject_ctx_late;
	/* inbound requests whose kernel-chosen ids (AR_INJ_F_SERVE) the
	 * rules overrode: a caller on this host put them in its trace
	 * (diverged: calls sent before userspace caught up went out in the
	 * kernel's), or the kernel read the traceparent differently */
	uint64_t serve_diverged;
	uint64_t serve_mismatch;
	uint64_t nomem;     /* inherited tenant/baggage/tracestate not copied */
};

struct parent_env {
	struct reqctx_table *table;
	struct ids *ids;
	struct parent_stats st;
};

/* Decides e's trace_id, parent_id, flags, tracestate and source, and
 * inherits tenant and baggage it lacks from the parent entry. Returns 0
 * (also when already decided) or -errno from getrandom (e undecided). */
int parent__resolve(struct parent_env *env, struct reqctx *e);

/* The agentrace.parent.source value of a source. */
const char *parent__source_name(enum parent_source s);

#endif
