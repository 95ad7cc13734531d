/* SPDX-License-Identifier: MIT */
/*
 * Test helper for whole-stage wire transcripts (tests/fixtures/wire/<case>/:
 * c2s.bin, s2c.bin, wire.json; gen_wire.py there explains them). Drives a
 * transcript through the real stages, a fake struct conn_meta ->
 * http_tracker__sink() -> exchange callback -> genai__span_from_exchange(),
 * under a feed plan (each write whole, one byte at a time, or seeded random
 * splits with causally valid interleaving of the two directions), and
 * serialises what comes out (every exchange, every span with its attributes
 * sorted by key, the stage counters) into one string, so two plans can be
 * compared byte for byte.
 */
#ifndef AR_TEST_WIRE_FIXTURE_H
#define AR_TEST_WIRE_FIXTURE_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "slurp.h"
#include "conn/stream.h"
#include "genai/genai.h"
#include "proto/http_tracker.h"
#include "trace/span.h"

#define WF_MAX_SEGS 512
#define WF_MAX_SPANS 8
#define WF_TID 4321u

/* One write on the wire, or (gap > 0) bytes lost in dir. need: bytes of the
 * other direction that must be fed first. */
struct wf_seg {
	int dir;
	size_t off, len;
	uint64_t ts, gap;
	size_t need;
};

struct wf_case {
	const char *name;
	json_t *w;
	uint8_t *bin[2];
	size_t bin_len[2];
	struct wf_seg segs[WF_MAX_SEGS];
	size_t n_segs;
	struct conn_meta conn;
	struct http_cfg hc;
	struct genai_cfg gc;
};

/* A growing string; tests abort on -ENOMEM. */
struct wf_str {
	char *s;
	size_t len, cap;
};

static inline void wf_printf(struct wf_str *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		cr_assert_geq(n, 0);
		if (b->s && b->len + n < b->cap)
			break;
		b->cap = (b->cap + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		cr_assert_not_null(b->s);
	}
	b->len += n;
}

/* One run of a case through the stages. */
struct wf_run {
	struct genai *g;
	struct http_tracker *t;
	struct stream_sink sink;
	struct conn_meta conn;
	struct wf_str out;
	struct span *keep[WF_MAX_SPANS]; /* spans kept for checks (keep_spans) */
	size_t n_spans, n_exchanges;
	bool keep_spans;
};

/* tests/unit/.. + fixtures/wire, from this header's path. */
static inline void wf_path(char *out, size_t n, const char *cas, const char *file)
{
	const char *me = __FILE__;
	const char *slash = strrchr(me, '/');
	int dir = slash ? (int)(slash - me) : 0;

	snprintf(out, n, "%.*s%s../fixtures/wire%s%s%s%s", dir, me, dir ? "/" : "",
		 cas ? "/" : "", cas ? cas : "", file ? "/" : "", file ? file : "");
}

