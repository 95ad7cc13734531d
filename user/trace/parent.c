// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace/ids.h"
#include "trace/parent.h"
#include "trace/semconv.h"

/* Chains of callers on one host deeper than this are cut (a cycle cannot
 * happen in time order, but a damaged capture could fake one). */
#define MAX_DEPTH 32
/* Enclosing candidates looked at; more than one is ambiguous anyway. */
#define MAX_ENCLOSING 2

/* A rule proposes a parent entry (from) or the ids in e itself. */
struct pick {
	const struct reqctx *from; /* entry whose span is the parent, or NULL */
	const uint8_t *trace_id, *span_id;
	uint8_t flags;
	const char *state;
};

typedef bool (*parent_rule)(struct parent_env *env, struct reqctx *e, struct pick *p, int depth);

static int resolve(struct parent_env *env, struct reqctx *e, int depth);

/* Makes the proposed parent entry usable: decided, and not e's own
 * ancestor-in-progress. */
static bool usable(struct parent_env *env, struct reqctx *from, int depth)
{
	if (from->state == REQCTX_RESOLVING || depth >= MAX_DEPTH)
		return false;
	return resolve(env, from, depth + 1) == 0 && from->state == REQCTX_RESOLVED;
}

/* e's traceparent is one agentrace injected into its caller's request on
 * this host: the caller's entry (rule peer) knows the trace it settled
 * in, which the wire may not (trace/parent.h, rule injected). */
static bool injected_by_peer(struct parent_env *env, const struct reqctx *e)
{
	const struct reqctx *c;

	if (!e->inbound || !e->has_tuple)
		return false;
	c = reqctx_table__peer(env->table, e);
	return c && c->has_injected && memcmp(c->inj_span_id, e->obs_span_id, 8) == 0;
}

static bool rule_observed(struct parent_env *env, struct reqctx *e, struct pick *p, int depth)
{
	(void)depth;
	if (!e->has_observed || injected_by_peer(env, e))
		return false;
	if (e->has_kernel && (!e->k_has_parent || memcmp(e->k_trace_id, e->obs_trace_id, 16) ||
			      memcmp(e->k_parent_id, e->obs_span_id, 8)))
		env->st.serve_mismatch++;
	p->trace_id = e->obs_trace_id;
	p->span_id = e->obs_span_id;
	p->flags = e->obs_flags;
	p->state = e->obs_state;
	return true;
}

static bool rule_server(struct parent_env *env, struct reqctx *e, struct pick *p, int depth)
{
	struct reqctx *c[MAX_ENCLOSING];
	size_t n;

	if (e->inbound)
		return false;
	n = reqctx_table__enclosing(env->table, e, c, MAX_ENCLOSING);
	if (n > 1)
		env->st.ambiguous++;
	if (n != 1 || !usable(env, c[0], depth))
		return false;
	p->from = c[0];
	return true;
}

static bool rule_peer(struct parent_env *env, struct reqctx *e, struct pick *p, int depth)
{
	struct reqctx *c = reqctx_table__peer(env->table, e);

	if (!c || !usable(env, c, depth))
		return false;
	p->from = c;
	return true;
}

/* The kernel chose and sent the ids (--inject-traceparent): the span is
 * the one they name (always, see resolve), in the trace they name, since
 * the callee continues what is on the wire. The kernel takes the
 * enclosing server's context from inject_ctx when userspace wrote it
 * before the send, so the answers agree. When it had none but the call
 * has an enclosing server, the server rule decides instead (the local
 * workflow stays one trace; the callee's side starts the kernel's) and
 * inject_ctx_late counts it. */
static bool rule_injected(struct parent_env *env, struct reqctx *e, struct pick *p, int depth)
{
	struct reqctx *c[1];
	size_t n;

	if (!e->has_injected)
		return false;
	n = e->inbound ? 0 : reqctx_table__enclosing(env->table, e, c, 1);
	if (!e->inj_has_parent && n == 1) {
		/* the kernel had no context for the thread: keep the CLIENT
		 * span in its workflow (server rule) and count the mismatch */
		env->st.inject_ctx_late++;
		return false;
	}
	/* the kernel's parent is the enclosing server: take it as the
	 * parent entry, so tenant and baggage are inherited too (and its
	 * trace, should a caller on this host have moved it: counted as
	 * serve_diverged on the server) */
	if (n == 1 && usable(env, c[0], depth) &&
	    memcmp(c[0]->span_id, e->inj_parent_id, 8) == 0) {
		p->from = c[0];
		return true;
	}
	p->trace_id = e->inj_trace_id;
	p->span_id = e->inj_parent_id;
	p->flags = TRACE_FLAG_SAMPLED;
	return true;
}

