/* SPDX-License-Identifier: MIT */
/*
 * Test helper for the causal-graph suite: replays a round-trip fixture
 * (tests/fixtures/graph/<case>.json, see gen_graph.py there) through the
 * real stages, HTTP parsing -> gen_ai (observed by the graph) or tools ->
 * graph placement -> the trace context (traceparent, then the graph's
 * parent, else a new trace) -> graph__after_context, each exchange on its own connection, fed whole or in
 * seeded random splits. Collects every span the exchanges and the graph
 * produce, and renders them as id-free text so two feeds can be compared.
 */
#ifndef AR_TEST_GRAPH_FIXTURE_H
#define AR_TEST_GRAPH_FIXTURE_H

#include <criterion/criterion.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn/stream.h"
#include "genai/genai.h"
#include "graph/graph.h"
#include "proto/http_tracker.h"
#include "tools/tools.h"
#include "trace/context.h"
#include "trace/span.h"

#define GX_MAX_SPANS 64

struct gx_run {
	struct genai *g;
	struct tools *tl;
	struct graph *gr;
	struct http_tracker *t;
	struct tracectx *tc;
	struct stream_sink sink;
	struct span *spans[GX_MAX_SPANS];
	size_t n;
	uint64_t rnd;
	bool capture;
};

static inline void gx_keep(struct gx_run *r, struct span *s)
{
	cr_assert_lt(r->n, GX_MAX_SPANS);
	r->spans[r->n++] = s;
}

static void gx_emit(void *ctx, struct span *s)
{
	gx_keep(ctx, s);
}

/* What span_path does, with a predictable stand-in for the trace context. */
static void gx_on_exchange(void *ctx, const struct http_exchange *x)
{
	struct gx_run *r = ctx;
	struct span *s = genai__span_from_exchange(r->g, x, 0);

	if (!s)
		s = tools__span_from_exchange(r->tl, x, 0);
	if (!s)
		return;
	s->proc.pid = x->conn->tgid;
	snprintf(s->proc.service_name, sizeof(s->proc.service_name), "weather-agent");
	graph__on_span(r->gr, s, x);
	cr_assert_eq(tracectx__apply(r->tc, s, &x->req), 0);
	graph__after_context(r->gr, s);
	gx_keep(r, s);
}

static inline uint64_t gx_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* Feeds one direction whole (seed 0) or in random pieces of 1..512 bytes. */
static inline void gx_feed(struct gx_run *r, struct conn_meta *c, int dir, const char *b,
			   size_t n, uint64_t ts)
{
	size_t off = 0;

	while (off < n) {
		size_t take = n - off;

		if (r->rnd) {
			uint64_t x = gx_rand(&r->rnd);
			size_t cap = (size_t)1 << ((x >> 8) % 10);

			take = 1 + (x >> 16) % cap;
			if (take > n - off)
				take = n - off;
		}
		c->last_tid = 4321;
		c->last_ts = ts;
		c->bytes[dir] += take;
		r->sink.on_data(r->sink.ctx, c, dir, (const uint8_t *)b + off, take, ts, 4321);
		off += take;
	}
}

static inline json_t *gx_load(const char *cas)
{
	const char *me = __FILE__;
	const char *slash = strrchr(me, '/');
	int dir = slash ? (int)(slash - me) : 0;
	char p[512];
	json_t *j;

	snprintf(p, sizeof(p), "%.*s%s../fixtures/graph/%s.json", dir, me, dir ? "/" : "", cas);
	j = json_load_file(p, 0, NULL);
	cr_assert_not_null(j, "bad fixture %s", p);
	return j;
}

/* Runs steps [0, upto) of fx (all when upto is 0); the graph stays open
 * for the caller (gx_finish ends it). tgid_of gives step i's process. */
