/* SPDX-License-Identifier: MIT */
/*
 * Test helper: feeds a fixture's response body through the stream decoder
 * its provider uses (SSE, NDJSON, eventstream) whole, byte by byte and in
 * seeded random splits, and checks that every way gives the same
 * transcript of decoded events and the same drop counts.
 */
#ifndef AR_TEST_GENAI_SPLIT_H
#define AR_TEST_GENAI_SPLIT_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genai/eventstream.h"
#include "genai_fixture.h"
#include "proto/ndjson.h"
#include "proto/sse.h"

enum split_kind { SPLIT_SSE, SPLIT_NDJSON, SPLIT_EVENTSTREAM };

/* A transcript: every event's fields, length-prefixed so no separator
 * can be forged by the data. */
struct split_log {
	char *s;
	size_t len, cap;
};

static inline void split_put(struct split_log *l, const char *tag, const void *p, size_t n)
{
	char head[64];
	int hn = snprintf(head, sizeof(head), "%s%zu:", tag, n);

	while (l->len + hn + n + 1 > l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->s = realloc(l->s, l->cap);
		cr_assert_not_null(l->s);
	}
	memcpy(l->s + l->len, head, hn);
	l->len += hn;
	if (n)
		memcpy(l->s + l->len, p, n);
	l->len += n;
}

static inline int split_sse_cb(void *ctx, const struct sse_event *ev)
{
	split_put(ctx, "E", ev->event, ev->event_len);
	split_put(ctx, "D", ev->data, ev->data_len);
	split_put(ctx, "I", ev->id, ev->id_len);
	return 0;
}

static inline int split_ndjson_cb(void *ctx, const char *line, size_t n)
{
	split_put(ctx, "L", line, n);
	return 0;
}

static inline int split_es_cb(void *ctx, const struct eventstream_msg *m)
{
	split_put(ctx, "T", m->event_type, m->event_type_len);
	split_put(ctx, "M", m->message_type, m->message_type_len);
	split_put(ctx, "X", m->exception_type, m->exception_type_len);
	split_put(ctx, "P", m->payload, m->payload_len);
	return 0;
}

/* Chunk sizes: 0 = whole body, 1 = byte by byte, else seeded random
 * sizes in [1, 97]. Returns the transcript; *events and *drops get the
 * decoder's counts. */
static inline struct split_log split_run(enum split_kind k, const char *b, size_t n, int mode,
					 unsigned seed, uint64_t *events, uint64_t *drops)
{
	struct split_log l = { 0 };
	struct sse *sp = NULL;
	struct ndjson *np = NULL;
	struct eventstream *ep = NULL;
	size_t off = 0;

	if (k == SPLIT_SSE)
		sp = sse__new(n + 1, n + 1, split_sse_cb, &l);
	else if (k == SPLIT_NDJSON)
		np = ndjson__new(n + 1, split_ndjson_cb, &l);
	else
		ep = eventstream__new(n, split_es_cb, &l);
	cr_assert(sp || np || ep);
	srand(seed);
	while (off < n) {
		size_t take = mode == 0 ? n : mode == 1 ? 1 : 1 + (size_t)(rand() % 97);

		if (take > n - off)
			take = n - off;
		if (sp)
			cr_assert_eq(sse__feed(sp, b + off, take), 0);
		else if (np)
			cr_assert_eq(ndjson__feed(np, b + off, take), 0);
		else
			cr_assert_eq(eventstream__feed(ep, b + off, take), 0);
		off += take;
	}
	if (sp) {
		struct sse_stats st;

		sse__finish(sp);
		sse__stats(sp, &st);
		*events = st.events;
		*drops = st.dropped_lines + st.dropped_events + st.unterminated;
		sse__free(sp);
	} else if (np) {
		struct ndjson_stats st;

		ndjson__finish(np);
		ndjson__stats(np, &st);
		*events = st.lines;
		*drops = st.dropped_lines + st.unterminated;
		ndjson__free(np);
	} else {
		struct eventstream_stats st;

		eventstream__finish(ep);
		eventstream__stats(ep, &st);
		*events = st.messages;
		*drops = eventstream__errors(&st);
		eventstream__free(ep);
	}
	return l;
}

/* Whole, byte by byte and 16 random splittings agree; returns the number
 * of events (so a caller can check it is not trivially zero). */
static inline uint64_t split_check(enum split_kind k, const char *cas)
{
	struct split_log whole, other;
	uint64_t ev0, dr0, ev, dr;
	struct fx f;
	int i;

	fx_load(&f, cas);
	whole = split_run(k, f.resp, f.resp_len, 0, 0, &ev0, &dr0);
	for (i = 0; i < 18; i++) {
		other = split_run(k, f.resp, f.resp_len, i == 0 ? 1 : 2, 1000 + i, &ev, &dr);
		cr_assert_eq(ev, ev0, "%s: split %d: %llu events, whole gave %llu", cas, i,
			     (unsigned long long)ev, (unsigned long long)ev0);
		cr_assert_eq(dr, dr0, "%s: split %d: drops differ", cas, i);
		cr_assert_eq(other.len, whole.len, "%s: split %d: transcript length", cas, i);
		cr_assert(memcmp(other.s, whole.s, whole.len) == 0, "%s: split %d: transcript", cas, i);
		free(other.s);
	}
	free(whole.s);
	fx_free(&f);
	return ev0;
}

#endif
