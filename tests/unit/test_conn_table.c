// SPDX-License-Identifier: MIT
/* Connection table: ordering, holes, gaps, overlaps, identity, bounds. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <agentrace/events.h>

#include "conn/table.h"

#define MAXC 8

/* What the recording sink saw. Streams are indexed by conn_id < MAXC. */
struct rec {
	char stream[MAXC][2][256];
	size_t slen[MAXC][2];
	uint64_t gap[MAXC][2];
	int opens[MAXC], closes[MAXC];
	uint64_t close_bytes[MAXC][2], close_gaps[MAXC][2];
	uint32_t last_tid;
	uint64_t last_ts;
	char order[512]; /* "o1 d1 g1 c1 " */
};

static struct rec R;

static void logf_(const char *s, uint64_t id)
{
	size_t n = strlen(R.order);

	snprintf(R.order + n, sizeof(R.order) - n, "%s%llu ", s, (unsigned long long)id);
}

static void s_open(void *ctx, struct conn_meta *c)
{
	(void)ctx;
	if (c->conn_id < MAXC)
		R.opens[c->conn_id]++;
	logf_("o", c->conn_id);
}

static void s_data(void *ctx, struct conn_meta *c, int dir, const uint8_t *d, size_t len,
		   uint64_t ts, uint32_t tid)
{
	(void)ctx;
	if (c->conn_id < MAXC && R.slen[c->conn_id][dir] + len < 256) {
		memcpy(R.stream[c->conn_id][dir] + R.slen[c->conn_id][dir], d, len);
		R.slen[c->conn_id][dir] += len;
	}
	R.last_tid = tid;
	R.last_ts = ts;
	logf_("d", c->conn_id);
}

static void s_gap(void *ctx, struct conn_meta *c, int dir, uint64_t missing)
{
	(void)ctx;
	if (c->conn_id < MAXC)
		R.gap[c->conn_id][dir] += missing;
	logf_("g", c->conn_id);
}

static void s_close(void *ctx, struct conn_meta *c)
{
	(void)ctx;
	if (c->conn_id < MAXC) {
		R.closes[c->conn_id]++;
		memcpy(R.close_bytes[c->conn_id], c->bytes, sizeof(c->bytes));
		memcpy(R.close_gaps[c->conn_id], c->gaps, sizeof(c->gaps));
	}
	logf_("c", c->conn_id);
}

static const struct stream_sink sink = {
	.on_open = s_open, .on_data = s_data, .on_gap = s_gap, .on_close = s_close,
};

static void reset(void)
{
	memset(&R, 0, sizeof(R));
}

TestSuite(conn_table_reasm, .init = reset);

static uint8_t buf[sizeof(struct ar_data_event) + 4096];

/* Feeds a data record; returns conn_table__handle's result. */
static int data_ex(struct conn_table *t, uint64_t id, int dir, uint64_t seq, const char *s,
		   uint16_t flags, uint64_t sock_id, uint64_t ts)
{
	struct ar_data_event *d = (void *)buf;
	size_t n = strlen(s);

	memset(d, 0, sizeof(*d));
	d->hdr.type = AR_EV_DATA;
	d->hdr.flags = flags;
	d->hdr.tgid = 100;
	d->hdr.tid = 100 + (uint32_t)seq;
	d->hdr.ts_ns = ts;
	d->hdr.conn_id = id;
	d->seq = seq;
	d->sock_conn_id = sock_id;
	d->ssl_ptr = flags & AR_F_TLS ? 0x5000 + id : 0;
	d->fd = flags & AR_F_TLS ? -1 : 5;
	d->len = (uint32_t)n;
	d->dir = (uint8_t)dir;
	strcpy(d->comm, "agent");
	memcpy(d->data, s, n);
	return conn_table__handle(t, buf, sizeof(*d) + n);
}

static int data(struct conn_table *t, uint64_t id, int dir, uint64_t seq, const char *s)
{
	return data_ex(t, id, dir, seq, s, 0, 0, 1000 + seq);
}

static struct ar_conn_event conn_ev(int type, uint64_t id, uint64_t ts)
{
	struct ar_conn_event e = { 0 };

