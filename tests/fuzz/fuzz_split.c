// SPDX-License-Identifier: MIT
/*
 * Differential libFuzzer harness for the incremental SSE and NDJSON
 * readers: the body (after a 2-byte seed) fed whole and fed in arbitrary
 * pieces (sizes drawn from the seed) must give the same events and the
 * same drop counts. Any difference aborts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ndjson.h"
#include "proto/sse.h"

struct log {
	char *s;
	size_t n, cap;
};

/* Appends tag, length and bytes (a raw length: snprintf here was a tenth
 * of the harness's time). */
static void put(struct log *l, char tag, const char *p, size_t n)
{
	size_t hn = 1 + sizeof(n);

	if (l->n + hn + n > l->cap) {
		l->cap = (l->n + hn + n) * 2 + 64;
		l->s = realloc(l->s, l->cap);
		if (!l->s)
			abort();
	}
	l->s[l->n] = tag;
	memcpy(l->s + l->n + 1, &n, sizeof(n));
	l->n += hn;
	memcpy(l->s + l->n, p, n);
	l->n += n;
}

static int on_event(void *ctx, const struct sse_event *ev)
{
	put(ctx, 'E', ev->event, ev->event_len);
	put(ctx, 'D', ev->data, ev->data_len);
	put(ctx, 'I', ev->id, ev->id_len);
	return 0;
}

static int on_line(void *ctx, const char *line, size_t n)
{
	put(ctx, 'L', line, n);
	return 0;
}

/* Piece sizes: 1 + (seed-driven) up to 64 bytes, or everything at once. */
static void run(const char *d, size_t n, unsigned seed, bool split, struct log *sl,
		struct log *nl)
{
	struct sse *s = sse__new(512, 4096, on_event, sl);
	struct ndjson *j = ndjson__new(512, on_line, nl);
	struct sse_stats ss;
	struct ndjson_stats ns;
	char st[128];

	if (!s || !j)
		abort();
	for (size_t off = 0; off < n;) {
		size_t k = n - off;

		if (split) {
			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % 64;
			if (k > n - off)
				k = n - off;
		}
		sse__feed(s, d + off, k);
		ndjson__feed(j, d + off, k);
		off += k;
	}
	sse__finish(s);
	ndjson__finish(j);
	sse__stats(s, &ss);
	ndjson__stats(j, &ns);
	snprintf(st, sizeof(st), "%llu/%llu/%llu", (unsigned long long)ss.dropped_lines,
		 (unsigned long long)ss.dropped_events, (unsigned long long)ss.unterminated);
	put(sl, 'S', st, strlen(st));
	snprintf(st, sizeof(st), "%llu/%llu", (unsigned long long)ns.dropped_lines,
		 (unsigned long long)ns.unterminated);
	put(nl, 'S', st, strlen(st));
	sse__free(s);
	ndjson__free(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log a = { 0 }, b = { 0 }, c = { 0 }, e = { 0 };
	unsigned seed;

	if (size < 2)
		return 0;
	seed = data[0] | (unsigned)data[1] << 8;
	run((const char *)data + 2, size - 2, seed, false, &a, &c);
	run((const char *)data + 2, size - 2, seed, true, &b, &e);
	if (a.n != b.n || memcmp(a.s, b.s, a.n))
		abort(); /* SSE: split changed the events */
	if (c.n != e.n || memcmp(c.s, e.s, c.n))
		abort(); /* NDJSON: split changed the lines */
	free(a.s);
	free(b.s);
	free(c.s);
	free(e.s);
	return 0;
}
