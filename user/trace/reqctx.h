/* SPDX-License-Identifier: MIT */
/*
 * Request contexts: one entry per HTTP request seen on any connection,
 * created when its header block is in, so that a span's parent can be
 * decided while the request that caused it is still being served. An
 * entry keeps what the request said (observed traceparent, tenant,
 * baggage), when it was served, and, once decided, its trace context.
 *
 * Three lookups: by (conn_id, request index); by peer (the reversed
 * 4-tuple and the same request index: the other end of the exchange on
 * this host); and by thread (inbound requests being served on a thread).
 *
 * Bounded: a fixed pool used as a ring, the oldest entry is evicted when
 * a new one needs its slot, except that up to REQCTX_MAX_SKIP inbound
 * requests still being served are stepped over. Not thread-safe.
 */
#ifndef AR_TRACE_REQCTX_H
#define AR_TRACE_REQCTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <agentrace/events.h>

#define REQCTX_DEF_CAP 8192
/* Open inbound entries the ring steps over before evicting one anyway. */
#define REQCTX_MAX_SKIP 16
/* Allow-listed baggage members kept per request. */
#define REQCTX_MAX_BAGGAGE 16

enum reqctx_state { REQCTX_OPEN = 0, REQCTX_RESOLVING, REQCTX_RESOLVED };

struct reqctx_bag {
	const char *attr; /* "baggage.<key>", owned by the configuration */
	char *value;
};

struct reqctx {
	/* key and chain links first, and entries cache-line aligned: walking
	 * a chain reads one line of each entry it passes (the pool is far
	 * larger than L2) */
	_Alignas(64) uint64_t conn_id;
	uint32_t req_index;
	int32_t next_conn, next_peer, next_thr; /* links, private to reqctx.c */
	int32_t prev_thr;       /* a thread's chain holds all its requests: O(1) unlink */
	bool in_thr;            /* linked into its thread's chain */
	bool used;
	/* identity */
	bool inbound;           /* the process read this request (it serves it) */
	bool has_tuple;
	uint32_t tgid, tid;     /* process, and thread that moved the first byte */
	struct ar_tuple tuple;
	/* timing, monotonic ns */
	uint64_t ts_start;      /* first request byte */
	uint64_t ts_served;     /* header block in */
	uint64_t ts_end;        /* final response begun; 0 while still open */
	/* what the request said */
	bool has_observed;      /* a valid traceparent */
	uint8_t obs_trace_id[16], obs_span_id[8], obs_flags;
	char *obs_state;        /* tracestate kept with it, or NULL */
	bool has_injected;      /* ids agentrace put on the wire (kernel) */
	bool inj_has_parent;    /* the kernel took a parent from inject_ctx */
	uint8_t inj_trace_id[16], inj_span_id[8], inj_parent_id[8]; /* parent 0: root */
	/* inbound: the ids the kernel gave this request at its read
	 * (--inject-traceparent, AR_INJ_F_SERVE): the span id it is, and
	 * the trace its thread's calls were sent in */
	bool has_kernel, k_has_parent;
	uint8_t k_trace_id[16], k_span_id[8], k_parent_id[8], k_flags;
	char *tenant;           /* own or, after resolving, inherited */
	/* REQCTX_MAX_BAGGAGE slots, allocated with the first member: most
	 * requests carry none, and inline slots doubled every entry */
	struct reqctx_bag *bag;
	size_t n_bag;
	/* decision */
	uint8_t span_id[8];     /* the span this request becomes */
	enum reqctx_state state;
	uint8_t trace_id[16], parent_id[8], flags;
	char *state_str;        /* tracestate to carry, or NULL */
	uint8_t source;         /* enum parent_source that decided it */
	bool emitted;           /* its span was built and handed on */
};

struct reqctx_stats {
	uint64_t added;
	uint64_t evicted_open;  /* evicted before its response began */
	uint64_t kept_serving;  /* times the ring stepped over a request being served */
	uint64_t nomem;
};

struct reqctx_table;

/* cap 0 takes REQCTX_DEF_CAP. Returns NULL on -ENOMEM. */
struct reqctx_table *reqctx_table__new(size_t cap);
void reqctx_table__free(struct reqctx_table *r);

/* A fresh zeroed entry for (conn_id, req_index), evicting the oldest if
 * the pool is full, or the existing one if already added. Call
 * reqctx_table__index after filling tgid, tid, inbound and tuple. Never
 * fails once the table exists. */
struct reqctx *reqctx_table__add(struct reqctx_table *r, uint64_t conn_id, uint32_t req_index,
				 bool *fresh);
/* Makes a filled-in fresh entry findable by peer and by thread. */
void reqctx_table__index(struct reqctx_table *r, struct reqctx *e);

/* The 4-tuple became known after the entry was indexed (an SSL* linked
 * to its socket later): sets it and indexes e by peer. No-op if e has
 * one. */
void reqctx_table__set_tuple(struct reqctx_table *r, struct reqctx *e, const struct ar_tuple *t);

/* The slot for e's next baggage member (fill it, then bump e->n_bag);
 * NULL when e holds REQCTX_MAX_BAGGAGE members or on -ENOMEM. */
struct reqctx_bag *reqctx__bag_next(struct reqctx *e);
/* Frees what e owns (its strings and baggage); e itself is the caller's. */
void reqctx__release(struct reqctx *e);

struct reqctx *reqctx_table__find(struct reqctx_table *r, uint64_t conn_id, uint32_t req_index);

/* The client end of inbound entry e on this host: same request index,
 * reversed 4-tuple, the one closest in time. NULL if none. */
struct reqctx *reqctx_table__peer(struct reqctx_table *r, const struct reqctx *e);

/* Inbound requests being served on e's thread when e began (read, and
 * response not begun before e's first byte). Up to max of them go to
 * out; returns how many there are in all. */
size_t reqctx_table__enclosing(struct reqctx_table *r, const struct reqctx *e,
			       struct reqctx **out, size_t max);

/* The inbound request req_index that thread (tgid, tid) read on the
 * connection with these local and remote ports; NULL if none. */
struct reqctx *reqctx_table__served_on(struct reqctx_table *r, uint32_t tgid, uint32_t tid,
				       uint16_t sport, uint16_t dport, uint32_t req_index);

void reqctx_table__stats(const struct reqctx_table *r, struct reqctx_stats *out);

#endif