	e.hdr.type = (uint16_t)type;
	e.hdr.tgid = 100;
	e.hdr.ts_ns = ts;
	e.hdr.conn_id = id;
	e.fd = 5;
	e.role = AR_ROLE_CLIENT;
	e.tuple.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.2", e.tuple.saddr);
	inet_pton(AF_INET, "93.184.216.34", e.tuple.daddr);
	e.tuple.sport = 40000 + (uint16_t)id;
	e.tuple.dport = 443;
	strcpy(e.comm, "agent");
	return e;
}

static int open_(struct conn_table *t, uint64_t id, uint64_t ts)
{
	struct ar_conn_event e = conn_ev(AR_EV_CONN_OPEN, id, ts);

	return conn_table__handle(t, &e, sizeof(e));
}

static int close_(struct conn_table *t, uint64_t id, uint64_t eg, uint64_t in)
{
	struct ar_conn_event e = conn_ev(AR_EV_CONN_CLOSE, id, 9000);

	memset(&e.tuple, 0, sizeof(e.tuple));
	e.bytes[AR_DIR_EGRESS] = eg;
	e.bytes[AR_DIR_INGRESS] = in;
	return conn_table__handle(t, &e, sizeof(e));
}

static struct conn_table_stats stats(struct conn_table *t)
{
	struct conn_table_stats st;

	conn_table__stats(t, &st);
	return st;
}

#define STREAM(id, dir) (R.stream[id][dir])

Test(conn_table_reasm, in_order_delivery)
{
	struct conn_table *t = conn_table__new(NULL, &sink);
	const struct conn_meta *m;

	cr_assert_not_null(t);
	cr_assert_eq(open_(t, 1, 500), 0);
	cr_assert_eq(data(t, 1, AR_DIR_EGRESS, 0, "GET / "), 0);
	cr_assert_eq(data(t, 1, AR_DIR_EGRESS, 6, "HTTP/1.1\r\n"), 0);
	cr_assert_eq(data(t, 1, AR_DIR_INGRESS, 0, "HTTP/1.1 200"), 0);
	cr_expect_str_eq(STREAM(1, 0), "GET / HTTP/1.1\r\n");
	cr_expect_str_eq(STREAM(1, 1), "HTTP/1.1 200");
	cr_expect_eq(R.last_tid, 100);
	cr_expect_eq(R.last_ts, 1000);
	m = conn_table__lookup(t, 1);
	cr_assert_not_null(m);
	cr_expect_eq(m->bytes[0], 16);
	cr_expect_eq(m->bytes[1], 12);
	cr_expect_eq(m->gaps[0] + m->gaps[1], 0);
	cr_expect_eq(m->last_tid, 100);
	cr_expect_eq(m->open_ts, 500);
	cr_expect_eq(m->last_ts, 1006);
	cr_expect(m->has_tuple);
	cr_expect_eq(m->role, AR_ROLE_CLIENT);
	cr_expect_eq(m->tuple.dport, 443);
	cr_expect_str_eq(m->comm, "agent");
	cr_expect_eq(stats(t).opened, 1);
	cr_expect_eq(stats(t).live, 1);
	cr_expect_eq(R.opens[1], 1);
	conn_table__free(t);
	cr_expect_eq(R.closes[1], 1);
}

Test(conn_table_reasm, reordering_is_repaired)
{
	struct conn_table *t = conn_table__new(NULL, &sink);

	cr_assert_eq(data(t, 1, 0, 10, "world"), 0);
	cr_assert_eq(data(t, 1, 0, 15, "?"), 0);
	cr_assert_eq(data(t, 1, 0, 5, ", "), 0);
	cr_expect_str_eq(STREAM(1, 0), "", "nothing before the hole fills");
	cr_assert_eq(data(t, 1, 0, 0, "hello"), 0);
	cr_expect_str_eq(STREAM(1, 0), "hello, ", "stops at the hole at 7..10");
	cr_expect_eq(R.last_tid, 105, "held chunks keep their own tid");
	cr_assert_eq(data(t, 1, 0, 7, "xyz"), 0);
	cr_expect_str_eq(STREAM(1, 0), "hello, xyzworld?");
	cr_expect_eq(R.last_tid, 115);
	cr_expect_eq(R.last_ts, 1015);
	cr_assert_eq(data(t, 1, 0, 7, "!!!"), 0); /* duplicate of delivered range */
	cr_expect_str_eq(STREAM(1, 0), "hello, xyzworld?");
	cr_expect_eq(stats(t).reordered, 3);
	cr_expect_eq(stats(t).gaps, 0);
	cr_expect_eq(stats(t).overlaps_trimmed, 1);
	cr_expect_eq(conn_table__lookup(t, 1)->bytes[0], 16);
	conn_table__free(t);
}

