// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace/reqctx.h"

#define NONE (-1)

/* Key buckets (by_conn, by_peer) per pool entry. A connection's requests
 * fill consecutive buckets (conn_bucket), so two busy connections whose
 * runs overlap keep colliding, and every add then walked a cold entry of
 * the other (its find) and every eviction another (its unlink): 13% of
 * a traced wrk's daemon samples (perf). Eight buckets an entry keep
 * most chains one entry long, for 56 bytes more an entry (of 320). */
#define KEY_BUCKETS_PER_ENTRY 8

struct reqctx_table {
	struct reqctx *pool;
	size_t cap, next;         /* next: ring position of the next allocation */
	int32_t *by_conn, *by_peer; /* bucket heads, nbuckets each */
	int32_t *by_thr;            /* bucket heads, nthr */
	size_t nbuckets, nthr;      /* powers of two */
	struct reqctx_stats st;
};

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

/* mix(connection) + request index: a connection's next request lands in
 * the bucket after its last, in the same cache line of bucket heads, and
 * the ring evicts a connection's requests in order too, so both walks
 * start on a line still in cache. Hashing the index in as well scattered
 * every request's bucket, a cache miss each on a table this size. Not
 * conn_id * 31 + idx: connection ids are small and close, and keep-alive
 * request indexes run into the thousands, so that sum crowded every
 * connection into the same few buckets. */
static size_t conn_bucket(const struct reqctx_table *r, uint64_t conn_id, uint32_t idx)
{
	return (mix(conn_id) + idx) & (r->nbuckets - 1);
}

/* The client-side view of a tuple: (client addr:port, server addr:port).
 * An outbound entry's own tuple, or an inbound entry's reversed. Request
 * index added last, as in conn_bucket. */
static size_t peer_bucket(const struct reqctx_table *r, const struct ar_tuple *t, bool reversed,
			  uint32_t idx)
{
	const uint8_t *ca = reversed ? t->daddr : t->saddr, *sa = reversed ? t->saddr : t->daddr;
	uint16_t cp = reversed ? t->dport : t->sport, sp = reversed ? t->sport : t->dport;
	uint64_t h = 0;

	for (int i = 0; i < 16; i += 8) {
		uint64_t a, b;

		memcpy(&a, ca + i, 8);
		memcpy(&b, sa + i, 8);
		h = mix(h ^ a) ^ b;
	}
	return (mix(h ^ ((uint64_t)cp << 16 | sp)) + idx) & (r->nbuckets - 1);
}

static size_t thr_bucket(const struct reqctx_table *r, uint32_t tgid, uint32_t tid)
{
	return mix((uint64_t)tgid << 32 | tid) & (r->nthr - 1);
}

struct reqctx_table *reqctx_table__new(size_t cap)
{
	struct reqctx_table *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cap = cap ? cap : REQCTX_DEF_CAP;
	for (r->nthr = 64; r->nthr < r->cap; r->nthr *= 2)
		;
	r->nbuckets = r->nthr * KEY_BUCKETS_PER_ENTRY;
	if (r->cap <= SIZE_MAX / sizeof(*r->pool))
		r->pool = aligned_alloc(_Alignof(struct reqctx), r->cap * sizeof(*r->pool));
	if (r->pool)
		memset(r->pool, 0, r->cap * sizeof(*r->pool));
	r->by_conn = malloc(r->nbuckets * sizeof(int32_t));
	r->by_peer = malloc(r->nbuckets * sizeof(int32_t));
	r->by_thr = malloc(r->nthr * sizeof(int32_t));
	if (!r->pool || !r->by_conn || !r->by_peer || !r->by_thr) {
		reqctx_table__free(r);
		return NULL;
	}
	for (size_t i = 0; i < r->nbuckets; i++)
		r->by_conn[i] = r->by_peer[i] = NONE;
	for (size_t i = 0; i < r->nthr; i++)
		r->by_thr[i] = NONE;
	return r;
}

struct reqctx_bag *reqctx__bag_next(struct reqctx *e)
{
	if (e->n_bag >= REQCTX_MAX_BAGGAGE)
		return NULL;
	if (!e->bag)
		e->bag = calloc(REQCTX_MAX_BAGGAGE, sizeof(*e->bag));
	return e->bag ? &e->bag[e->n_bag] : NULL;
}