static inline void gx_start(struct gx_run *r, json_t *fx, uint64_t seed, bool capture,
			    size_t upto, uint32_t idle_ms)
{
	struct genai_cfg gc = { .capture_content = capture };
	struct tools_cfg tc = { .capture_content = capture };
	struct graph_cfg grc = { .capture_content = capture, .idle_ms = idle_ms,
				 .emit = gx_emit, .emit_ctx = r };
	struct http_cfg hc = { 0 };

	json_t *steps = json_object_get(fx, "steps"), *st;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->rnd = seed ? seed * 0x9e3779b97f4a7c15ull + 1 : 0;
	r->gr = graph__new(&grc);
	gc.observe = graph__observe_llm;
	gc.observe_ctx = r->gr;
	r->tc = tracectx__new(NULL);
	r->g = genai__new(&gc);
	r->tl = tools__new(&tc);
	r->t = http_tracker__new(&hc, gx_on_exchange, r);
	cr_assert(r->gr && r->g && r->tl && r->t && r->tc);
	r->sink = http_tracker__sink(r->t);
	json_array_foreach(steps, i, st) {
		struct conn_meta c = { 0 };
		const char *q = json_string_value(json_object_get(st, "c2s"));
		const char *a = json_string_value(json_object_get(st, "s2c"));
		json_t *tg = json_object_get(st, "tgid");
		uint64_t t0 = (uint64_t)(i + 1) * 1000000000ull;

		if (upto && i >= upto)
			break;
		c.conn_id = i + 1;
		c.tgid = tg ? (uint32_t)json_integer_value(tg) : 100;
		c.fd = 5;
		c.role = AR_ROLE_CLIENT;
		c.is_tls = true;
		snprintf(c.comm, sizeof(c.comm), "agent");
		r->sink.on_open(r->sink.ctx, &c);
		gx_feed(r, &c, AR_DIR_EGRESS, q, strlen(q), t0);
		gx_feed(r, &c, AR_DIR_INGRESS, a, strlen(a), t0 + 500000000ull);
		r->sink.on_close(r->sink.ctx, &c);
	}
}

static inline void gx_finish(struct gx_run *r)
{
	http_tracker__free(r->t);
	graph__free(r->gr); /* ends open turns */
	genai__free(r->g);
	tools__free(r->tl);
	tracectx__free(r->tc);
	r->t = NULL;
	r->gr = NULL;
}

static inline void gx_release(struct gx_run *r)
{
	for (size_t i = 0; i < r->n; i++)
		span__free(r->spans[i]);
}

static inline const char *gx_str(const struct span *s, const char *k)
{
	const struct attr *a = span__get(s, k);

	return a && a->type == ATTR_STR ? a->s : NULL;
}

static inline const struct span *gx_find(const struct gx_run *r, const uint8_t *span_id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!memcmp(r->spans[i]->span_id, span_id, 8))
			return r->spans[i];
	return NULL;
}

/* The spans whose gen_ai.operation.name is op, in the order made. */
static inline size_t gx_op(const struct gx_run *r, const char *op, const struct span **out,
			   size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++) {
		const char *v = gx_str(r->spans[i], "gen_ai.operation.name");

		if (v && !strcmp(v, op) && n < max)
			out[n++] = r->spans[i];
	}
	return n;
}

/* Id-free text of everything: each span by name with its parent's name,
 * the graph attributes, and its links by target name and call id. */
static inline char *gx_render(const struct gx_run *r)
{
	static const char *keys[] = { "gen_ai.conversation.id", "agentrace.graph.input.hash",
				      "agentrace.graph.output.hash", "gen_ai.tool.call.id",
				      "agentrace.graph.tool.match", "agentrace.graph.drift",
				      "agentrace.graph.turn.end", "url.full" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < r->n; i++) {
		const struct span *s = r->spans[i], *p = gx_find(r, s->parent_span_id);

		fprintf(f, "%s <- %s [%" PRIu64 "..%" PRIu64 "] status=%d\n", s->name,
			p ? p->name : "-", s->start_ns, s->end_ns, s->status);
		for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++)
			if (gx_str(s, keys[k]))
				fprintf(f, "  %s=%s\n", keys[k], gx_str(s, keys[k]));
		for (size_t k = 0; k < s->n_links; k++) {
			const struct span *t = gx_find(r, s->links[k].span_id);
			const struct attr *a = attrs__get(&s->links[k].attrs, "gen_ai.tool.call.id");

			fprintf(f, "  link -> %s id=%s\n", t ? t->name : "?", a ? a->s : "-");
		}
	}
	fclose(f);
	return buf;
}

#endif