Test(conn_table_reasm, gap_declared_when_pending_count_exceeded)
{
	struct conn_table_cfg cfg = { .max_pending = 2 };
	struct conn_table *t = conn_table__new(&cfg, &sink);
	const struct conn_meta *m;

	data(t, 1, 0, 0, "aa");
	data(t, 1, 0, 10, "xy");
	data(t, 1, 0, 12, "zw");
	cr_expect_str_eq(STREAM(1, 0), "aa");
	cr_expect_eq(stats(t).gaps, 0);
	data(t, 1, 0, 14, "q"); /* third held chunk: give up on 2..10 */
	cr_expect_str_eq(STREAM(1, 0), "aaxyzwq");
	cr_expect_eq(R.gap[1][0], 8);
	cr_expect_eq(stats(t).gaps, 1);
	cr_expect_eq(stats(t).gap_bytes, 8);
	m = conn_table__lookup(t, 1);
	cr_expect_eq(m->gaps[0], 8);
	cr_expect_eq(m->bytes[0], 7);
	cr_expect_str_eq(R.order, "o1 d1 g1 d1 d1 d1 ");
	/* The late bytes of the hole are now behind: trimmed, not delivered. */
	data(t, 1, 0, 2, "LATE");
	cr_expect_str_eq(STREAM(1, 0), "aaxyzwq");
	cr_expect_eq(stats(t).overlaps_trimmed, 1);
	conn_table__free(t);
}

Test(conn_table_reasm, gap_declared_when_pending_bytes_exceeded)
{
	struct conn_table_cfg cfg = { .max_pending = 100, .max_pending_bytes = 6 };
	struct conn_table *t = conn_table__new(&cfg, &sink);

	data(t, 1, 1, 0, "ab");
	data(t, 1, 1, 5, "cdef");
	data(t, 1, 1, 20, "gh"); /* 6 bytes held: still fine */
	cr_expect_str_eq(STREAM(1, 1), "ab");
	data(t, 1, 1, 30, "i"); /* 7 bytes: skip 2..5, deliver cdef, still 3 held */
	cr_expect_str_eq(STREAM(1, 1), "abcdef");
	cr_expect_eq(R.gap[1][1], 3);
	cr_expect_eq(stats(t).gaps, 1);
	conn_table__free(t); /* shutdown flushes the rest with gaps */
	cr_expect_str_eq(STREAM(1, 1), "abcdefghi");
	cr_expect_eq(R.gap[1][1], 3 + 11 + 8);
	cr_expect_eq(R.close_gaps[1][1], 22);
	cr_expect_eq(R.close_bytes[1][1], 9);
}

Test(conn_table_reasm, first_chunk_not_at_zero_becomes_gap)
{
	struct conn_table_cfg cfg = { .max_pending = 1 };
	struct conn_table *t = conn_table__new(&cfg, &sink);

	data(t, 1, 0, 100, "a"); /* held: may be reordering */
	cr_expect_str_eq(STREAM(1, 0), "");
	data(t, 1, 0, 101, "b"); /* two held > 1: bytes 0..100 are lost */
	cr_expect_str_eq(STREAM(1, 0), "ab");
	cr_expect_eq(R.gap[1][0], 100);
	data(t, 1, 0, 200, "c");
	cr_expect_str_eq(STREAM(1, 0), "ab");
	conn_table__free(t);
	cr_expect_str_eq(STREAM(1, 0), "abc");
	cr_expect_eq(R.gap[1][0], 100 + 98);
	cr_expect_str_eq(R.order, "o1 g1 d1 d1 g1 d1 c1 ");
}