/* Priority order; index = enum parent_source. Extend by adding one. */
static const parent_rule rules[] = {
	[PARENT_OBSERVED] = rule_observed,
	[PARENT_INJECTED] = rule_injected,
	[PARENT_SERVER] = rule_server,
	[PARENT_PEER] = rule_peer,
};

const char *parent__source_name(enum parent_source s)
{
	static const char *const names[PARENT__COUNT] = {
		[PARENT_OBSERVED] = TS_PARENT_OBSERVED, [PARENT_SERVER] = TS_PARENT_SERVER,
		[PARENT_PEER] = TS_PARENT_PEER,         [PARENT_INJECTED] = TS_PARENT_INJECTED,
		[PARENT_NONE] = TS_PARENT_NONE,
	};

	return s < PARENT__COUNT ? names[s] : TS_PARENT_NONE;
}

static char *dup_or_null(struct parent_env *env, const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		env->st.nomem++;
	return d;
}

/* Tenant and allow-listed baggage travel down a trace: e keeps its own
 * and takes what it lacks from its parent entry. */
static void inherit(struct parent_env *env, struct reqctx *e, const struct reqctx *from)
{
	if (!e->tenant)
		e->tenant = dup_or_null(env, from->tenant);
	for (size_t i = 0; i < from->n_bag; i++) {
		struct reqctx_bag *b;
		bool have = false;

		for (size_t k = 0; k < e->n_bag && !have; k++)
			have = e->bag[k].attr == from->bag[i].attr;
		if (have)
			continue;
		b = reqctx__bag_next(e);
		if (!b) {
			if (e->n_bag < REQCTX_MAX_BAGGAGE)
				env->st.nomem++;
			return;
		}
		b->value = dup_or_null(env, from->bag[i].value);
		if (b->value) {
			b->attr = from->bag[i].attr;
			e->n_bag++;
		}
	}
}

static int resolve(struct parent_env *env, struct reqctx *e, int depth)
{
	struct pick p = { 0 };
	size_t r;
	int err;

	if (e->state != REQCTX_OPEN)
		return 0;
	e->state = REQCTX_RESOLVING;
	for (r = 0; r < sizeof(rules) / sizeof(rules[0]); r++)
		if (rules[r] && rules[r](env, e, &p, depth))
			break;
	e->source = (uint8_t)r;
	if (p.from) {
		memcpy(e->trace_id, p.from->trace_id, 16);
		memcpy(e->parent_id, p.from->span_id, 8);
		e->flags = p.from->flags;
		e->state_str = dup_or_null(env, p.from->state_str);
		inherit(env, e, p.from);
	} else if (p.trace_id) {
		memcpy(e->trace_id, p.trace_id, 16);
		memcpy(e->parent_id, p.span_id, 8);
		e->flags = p.flags;
		e->state_str = dup_or_null(env, p.state);
	} else if (e->has_kernel) {
		/* the trace the kernel chose at the read, and its calls carry */
		if (e->k_has_parent)
			env->st.serve_mismatch++;
		memcpy(e->trace_id, e->k_trace_id, 16);
		memcpy(e->parent_id, e->k_parent_id, 8);
		e->flags = e->k_flags;
	} else {
		err = ids__trace_id(env->ids, e->trace_id);
		if (err) {
			env->st.id_errors++;
			e->state = REQCTX_OPEN;
			return err;
		}
		e->flags = TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM;
	}
	/* A request that carried injected ids is the span they name; one
	 * the kernel decided at its read, the span its calls name. */
	if (e->has_injected)
		memcpy(e->span_id, e->inj_span_id, 8);
	if (e->has_kernel) {
		memcpy(e->span_id, e->k_span_id, 8);
		if (memcmp(e->trace_id, e->k_trace_id, 16))
			env->st.serve_diverged++;
	}
	env->st.by_source[e->source]++;
	e->state = REQCTX_RESOLVED;
	return 0;
}

int parent__resolve(struct parent_env *env, struct reqctx *e)
{
	return resolve(env, e, 0);
}
