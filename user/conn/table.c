// SPDX-License-Identifier: MIT
/*
 * Connection table: an open-addressing hash (linear probing, backward
 * shift deletion) from conn_id to conn, plus an intrusive LRU list for
 * eviction and idle expiry. Every event costs O(1) plus O(max_pending)
 * for held chunks.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/budget.h"
#include "conn/role.h"
#include "conn/table.h"

/* Refuse configs that would make the slot array absurd. */
#define MAX_CONNS_LIMIT (1u << 24)

/* A copy of a chunk that arrived ahead of the expected sequence. */
struct chunk {
	struct chunk *next; /* sorted by seq */
	uint64_t seq;
	uint64_t ts;
	uint32_t tid;
	uint32_t len;
	uint8_t data[];
};

struct dir_state {
	uint64_t next_seq;      /* == delivered + gap bytes */
	struct chunk *pending;  /* held chunks, ascending seq */
	size_t npending;
	size_t pending_bytes;
};

struct conn {
	struct conn_meta meta; /* first: lookup() hands out &meta */
	struct conn *lru_prev; /* towards the most recently used */
	struct conn *lru_next; /* towards the least recently used */
	struct dir_state dir[2];
};

struct conn_table {
	struct conn_table_cfg cfg;
	struct stream_sink sink;
	struct conn **slots;
	size_t mask; /* slots - 1; slot count is a power of two */
	struct conn *lru_head; /* most recently used */
	struct conn *lru_tail; /* eviction candidate */
	struct conn_table_stats st;
};

static size_t hash_id(uint64_t id)
{
	/* splitmix64 finalizer: conn_ids are sequential, spread them out. */
	id ^= id >> 30;
	id *= 0xbf58476d1ce4e5b9ull;
	id ^= id >> 27;
	id *= 0x94d049bb133111ebull;
	id ^= id >> 31;
	return (size_t)id;
}

static struct conn *map_find(const struct conn_table *t, uint64_t id)
{
	for (size_t i = hash_id(id) & t->mask;; i = (i + 1) & t->mask) {
		struct conn *c = t->slots[i];

		if (!c)
			return NULL;
		if (c->meta.conn_id == id)
			return c;
	}
}

/* The slot array is at least twice max_conns, so there is always room. */
static void map_insert(struct conn_table *t, struct conn *c)
{
	size_t i = hash_id(c->meta.conn_id) & t->mask;

	while (t->slots[i])
		i = (i + 1) & t->mask;
	t->slots[i] = c;
}

static void map_remove(struct conn_table *t, uint64_t id)
{
	size_t i = hash_id(id) & t->mask, j;

	while (t->slots[i] && t->slots[i]->meta.conn_id != id)
		i = (i + 1) & t->mask;
	if (!t->slots[i])
		return;
	/* Backward shift: pull later members of the probe run into the hole
	 * when the hole lies between their home slot and where they sit. */
	for (j = (i + 1) & t->mask; t->slots[j]; j = (j + 1) & t->mask) {
		size_t home = hash_id(t->slots[j]->meta.conn_id) & t->mask;

		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i] = NULL;
}

static void lru_unlink(struct conn_table *t, struct conn *c)
{
	if (c->lru_prev)
		c->lru_prev->lru_next = c->lru_next;
	else
		t->lru_head = c->lru_next;
	if (c->lru_next)
		c->lru_next->lru_prev = c->lru_prev;
	else
		t->lru_tail = c->lru_prev;
	c->lru_prev = c->lru_next = NULL;
}

static void lru_push_head(struct conn_table *t, struct conn *c)
{
	c->lru_prev = NULL;
	c->lru_next = t->lru_head;
	if (t->lru_head)
		t->lru_head->lru_prev = c;
	t->lru_head = c;
	if (!t->lru_tail)
		t->lru_tail = c;
}

static void touch(struct conn_table *t, struct conn *c, uint64_t ts)
{
	if (ts > c->meta.last_ts)
		c->meta.last_ts = ts;
	if (t->lru_head != c) {
		lru_unlink(t, c);
		lru_push_head(t, c);
	}
}

static void deliver(struct conn_table *t, struct conn *c, int dir, const uint8_t *data,
		    size_t len, uint64_t ts, uint32_t tid)
{
	c->dir[dir].next_seq += len;
	c->meta.bytes[dir] += len;
	conn_role__observe(&c->meta, dir, data, len);
	if (t->sink.on_data)
		t->sink.on_data(t->sink.ctx, &c->meta, dir, data, len, ts, tid);
}