Test(conn_table_reasm, overlap_trimming)
{
	struct conn_table *t = conn_table__new(NULL, &sink);

	data(t, 1, 0, 0, "hello");
	data(t, 1, 0, 3, "lo world");
	cr_expect_str_eq(STREAM(1, 0), "hello world");
	cr_expect_eq(stats(t).overlaps_trimmed, 1);
	data(t, 1, 0, 0, "hello"); /* pure duplicate */
	cr_expect_str_eq(STREAM(1, 0), "hello world");
	cr_expect_eq(stats(t).overlaps_trimmed, 2);
	cr_expect_eq(conn_table__lookup(t, 1)->bytes[0], 11);
	conn_table__free(t);
}

Test(conn_table_reasm, close_flushes_and_reports_tail_gap)
{
	struct conn_table *t = conn_table__new(NULL, &sink);

	open_(t, 1, 10);
	data(t, 1, 0, 0, "0123456789");
	data(t, 1, 0, 12, "CD"); /* held */
	data(t, 1, 1, 0, "resp");
	cr_assert_eq(close_(t, 1, 20, 9), 0);
	cr_expect_str_eq(STREAM(1, 0), "0123456789CD");
	cr_expect_eq(R.gap[1][0], 2 + 6);
	cr_expect_eq(R.gap[1][1], 5);
	cr_expect_eq(R.close_bytes[1][0], 12);
	cr_expect_eq(R.close_gaps[1][0], 8);
	cr_expect_eq(R.close_gaps[1][1], 5);
	cr_expect_eq(R.closes[1], 1);
	cr_expect_null(conn_table__lookup(t, 1));
	cr_expect_eq(stats(t).closed, 1);
	cr_expect_eq(stats(t).live, 0);
	cr_expect_eq(stats(t).gap_bytes, 13);
	/* Close totals equal to what was seen: no gap. */
	data(t, 2, 0, 0, "abc");
	close_(t, 2, 3, 0);
	cr_expect_eq(R.gap[2][0], 0);
	cr_expect_eq(R.closes[2], 1);
	/* Close of an unknown conn is ignored. */
	cr_expect_eq(close_(t, 7, 100, 100), 0);
	cr_expect_eq(R.closes[7], 0);
	cr_expect_eq(stats(t).closed, 2);
	conn_table__free(t);
}

Test(conn_table_reasm, ciphertext_close_has_no_tail_gap)
{
	struct conn_table *t = conn_table__new(NULL, &sink);
	struct ar_conn_event e = conn_ev(AR_EV_CONN_CLOSE, 1, 9000);

	open_(t, 1, 10);
	e.hdr.flags = AR_F_CIPHERTEXT;
	e.bytes[0] = 517;
	e.bytes[1] = 4096;
	cr_assert_eq(conn_table__handle(t, &e, sizeof(e)), 0);
	cr_expect_eq(R.closes[1], 1);
	cr_expect_eq(R.gap[1][0] + R.gap[1][1], 0);
	cr_expect_eq(stats(t).gaps, 0);
	conn_table__free(t);
}

Test(conn_table_reasm, fd_reuse_keeps_conns_apart)
{
	struct conn_table *t = conn_table__new(NULL, &sink);

	/* Same tgid and fd (5), different conn_id. */
	open_(t, 1, 1);
	data(t, 1, 0, 0, "first");
	close_(t, 1, 5, 0);
	open_(t, 2, 2);
	data(t, 2, 0, 0, "second");
	data(t, 3, 0, 0, "third"); /* no open seen */
	cr_expect_str_eq(STREAM(1, 0), "first");
	cr_expect_str_eq(STREAM(2, 0), "second");
	cr_expect_str_eq(STREAM(3, 0), "third");
	cr_expect_eq(conn_table__lookup(t, 2)->fd, 5);
	cr_expect_eq(conn_table__lookup(t, 3)->fd, 5);
	cr_expect_eq(stats(t).live, 2);
	cr_expect_eq(stats(t).opened, 3);
	conn_table__free(t);
}