void reqctx__release(struct reqctx *e)
{
	free(e->obs_state);
	free(e->tenant);
	free(e->state_str);
	for (size_t i = 0; i < e->n_bag; i++)
		free(e->bag[i].value);
	free(e->bag);
}

void reqctx_table__free(struct reqctx_table *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->pool && i < r->cap; i++)
		if (r->pool[i].used)
			reqctx__release(&r->pool[i]);
	free(r->pool);
	free(r->by_conn);
	free(r->by_peer);
	free(r->by_thr);
	free(r);
}

/* Removes pool index i from a chain whose links live at offset off. */
static void unlink_from(struct reqctx_table *r, int32_t *head, int32_t i, size_t off)
{
	int32_t *p = head;

	while (*p != NONE) {
		int32_t *next = (int32_t *)((char *)&r->pool[*p] + off);

		if (*p == i) {
			*p = *next;
			return;
		}
		p = next;
	}
}

/* A thread's chain is as long as the requests it served that are still
 * in the table (all of them, for a one-thread server such as nginx), and
 * the ring evicts its oldest, at the chain's tail: walking to it made every
 * new request cost the whole chain. Doubly linked, it costs nothing. */
static void unlink_thr(struct reqctx_table *r, int32_t i)
{
	struct reqctx *e = &r->pool[i];

	if (e->prev_thr != NONE)
		r->pool[e->prev_thr].next_thr = e->next_thr;
	else
		r->by_thr[thr_bucket(r, e->tgid, e->tid)] = e->next_thr;
	if (e->next_thr != NONE)
		r->pool[e->next_thr].prev_thr = e->prev_thr;
	e->in_thr = false;
}

static bool indexed_by_peer(const struct reqctx *e)
{
	return e->has_tuple && !e->inbound;
}

static void evict(struct reqctx_table *r, int32_t i)
{
	struct reqctx *e = &r->pool[i];

	unlink_from(r, &r->by_conn[conn_bucket(r, e->conn_id, e->req_index)], i,
		    offsetof(struct reqctx, next_conn));
	if (indexed_by_peer(e))
		unlink_from(r, &r->by_peer[peer_bucket(r, &e->tuple, false, e->req_index)], i,
			    offsetof(struct reqctx, next_peer));
	if (e->in_thr)
		unlink_thr(r, i);
	if (!e->ts_end)
		r->st.evicted_open++;
	reqctx__release(e);
	memset(e, 0, sizeof(*e));
}

/* The next add reuses pool[next], by then long out of cache: one per
 * request, its eviction and zeroing were the table's main cost (perf on
 * a traced wrk). Fetching it one add ahead overlaps the misses with other
 * work; pool[next] itself arrived during the last add, so the chain heads
 * its eviction will unlink from can be fetched now. */
static void prefetch_next(const struct reqctx_table *r)
{
	const struct reqctx *e = &r->pool[r->next];
	const char *p = (const char *)&r->pool[(r->next + 1) % r->cap];

	if (e->used) {
		__builtin_prefetch(&r->by_conn[conn_bucket(r, e->conn_id, e->req_index)], 1);
		if (indexed_by_peer(e))
			__builtin_prefetch(&r->by_peer[peer_bucket(r, &e->tuple, false,
								   e->req_index)], 1);
	}
	for (size_t off = 0; off < sizeof(struct reqctx); off += 64)
		__builtin_prefetch(p + off, 1);
}

struct reqctx *reqctx_table__find(struct reqctx_table *r, uint64_t conn_id, uint32_t req_index)
{
	for (int32_t i = r->by_conn[conn_bucket(r, conn_id, req_index)]; i != NONE;
	     i = r->pool[i].next_conn)
		if (r->pool[i].conn_id == conn_id && r->pool[i].req_index == req_index)
			return &r->pool[i];
	return NULL;
}

struct reqctx *reqctx_table__add(struct reqctx_table *r, uint64_t conn_id, uint32_t req_index,
				 bool *fresh)
{
	struct reqctx *e = reqctx_table__find(r, conn_id, req_index);
	size_t b;
	int32_t i;

	*fresh = !e;
	if (e)
		return e;
	/* An inbound request still being served is what later calls need
	 * (agent runs last minutes): the ring steps over a few of those. */
	for (int tries = 0;; tries++) {
		i = (int32_t)r->next;
		r->next = (r->next + 1) % r->cap;
		if (!r->pool[i].used || !r->pool[i].inbound || r->pool[i].ts_end ||
		    tries == REQCTX_MAX_SKIP)
			break;
		r->st.kept_serving++;
	}
	if (r->pool[i].used)
		evict(r, i);
	e = &r->pool[i];
	e->used = true;
	e->conn_id = conn_id;
	e->req_index = req_index;
	e->next_peer = e->next_thr = e->prev_thr = NONE;
	b = conn_bucket(r, conn_id, req_index);
	e->next_conn = r->by_conn[b];
	r->by_conn[b] = i;
	r->st.added++;
	prefetch_next(r);
	return e;
}