static void declare_gap(struct conn_table *t, struct conn *c, int dir, uint64_t missing)
{
	c->dir[dir].next_seq += missing;
	c->meta.gaps[dir] += missing;
	t->st.gaps++;
	t->st.gap_bytes += missing;
	if (t->sink.on_gap)
		t->sink.on_gap(t->sink.ctx, &c->meta, dir, missing);
}

/* Delivers the part of [seq, seq+len) past next_seq, if any; counts a trim. */
static void deliver_tail(struct conn_table *t, struct conn *c, int dir, uint64_t seq,
			 const uint8_t *data, size_t len, uint64_t ts, uint32_t tid)
{
	uint64_t next = c->dir[dir].next_seq;
	uint64_t skip;

	if (seq + len <= next) {
		t->st.overlaps_trimmed++;
		return;
	}
	skip = next - seq;
	if (skip)
		t->st.overlaps_trimmed++;
	deliver(t, c, dir, data + skip, len - (size_t)skip, ts, tid);
}

/* Delivers held chunks that have become contiguous. */
static void drain(struct conn_table *t, struct conn *c, int dir)
{
	struct dir_state *ds = &c->dir[dir];
	struct chunk *k;

	while ((k = ds->pending) && k->seq <= ds->next_seq) {
		ds->pending = k->next;
		ds->npending--;
		ds->pending_bytes -= k->len;
		t->st.held_bytes -= k->len;
		budget__give(k->len);
		deliver_tail(t, c, dir, k->seq, k->data, k->len, k->ts, k->tid);
		free(k);
	}
}

/* Gives up on the hole before the earliest held chunk. */
static void skip_to_pending(struct conn_table *t, struct conn *c, int dir)
{
	struct dir_state *ds = &c->dir[dir];

	if (!ds->pending)
		return;
	if (ds->pending->seq > ds->next_seq)
		declare_gap(t, c, dir, ds->pending->seq - ds->next_seq);
	drain(t, c, dir);
}

static void flush_pending(struct conn_table *t, struct conn *c)
{
	for (int dir = 0; dir < 2; dir++)
		while (c->dir[dir].pending)
			skip_to_pending(t, c, dir);
}

/* Holds a copy of an early chunk. Returns 0 or -ENOMEM (chunk dropped). */
static int hold(struct conn_table *t, struct conn *c, int dir, uint64_t seq,
		const uint8_t *data, uint32_t len, uint64_t ts, uint32_t tid)
{
	struct dir_state *ds = &c->dir[dir];
	struct chunk *k, **pp;

	if (!budget__take(len))
		return -ENOMEM; /* over the daemon's budget: dropped, a gap later */
	k = malloc(sizeof(*k) + len);
	if (!k) {
		budget__give(len);
		return -ENOMEM;
	}
	k->seq = seq;
	k->ts = ts;
	k->tid = tid;
	k->len = len;
	memcpy(k->data, data, len);
	/* At most max_pending entries: a short walk. Equal seqs keep arrival order. */
	for (pp = &ds->pending; *pp && (*pp)->seq <= seq; pp = &(*pp)->next)
		;
	k->next = *pp;
	*pp = k;
	ds->npending++;
	ds->pending_bytes += len;
	t->st.held_bytes += len;
	t->st.reordered++;
	while (ds->npending > t->cfg.max_pending || ds->pending_bytes > t->cfg.max_pending_bytes)
		skip_to_pending(t, c, dir);
	return 0;
}

/* Flushes, calls on_close and frees c. */
static void conn_end(struct conn_table *t, struct conn *c)
{
	/* SSL* streams that carried data: did we ever learn their socket? */
	if (c->meta.is_tls && c->meta.bytes[0] + c->meta.bytes[1]) {
		t->st.tls_streams++;
		t->st.tls_no_socket += !c->meta.has_tuple;
	}
	flush_pending(t, c);
	if (t->sink.on_close)
		t->sink.on_close(t->sink.ctx, &c->meta);
	map_remove(t, c->meta.conn_id);
	lru_unlink(t, c);
	t->st.live--;
	free(c);
}

/* Allocates a conn (evicting the LRU one at the cap) and indexes it; the
 * caller fills it in and calls on_open. Returns NULL on -ENOMEM. */