static inline void wf_load(struct wf_case *c, const char *name)
{
	json_t *w, *s, *cn, *hc;
	size_t i, off[2] = { 0, 0 };
	char p[512];
	const char *da;

	memset(c, 0, sizeof(*c));
	c->name = name;
	wf_path(p, sizeof(p), name, "wire.json");
	c->w = w = json_load_file(p, 0, NULL);
	cr_assert_not_null(w, "bad %s", p);
	wf_path(p, sizeof(p), name, "c2s.bin");
	c->bin[0] = (uint8_t *)test_slurp(p, &c->bin_len[0]);
	wf_path(p, sizeof(p), name, "s2c.bin");
	c->bin[1] = (uint8_t *)test_slurp(p, &c->bin_len[1]);

	json_array_foreach(json_object_get(w, "segments"), i, s) {
		struct wf_seg *g = &c->segs[i];

		cr_assert_lt(i, WF_MAX_SEGS);
		g->dir = json_integer_value(json_object_get(s, "dir"));
		g->gap = json_integer_value(json_object_get(s, "gap"));
		g->len = json_integer_value(json_object_get(s, "len"));
		g->ts = json_integer_value(json_object_get(s, "ts"));
		g->need = json_integer_value(json_object_get(s, "need"));
		g->off = off[g->dir];
		off[g->dir] += g->len;
		c->n_segs = i + 1;
	}
	cr_assert_eq(off[0], c->bin_len[0], "%s: c2s length", name);
	cr_assert_eq(off[1], c->bin_len[1], "%s: s2c length", name);

	cn = json_object_get(w, "conn");
	da = json_string_value(json_object_get(cn, "daddr"));
	c->conn.conn_id = json_integer_value(json_object_get(cn, "conn_id"));
	c->conn.tgid = json_integer_value(json_object_get(cn, "tgid"));
	c->conn.is_tls = json_is_true(json_object_get(cn, "is_tls"));
	c->conn.fd = 7;
	c->conn.role = AR_ROLE_CLIENT;
	c->conn.has_tuple = true;
	c->conn.tuple.family = strchr(da, ':') ? AF_INET6 : AF_INET;
	inet_pton(c->conn.tuple.family, da, c->conn.tuple.daddr);
	c->conn.tuple.dport = json_integer_value(json_object_get(cn, "dport"));
	snprintf(c->conn.comm, sizeof(c->conn.comm), "python3");
	if ((hc = json_object_get(w, "http_cfg")))
		c->hc.max_header_bytes = json_integer_value(json_object_get(hc, "max_header_bytes"));
	c->gc.capture_content = json_is_true(json_object_get(w, "capture"));
}

static inline void wf_free(struct wf_case *c)
{
	json_decref(c->w);
	free(c->bin[0]);
	free(c->bin[1]);
}

static int wf_attr_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct attr *const *)a)->key, (*(const struct attr *const *)b)->key);
}

static inline void wf_put_attrs(struct wf_str *b, const struct attr_list *l, const char *ind)
{
	const struct attr *sorted[256];
	size_t i, k;

	cr_assert_leq(l->n, 256u);
	for (i = 0; i < l->n; i++)
		sorted[i] = &l->v[i];
	qsort(sorted, l->n, sizeof(sorted[0]), wf_attr_cmp);
	for (i = 0; i < l->n; i++) {
		const struct attr *a = sorted[i];

		wf_printf(b, "%s%s = ", ind, a->key);
		switch (a->type) {
		case ATTR_STR:
			wf_printf(b, "str:%s\n", a->s);
			break;
		case ATTR_INT:
			wf_printf(b, "int:%" PRId64 "\n", a->i);
			break;
		case ATTR_DOUBLE:
			wf_printf(b, "double:%.17g\n", a->d);
			break;
		case ATTR_BOOL:
			wf_printf(b, "bool:%d\n", a->b);
			break;
		case ATTR_STR_ARRAY:
			wf_printf(b, "str[]:");
			for (k = 0; k < a->arr.n; k++)
				wf_printf(b, "%s%s", k ? "|" : "", a->arr.v[k]);
			wf_printf(b, "\n");
			break;
		}
	}
}

/* The canonical text of a span: everything the exporter would see except
 * ids, which later stages assign. */
static inline void wf_put_span(struct wf_str *b, const struct span *s)
{
	size_t e;

	wf_printf(b, "span %s kind=%d status=%d msg=%s start=%" PRIu64 " end=%" PRIu64
		  " tid=%u conn=%" PRIu64 " pid=%u\n",
		  s->name, s->kind, s->status, s->status_message ? s->status_message : "",
		  s->start_ns, s->end_ns, s->tid, s->conn_id, s->proc.pid);
	wf_put_attrs(b, &s->attrs, "  ");
	for (e = 0; e < s->n_events; e++) {
		wf_printf(b, "  event %s t=%" PRIu64 "\n", s->events[e].name, s->events[e].time_ns);
		wf_put_attrs(b, &s->events[e].attrs, "    ");
	}
}