Test(conn_table_reasm, data_first_then_open_fills_identity)
{
	struct conn_table *t = conn_table__new(NULL, &sink);
	const struct conn_meta *m;

	data(t, 1, 0, 0, "x");
	m = conn_table__lookup(t, 1);
	cr_assert_not_null(m);
	cr_expect_not(m->has_tuple);
	cr_expect_eq(m->role, AR_ROLE_UNKNOWN);
	open_(t, 1, 50);
	cr_expect(m->has_tuple);
	cr_expect_eq(m->role, AR_ROLE_CLIENT);
	cr_expect_eq(m->tuple.sport, 40001);
	cr_expect_eq(R.opens[1], 1, "on_open once");
	conn_table__free(t);
}

Test(conn_table_reasm, tls_stream_inherits_socket_tuple)
{
	struct conn_table *t = conn_table__new(NULL, &sink);
	const struct conn_meta *m;

	open_(t, 1, 10); /* the socket */
	cr_assert_eq(data_ex(t, 2, 0, 0, "GET", AR_F_TLS, 1, 20), 0);
	m = conn_table__lookup(t, 2);
	cr_assert_not_null(m);
	cr_expect(m->is_tls);
	cr_expect(m->has_tuple);
	cr_expect_eq(m->tuple.sport, 40001);
	cr_expect_eq(m->tuple.dport, 443);
	cr_expect_eq(m->role, AR_ROLE_CLIENT);
	cr_expect_eq(m->fd, 5, "fd taken from the socket");
	cr_expect_eq(m->ssl_ptr, 0x5002);
	cr_expect_eq(m->sock_conn_id, 1);
	cr_expect_str_eq(STREAM(2, 0), "GET");
	conn_table__free(t);
}

Test(conn_table_reasm, tls_stream_links_later)
{
	struct conn_table *t = conn_table__new(NULL, &sink);
	const struct conn_meta *m;

	/* First TLS chunk before the socket under it is known. */
	data_ex(t, 2, 0, 0, "GET", AR_F_TLS, 0, 20);
	m = conn_table__lookup(t, 2);
	cr_expect_not(m->has_tuple);
	cr_expect_eq(m->fd, -1);
	/* sock_conn_id appears, but the socket's open arrives later still. */
	data_ex(t, 2, 0, 3, " /", AR_F_TLS, 4, 30);
	cr_expect_eq(m->sock_conn_id, 4);
	cr_expect_not(m->has_tuple);
	open_(t, 4, 5);
	data_ex(t, 2, 1, 0, "HTTP", AR_F_TLS, 4, 40);
	cr_expect(m->has_tuple);
	cr_expect_eq(m->tuple.sport, 40004);
	cr_expect_str_eq(STREAM(2, 0), "GET /");
	conn_table__free(t);
}

Test(conn_table_reasm, lru_eviction_calls_on_close)
{
	struct conn_table_cfg cfg = { .max_conns = 2 };
	struct conn_table *t = conn_table__new(&cfg, &sink);

	data(t, 1, 0, 0, "a");
	data(t, 2, 0, 0, "b");
	data(t, 2, 0, 5, "held"); /* flushed with a gap on eviction */
	data(t, 1, 0, 1, "a"); /* 1 is now most recent */
	data(t, 3, 0, 0, "c");
	cr_expect_eq(R.closes[2], 1);
	cr_expect_eq(R.closes[1], 0);
	cr_expect_str_eq(STREAM(2, 0), "bheld");
	cr_expect_eq(R.gap[2][0], 4);
	cr_expect_null(conn_table__lookup(t, 2));
	cr_expect_not_null(conn_table__lookup(t, 1));
	cr_expect_not_null(conn_table__lookup(t, 3));
	cr_expect_eq(stats(t).evicted, 1);
	cr_expect_eq(stats(t).live, 2);
	conn_table__free(t);
	cr_expect_eq(R.closes[1], 1);
	cr_expect_eq(R.closes[3], 1);
}

Test(conn_table_reasm, expire_idle_conns)
{
	struct conn_table_cfg cfg = { .idle_ns = 1000 };
	struct conn_table *t = conn_table__new(&cfg, &sink);

	data_ex(t, 1, 0, 0, "a", 0, 0, 100);
	data_ex(t, 2, 0, 0, "b", 0, 0, 200);
	conn_table__expire(t, 1050);
	cr_expect_eq(stats(t).expired, 0);
	conn_table__expire(t, 1150);
	cr_expect_eq(R.closes[1], 1);
	cr_expect_eq(R.closes[2], 0);
	cr_expect_eq(stats(t).expired, 1);
	data_ex(t, 2, 0, 1, "b", 0, 0, 1190); /* activity keeps 2 alive */
	conn_table__expire(t, 2100);
	cr_expect_eq(R.closes[2], 0);
	conn_table__expire(t, 2190);
	cr_expect_eq(R.closes[2], 1);
	cr_expect_eq(stats(t).expired, 2);
	cr_expect_eq(stats(t).live, 0);
	conn_table__free(t);
}