static struct conn *conn_create(struct conn_table *t, const struct ar_event_hdr *h)
{
	struct conn *c;

	if (t->st.live >= t->cfg.max_conns && t->lru_tail) {
		t->st.evicted++;
		conn_end(t, t->lru_tail);
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->meta.conn_id = h->conn_id;
	c->meta.tgid = h->tgid;
	c->meta.last_tid = h->tid;
	c->meta.fd = -1;
	c->meta.is_tls = h->flags & AR_F_TLS;
	c->meta.open_ts = h->ts_ns;
	c->meta.last_ts = h->ts_ns;
	map_insert(t, c);
	lru_push_head(t, c);
	t->st.live++;
	return c;
}

static void opened(struct conn_table *t, struct conn *c)
{
	t->st.opened++;
	if (t->sink.on_open)
		t->sink.on_open(t->sink.ctx, &c->meta);
}

static void copy_comm(char *dst, const char *src)
{
	memcpy(dst, src, AR_COMM_LEN);
	dst[AR_COMM_LEN - 1] = '\0';
}

/* A TLS stream takes the tuple and role of the socket underneath once
 * that socket is known. */
static void tls_link(struct conn_table *t, struct conn *c)
{
	struct conn *s;

	if (!c->meta.is_tls || c->meta.has_tuple || !c->meta.sock_conn_id)
		return;
	s = map_find(t, c->meta.sock_conn_id);
	if (!s || s == c || !s->meta.has_tuple)
		return;
	c->meta.tuple = s->meta.tuple;
	if (s->meta.role != AR_ROLE_UNKNOWN) {
		c->meta.role = s->meta.role;
		c->meta.role_src = ROLE_SRC_SOCKET;
	}
	c->meta.has_tuple = true;
	if (c->meta.fd < 0)
		c->meta.fd = s->meta.fd;
}

static int handle_data(struct conn_table *t, const uint8_t *rec, size_t len)
{
	struct ar_data_event d;
	const uint8_t *payload = rec + sizeof(d);
	struct conn *c;
	bool fresh = false;
	int dir;

	if (len < sizeof(d))
		goto malformed;
	memcpy(&d, rec, sizeof(d)); /* records need not be aligned */
	if (sizeof(d) + (uint64_t)d.len != len || d.dir > AR_DIR_INGRESS || !d.hdr.conn_id ||
	    d.seq + d.len < d.seq)
		goto malformed;
	dir = d.dir;

	c = map_find(t, d.hdr.conn_id);
	if (!c) {
		c = conn_create(t, &d.hdr);
		if (!c)
			return -ENOMEM;
		c->meta.fd = d.fd;
		c->meta.ssl_ptr = d.ssl_ptr;
		copy_comm(c->meta.comm, d.comm);
		fresh = true;
	}
	if (d.hdr.flags & AR_F_TLS)
		c->meta.is_tls = true;
	if (!c->meta.sock_conn_id)
		c->meta.sock_conn_id = d.sock_conn_id;
	if (!c->meta.ssl_ptr)
		c->meta.ssl_ptr = d.ssl_ptr;
	if (c->meta.fd < 0 && d.fd >= 0)
		c->meta.fd = d.fd;
	tls_link(t, c);
	if (fresh)
		opened(t, c);
	c->meta.last_tid = d.hdr.tid;
	touch(t, c, d.hdr.ts_ns);

	if (!d.len)
		return 0;
	if (d.seq <= c->dir[dir].next_seq) {
		deliver_tail(t, c, dir, d.seq, payload, d.len, d.hdr.ts_ns, d.hdr.tid);
		drain(t, c, dir);
		return 0;
	}
	return hold(t, c, dir, d.seq, payload, d.len, d.hdr.ts_ns, d.hdr.tid);

malformed:
	t->st.malformed++;
	return -EINVAL;
}

static int handle_conn(struct conn_table *t, const uint8_t *rec, size_t len)
{
	struct ar_conn_event e;
	struct conn *c;

	if (len < sizeof(e))
		goto malformed;
	memcpy(&e, rec, sizeof(e));
	if (!e.hdr.conn_id || e.role > AR_ROLE_SERVER)
		goto malformed;
	c = map_find(t, e.hdr.conn_id);

	if (e.hdr.type == AR_EV_CONN_OPEN) {
		bool fresh = !c;

		if (fresh) {
			c = conn_create(t, &e.hdr);
			if (!c)
				return -ENOMEM;
		}
		if (e.tuple.family) {
			c->meta.tuple = e.tuple;
			c->meta.has_tuple = true;
		}
		if (e.role != AR_ROLE_UNKNOWN || c->meta.role_src != ROLE_SRC_REQUEST_LINE) {
			c->meta.role = e.role;
			c->meta.role_src = e.role ? ROLE_SRC_SYSCALL : ROLE_SRC_NONE;
		}
		c->meta.fd = e.fd;
		copy_comm(c->meta.comm, e.comm);
		if (e.hdr.ts_ns && e.hdr.ts_ns < c->meta.open_ts)
			c->meta.open_ts = e.hdr.ts_ns;
		if (fresh)
			opened(t, c);
		touch(t, c, e.hdr.ts_ns);
		return 0;
	}

	/* Close of a conn we never saw carries nothing to deliver. */
	if (!c)
		return 0;
	tls_link(t, c);
	touch(t, c, e.hdr.ts_ns);
	flush_pending(t, c);
	/* A TLS socket's totals count ciphertext that was never emitted as
	 * data (the SSL* stream carries it): no tail gap from them. */
	for (int dir = 0; dir < 2 && !(e.hdr.flags & AR_F_CIPHERTEXT); dir++)
		if (e.bytes[dir] > c->dir[dir].next_seq)
			declare_gap(t, c, dir, e.bytes[dir] - c->dir[dir].next_seq);
	t->st.closed++;
	conn_end(t, c);
	return 0;

malformed:
	t->st.malformed++;
	return -EINVAL;
}

int conn_table__handle(struct conn_table *t, const void *rec, size_t len)
{
	struct ar_event_hdr h;

	if (!rec || len < sizeof(h)) {
		t->st.malformed++;
		return -EINVAL;
	}
	memcpy(&h, rec, sizeof(h));
	switch (h.type) {
	case AR_EV_DATA:
		return handle_data(t, rec, len);
	case AR_EV_CONN_OPEN:
	case AR_EV_CONN_CLOSE:
		return handle_conn(t, rec, len);
	default:
		return 0;
	}
}

void conn_table__expire(struct conn_table *t, uint64_t now_mono_ns)
{
	struct conn *c;

	/* The LRU tail is the least recently touched: stop at the first
	 * conn that is still fresh. */
	while ((c = t->lru_tail) && now_mono_ns >= c->meta.last_ts &&
	       now_mono_ns - c->meta.last_ts >= t->cfg.idle_ns) {
		t->st.expired++;
		conn_end(t, c);
	}
}

struct conn_table *conn_table__new(const struct conn_table_cfg *cfg,
				   const struct stream_sink *sink)
{
	struct conn_table *t = calloc(1, sizeof(*t));
	size_t nslots = 16;

	if (!t)
		return NULL;
	if (cfg)
		t->cfg = *cfg;
	if (!t->cfg.max_conns)
		t->cfg.max_conns = CONN_TABLE_DEF_MAX_CONNS;
	if (t->cfg.max_conns > MAX_CONNS_LIMIT)
		t->cfg.max_conns = MAX_CONNS_LIMIT;
	if (!t->cfg.max_pending)
		t->cfg.max_pending = CONN_TABLE_DEF_MAX_PENDING;
	if (!t->cfg.max_pending_bytes)
		t->cfg.max_pending_bytes = CONN_TABLE_DEF_MAX_PENDING_BYTES;
	if (!t->cfg.idle_ns)
		t->cfg.idle_ns = CONN_TABLE_DEF_IDLE_NS;
	if (sink)
		t->sink = *sink;
	/* Load factor <= 1/2 keeps probe runs short. */
	while (nslots < 2 * t->cfg.max_conns)
		nslots *= 2;
	t->slots = calloc(nslots, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	t->mask = nslots - 1;
	return t;
}

void conn_table__free(struct conn_table *t)
{
	if (!t)
		return;
	while (t->lru_tail)
		conn_end(t, t->lru_tail);
	free(t->slots);
	free(t);
}

void conn_table__stats(const struct conn_table *t, struct conn_table_stats *out)
{
	*out = t->st;
}

const struct conn_meta *conn_table__lookup(const struct conn_table *t, uint64_t conn_id)
{
	struct conn *c = map_find(t, conn_id);

	return c ? &c->meta : NULL;
}