static void wf_on_exchange(void *ctx, const struct http_exchange *x)
{
	struct wf_run *r = ctx;
	struct span *s;

	r->n_exchanges++;
	wf_printf(&r->out,
		  "exchange %s %s host=%s status=%d complete=%d gap=%d req=%zu%s resp=%zu%s%s"
		  " ct=%s ts=%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "\n",
		  x->method ? x->method : "-", x->target ? x->target : "-", x->host ? x->host : "-",
		  x->status, x->resp_complete, x->gap, x->req.body_len,
		  x->req.body_truncated ? "(cut)" : "", x->resp.body_len,
		  x->resp.body_truncated ? "(cut)" : "", x->resp.decode_failed ? "(undecoded)" : "",
		  x->resp.content_type ? x->resp.content_type : "-", x->req.ts_first,
		  x->resp.ts_first, x->resp.ts_first_body, x->resp.ts_last);
	s = genai__span_from_exchange(r->g, x, 0);
	if (!s)
		return;
	wf_put_span(&r->out, s);
	if (r->keep_spans && r->n_spans < WF_MAX_SPANS)
		r->keep[r->n_spans] = s;
	else
		span__free(s);
	r->n_spans++;
}

static inline void wf_run_init(struct wf_run *r, const struct wf_case *c, bool keep_spans)
{
	memset(r, 0, sizeof(*r));
	r->keep_spans = keep_spans;
	r->g = genai__new(&c->gc);
	cr_assert_not_null(r->g);
	r->t = http_tracker__new(&c->hc, wf_on_exchange, r);
	cr_assert_not_null(r->t);
	r->sink = http_tracker__sink(r->t);
	r->conn = c->conn;
	r->sink.on_open(r->sink.ctx, &r->conn);
}

/* What the connection table does before each on_data/on_gap. */
static inline void wf_feed(struct wf_run *r, const struct wf_case *c, const struct wf_seg *g,
			   size_t from, size_t len)
{
	if (g->gap) {
		r->conn.gaps[g->dir] += g->gap;
		r->sink.on_gap(r->sink.ctx, &r->conn, g->dir, g->gap);
		return;
	}
	r->conn.last_tid = WF_TID;
	if (g->ts > r->conn.last_ts)
		r->conn.last_ts = g->ts;
	r->conn.bytes[g->dir] += len;
	r->sink.on_data(r->sink.ctx, &r->conn, g->dir, c->bin[g->dir] + g->off + from, len, g->ts,
			WF_TID);
}

/* Closes the connection, appends the counters, frees the stages. */
static inline void wf_run_finish(struct wf_run *r, struct http_stats *hs, struct genai_stats *gs)
{
	struct http_stats h;
	struct genai_stats g;

	r->sink.on_close(r->sink.ctx, &r->conn);
	/* non_http_bytes is left out: after a header overflow it depends on
	 * where llhttp noticed the overflow, which depends on the cuts. */
	cr_assert_null(r->conn.user, "tracker kept connection state after on_close");
	http_tracker__stats(r->t, &h);
	genai__stats(r->g, &g);
	wf_printf(&r->out,
		  "http exchanges=%" PRIu64 " requests=%" PRIu64 " responses=%" PRIu64
		  " resyncs=%" PRIu64 " parse_errors=%" PRIu64 " header_overflows=%" PRIu64
		  " body_truncated=%" PRIu64 " decode_errors=%" PRIu64 " unpaired=%" PRIu64
		  " pipeline_overflows=%" PRIu64 "\n",
		  h.exchanges, h.requests, h.responses, h.resyncs, h.parse_errors,
		  h.header_overflows, h.body_truncated, h.decode_errors, h.unpaired_responses,
		  h.pipeline_overflows);
	wf_printf(&r->out,
		  "genai exchanges=%" PRIu64 " calls=%" PRIu64 " not_genai=%" PRIu64
		  " json_errors=%" PRIu64 " sse_errors=%" PRIu64 " http_errors=%" PRIu64
		  " incomplete=%" PRIu64 " truncated_bodies=%" PRIu64 " content_truncated=%" PRIu64
		  " dropped=%" PRIu64 " nomem=%" PRIu64 "\n",
		  g.exchanges, g.calls, g.not_genai, g.json_errors, g.sse_errors, g.http_errors,
		  g.incomplete, g.truncated_bodies, g.content_truncated, g.dropped, g.nomem);
	if (hs)
		*hs = h;
	if (gs)
		*gs = g;
	http_tracker__free(r->t);
	genai__free(r->g);
	r->t = NULL;
	r->g = NULL;
}