Test(conn_table_reasm, malformed_records_counted)
{
	struct conn_table *t = conn_table__new(NULL, &sink);
	struct ar_data_event *d = (void *)buf;
	struct ar_conn_event e = conn_ev(AR_EV_CONN_OPEN, 1, 1);
	struct ar_event_hdr other = { .type = AR_EV_PROC_EXEC, .conn_id = 1 };

	cr_expect_eq(conn_table__handle(t, buf, 4), -EINVAL);
	data(t, 1, 0, 0, "abcd");
	cr_expect_eq(conn_table__handle(t, buf, sizeof(*d) + 3), -EINVAL, "len mismatch");
	cr_expect_eq(conn_table__handle(t, buf, sizeof(*d) - 1), -EINVAL, "short data");
	d->dir = 2;
	cr_expect_eq(conn_table__handle(t, buf, sizeof(*d) + 4), -EINVAL, "bad dir");
	d->dir = 0;
	d->hdr.conn_id = 0;
	cr_expect_eq(conn_table__handle(t, buf, sizeof(*d) + 4), -EINVAL, "conn_id 0");
	d->hdr.conn_id = 1;
	d->seq = UINT64_MAX - 1;
	cr_expect_eq(conn_table__handle(t, buf, sizeof(*d) + 4), -EINVAL, "seq overflow");
	cr_expect_eq(conn_table__handle(t, &e, sizeof(e) - 1), -EINVAL, "short conn event");
	e.role = 9;
	cr_expect_eq(conn_table__handle(t, &e, sizeof(e)), -EINVAL, "bad role");
	cr_expect_eq(conn_table__handle(t, &other, sizeof(other)), 0, "other types ignored");
	cr_expect_eq(stats(t).malformed, 8);
	cr_expect_str_eq(STREAM(1, 0), "abcd");
	cr_expect_eq(stats(t).live, 1);
	conn_table__free(t);
}

Test(conn_table_reasm, free_closes_every_live_conn)
{
	struct conn_table *t = conn_table__new(NULL, &sink);

	for (uint64_t id = 1; id < MAXC; id++)
		data(t, id, 0, 0, "z");
	conn_table__free(t);
	for (uint64_t id = 1; id < MAXC; id++)
		cr_expect_eq(R.closes[id], 1, "conn %llu", (unsigned long long)id);
	conn_table__free(NULL);
}

/* Random opens/closes against a reference set: exercises hash deletion. */
Test(conn_table_reasm, hash_stress_matches_reference)
{
	struct conn_table_cfg cfg = { .max_conns = 256 };
	struct stream_sink none = { 0 };
	struct conn_table *t = conn_table__new(&cfg, &none);
	static uint64_t ids[200];
	static bool live[200];
	size_t nlive = 0;

	for (int i = 0; i < 200; i++)
		ids[i] = ((uint64_t)i << 40) | (uint64_t)(i * 977 + 1);
	srand(42);
	for (int step = 0; step < 20000; step++) {
		int i = rand() % 200;

		if (live[i]) {
			close_(t, ids[i], 0, 0);
			live[i] = false;
			nlive--;
		} else {
			open_(t, ids[i], (uint64_t)step + 1);
			live[i] = true;
			nlive++;
		}
		if (step % 97 == 0)
			for (int k = 0; k < 200; k++)
				cr_assert_eq(conn_table__lookup(t, ids[k]) != NULL, live[k],
					     "step %d id %d", step, k);
	}
	cr_expect_eq(stats(t).live, nlive);
	conn_table__free(t);
}

/* Random records with plausible headers: must never crash, and every
 * live conn must be closed exactly once. */