void reqctx_table__index(struct reqctx_table *r, struct reqctx *e)
{
	int32_t i = (int32_t)(e - r->pool);
	size_t b;

	if (indexed_by_peer(e)) {
		b = peer_bucket(r, &e->tuple, false, e->req_index);
		e->next_peer = r->by_peer[b];
		r->by_peer[b] = i;
	}
	if (e->inbound && !e->in_thr) {
		b = thr_bucket(r, e->tgid, e->tid);
		e->next_thr = r->by_thr[b];
		e->prev_thr = NONE;
		if (e->next_thr != NONE)
			r->pool[e->next_thr].prev_thr = i;
		r->by_thr[b] = i;
		e->in_thr = true;
	}
}

void reqctx_table__set_tuple(struct reqctx_table *r, struct reqctx *e, const struct ar_tuple *t)
{
	size_t b;

	if (e->has_tuple)
		return;
	e->has_tuple = true;
	e->tuple = *t;
	if (!indexed_by_peer(e))
		return;
	b = peer_bucket(r, &e->tuple, false, e->req_index);
	e->next_peer = r->by_peer[b];
	r->by_peer[b] = (int32_t)(e - r->pool);
}

static bool tuple_reversed(const struct ar_tuple *a, const struct ar_tuple *b)
{
	return a->family == b->family && a->sport == b->dport && a->dport == b->sport &&
	       !memcmp(a->saddr, b->daddr, 16) && !memcmp(a->daddr, b->saddr, 16);
}

static uint64_t dist(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

struct reqctx *reqctx_table__peer(struct reqctx_table *r, const struct reqctx *e)
{
	struct reqctx *best = NULL;

	if (!e->inbound || !e->has_tuple)
		return NULL;
	for (int32_t i = r->by_peer[peer_bucket(r, &e->tuple, true, e->req_index)]; i != NONE;
	     i = r->pool[i].next_peer) {
		struct reqctx *c = &r->pool[i];

		if (c == e || c->req_index != e->req_index || !tuple_reversed(&c->tuple, &e->tuple))
			continue;
		/* A 4-tuple reused by a later connection: the request closest
		 * in time. Not "sent before read": a TLS client's SSL_write
		 * returns, and is stamped, after the server may have read. */
		if (!best || dist(c->ts_start, e->ts_start) < dist(best->ts_start, e->ts_start))
			best = c;
	}
	return best;
}

size_t reqctx_table__enclosing(struct reqctx_table *r, const struct reqctx *e,
			       struct reqctx **out, size_t max)
{
	size_t n = 0;

	for (int32_t i = r->by_thr[thr_bucket(r, e->tgid, e->tid)]; i != NONE;
	     i = r->pool[i].next_thr) {
		struct reqctx *s = &r->pool[i];

		if (s == e || s->tgid != e->tgid || s->tid != e->tid)
			continue;
		if (s->ts_served > e->ts_start || (s->ts_end && s->ts_end <= e->ts_start))
			continue;
		if (n < max)
			out[n] = s;
		n++;
	}
	return n;
}

struct reqctx *reqctx_table__served_on(struct reqctx_table *r, uint32_t tgid, uint32_t tid,
				       uint16_t sport, uint16_t dport, uint32_t req_index)
{
	for (int32_t i = r->by_thr[thr_bucket(r, tgid, tid)]; i != NONE; i = r->pool[i].next_thr) {
		struct reqctx *s = &r->pool[i];

		if (s->tgid == tgid && s->tid == tid && s->req_index == req_index && s->has_tuple &&
		    s->tuple.sport == sport && s->tuple.dport == dport)
			return s;
	}
	return NULL;
}

void reqctx_table__stats(const struct reqctx_table *r, struct reqctx_stats *out)
{
	*out = r->st;
}