static inline void wf_run_release(struct wf_run *r)
{
	size_t i;

	for (i = 0; i < r->n_spans && i < WF_MAX_SPANS; i++)
		span__free(r->keep[i]);
	free(r->out.s);
}

/* Feed plans. Each returns the serialised output (caller frees). */

/* Every write in one call (bytewise: one byte per call), in order. */
static inline char *wf_run_ordered(const struct wf_case *c, bool bytewise)
{
	struct wf_run r;
	size_t i, k;

	wf_run_init(&r, c, false);
	for (i = 0; i < c->n_segs; i++) {
		const struct wf_seg *g = &c->segs[i];

		if (!bytewise || g->gap)
			wf_feed(&r, c, g, 0, g->len);
		else
			for (k = 0; k < g->len; k++)
				wf_feed(&r, c, g, k, 1);
	}
	wf_run_finish(&r, NULL, NULL);
	return r.out.s;
}

static inline uint64_t wf_rand(uint64_t *s)
{
	/* xorshift64*: seeded, so a failure names a reproducible seed */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* Random cut points inside every write, and the two directions
 * interleaved at random wherever causality allows: a write is only fed
 * once the other direction has delivered the bytes it needs. Cuts never
 * merge two writes (each carries its own timestamp). */
static inline char *wf_run_random(const struct wf_case *c, uint64_t seed)
{
	size_t next[2] = { 0, 0 }, pos[2] = { 0, 0 }, fed[2] = { 0, 0 };
	uint64_t st = seed * 0x9e3779b97f4a7c15ull + 1;
	struct wf_run r;

	wf_run_init(&r, c, false);
	for (;;) {
		const struct wf_seg *cand[2];
		int n = 0, d;

		for (d = 0; d < 2; d++) {
			while (next[d] < c->n_segs && c->segs[next[d]].dir != d)
				next[d]++;
			if (next[d] < c->n_segs && c->segs[next[d]].need <= fed[!d])
				cand[n++] = &c->segs[next[d]];
		}
		if (!n)
			break;
		{
			const struct wf_seg *g = cand[wf_rand(&st) % n];
			size_t left = g->len - pos[g->dir], take;

			d = g->dir;
			if (g->gap) {
				wf_feed(&r, c, g, 0, 0);
				take = left = 0;
			} else {
				uint64_t x = wf_rand(&st);

				size_t cap = (size_t)1 << ((x >> 8) % 10);

				/* log-uniform pieces of 1..512 bytes, sometimes the rest */
				if (cap > left)
					cap = left;
				take = (x & 7) == 0 ? left : 1 + (x >> 16) % cap;
				wf_feed(&r, c, g, pos[d], take);
			}
			pos[d] += take;
			fed[d] += take;
			if (pos[d] == g->len) {
				pos[d] = 0;
				next[d]++;
			}
		}
	}
	cr_assert(next[0] >= c->n_segs && next[1] >= c->n_segs,
		  "%s: transcript needs are not causally satisfiable", c->name);
	wf_run_finish(&r, NULL, NULL);
	return r.out.s;
}

#endif