Test(conn_table_reasm, random_records_never_crash)
{
	struct conn_table_cfg cfg = { .max_conns = 4, .max_pending = 3, .max_pending_bytes = 64 };
	struct conn_table *t = conn_table__new(&cfg, &sink);
	static uint8_t junk[sizeof(struct ar_data_event) + 128];
	struct conn_table_stats st;

	srand(7);
	for (int i = 0; i < 50000; i++) {
		struct ar_event_hdr *h = (void *)junk;
		size_t len = (size_t)rand() % sizeof(junk);

		for (size_t k = 0; k < len; k++)
			junk[k] = (uint8_t)rand();
		if (len >= sizeof(*h)) {
			h->type = (uint16_t)(1 + rand() % 4);
			h->conn_id = (uint64_t)(rand() % 6);
			if (h->type == AR_EV_DATA && len >= sizeof(struct ar_data_event) && rand() % 2) {
				struct ar_data_event *d = (void *)junk;

				d->len = (uint32_t)(len - sizeof(*d));
				d->dir = (uint8_t)(rand() % 2);
				d->seq = (uint64_t)(rand() % 300);
			}
			if (h->type != AR_EV_DATA && rand() % 2)
				((struct ar_conn_event *)junk)->role = (uint8_t)(rand() % 3);
		}
		conn_table__handle(t, junk, len);
		if (i % 1000 == 0)
			conn_table__expire(t, (uint64_t)rand() << 20);
	}
	conn_table__stats(t, &st);
	cr_expect_gt(st.malformed, 0);
	cr_expect_gt(st.opened, 0);
	cr_expect_leq(st.live, 4);
	conn_table__free(t);
	cr_expect_eq(st.opened, st.closed + st.evicted + st.expired + st.live);
}

/* Role inference for connections first seen mid-stream. */
#include "conn/role.h"

Test(conn_role, chunk_start_lines)
{
	static const char req[] = "POST /v1/chat HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\n\r\n";

	cr_expect_eq(conn_role__from_chunk(AR_DIR_EGRESS, (const uint8_t *)req, sizeof(req) - 1),
		     AR_ROLE_CLIENT, "wrote a request");
	cr_expect_eq(conn_role__from_chunk(AR_DIR_INGRESS, (const uint8_t *)req, sizeof(req) - 1),
		     AR_ROLE_SERVER, "read a request");
	cr_expect_eq(conn_role__from_chunk(AR_DIR_EGRESS, (const uint8_t *)resp, sizeof(resp) - 1),
		     AR_ROLE_SERVER, "wrote a response");
	cr_expect_eq(conn_role__from_chunk(AR_DIR_INGRESS, (const uint8_t *)resp, sizeof(resp) - 1),
		     AR_ROLE_CLIENT, "read a response");
	/* a body chunk that merely contains a request line later on */
	cr_expect_eq(conn_role__from_chunk(AR_DIR_EGRESS, (const uint8_t *)"{}\nGET / HTTP/1.1\r\n", 19),
		     AR_ROLE_UNKNOWN);
	cr_expect_eq(conn_role__from_chunk(AR_DIR_EGRESS, (const uint8_t *)"POST", 4), AR_ROLE_UNKNOWN,
		     "incomplete line");
	cr_expect_eq(conn_role__from_chunk(AR_DIR_EGRESS, (const uint8_t *)"\x16\x03\x01\x02\x00", 5),
		     AR_ROLE_UNKNOWN, "TLS record");
}

Test(conn_role, mid_stream_inferred_then_kept)
{
	struct conn_table *t = conn_table__new(NULL, &sink);
	const struct conn_meta *m;

	data(t, 1, 0, 0, "tail of a body");
	m = conn_table__lookup(t, 1);
	cr_assert_not_null(m);
	cr_expect_eq(m->role, AR_ROLE_UNKNOWN);
	cr_expect_eq(m->role_src, ROLE_SRC_NONE);
	data(t, 1, 0, 14, "GET / HTTP/1.1\r\n\r\n");
	cr_expect_eq(m->role, AR_ROLE_CLIENT);
	cr_expect_eq(m->role_src, ROLE_SRC_REQUEST_LINE);
	cr_expect_str_eq(conn_role__src_name(m->role_src), "request-line");
	conn_table__free(t);
}
