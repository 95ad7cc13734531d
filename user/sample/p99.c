// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "sample/p99.h"
#include "tools/tool_key.h"

struct p99_tool {
	char key[TOOL_KEY_MAX];
	uint64_t hash;
	uint64_t last_use;
	uint32_t total;
	uint32_t c[P99_BUCKETS];
	bool used;
};

struct p99_table {
	struct p99_tool *v;   /* open addressing, 2 x max_tools slots */
	size_t slots, max, n;
	uint64_t clock, evicted;
};

struct p99_table *p99_table__new(size_t max_tools)
{
	struct p99_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max = max_tools ? max_tools : 1;
	t->slots = t->max * 2;
	t->v = calloc(t->slots, sizeof(*t->v));
	if (!t->v) {
		free(t);
		return NULL;
	}
	return t;
}

void p99_table__free(struct p99_table *t)
{
	if (!t)
		return;
	free(t->v);
	free(t);
}

/* Bucket of a duration: 4 per octave of microseconds. */
static int bucket_of(uint64_t ns)
{
	double us = (double)ns / 1000.0;
	int b;

	if (us <= 1)
		return 0;
	b = (int)(log2(us) * 4) + 1;
	return b >= P99_BUCKETS ? P99_BUCKETS - 1 : b;
}

/* Upper bound of bucket b in ns. */
static uint64_t bucket_top(int b)
{
	return b == 0 ? 1000 : (uint64_t)(exp2((double)b / 4) * 1000.0);
}

static struct p99_tool *find(struct p99_table *t, const char *key, uint64_t h)
{
	for (size_t i = 0; i < t->slots; i++) {
		struct p99_tool *e = &t->v[(h + i) % t->slots];

		if (!e->used)
			return NULL;
		if (e->hash == h && !strcmp(e->key, key))
			return e;
	}
	return NULL;
}

/* Re-inserts every entry (after an eviction left a hole in a probe run). */
static void rehash(struct p99_table *t, struct p99_tool *old)
{
	for (size_t i = 0; i < t->slots; i++) {
		struct p99_tool *e = &old[i];

		if (!e->used)
			continue;
		for (size_t j = 0;; j++) {
			struct p99_tool *d = &t->v[(e->hash + j) % t->slots];

			if (!d->used) {
				*d = *e;
				break;
			}
		}
	}
}

uint64_t p99_table__get(struct p99_table *t, const char *key, uint32_t min_samples,
			uint32_t *n)
{
	struct p99_tool *e = find(t, key, XXH3_64bits(key, strlen(key)));
	uint64_t want, seen = 0;

	*n = e ? e->total : 0;
	if (!e || e->total < min_samples || !e->total)
		return 0;
	e->last_use = ++t->clock;
	/* the smallest bucket holding the 99th percentile */
	want = ((uint64_t)e->total * 99 + 99) / 100;
	for (int b = 0; b < P99_BUCKETS; b++) {
		seen += e->c[b];
		if (seen >= want)
			return bucket_top(b);
	}
	return bucket_top(P99_BUCKETS - 1);
}

int p99_table__add(struct p99_table *t, const char *key, uint64_t ns)
{
	uint64_t h = XXH3_64bits(key, strlen(key));
	struct p99_tool *e = find(t, key, h);

	if (!e) {
		if (t->n == t->max) {
			/* replace the least recently seen tool */
			struct p99_tool *old = t->v, *lru = NULL;

			for (size_t i = 0; i < t->slots; i++)
				if (old[i].used && (!lru || old[i].last_use < lru->last_use))
					lru = &old[i];
			lru->used = false;
			t->evicted++;
			t->n--;
			t->v = calloc(t->slots, sizeof(*t->v));
			if (!t->v) {
				t->v = old;
				return -ENOMEM;
			}
			rehash(t, old);
			free(old);
		}
		for (size_t i = 0;; i++) {
			e = &t->v[(h + i) % t->slots];
			if (!e->used)
				break;
		}
		memset(e, 0, sizeof(*e));
		e->used = true;
		e->hash = h;
		strncpy(e->key, key, sizeof(e->key) - 1);
		t->n++;
	}
	e->last_use = ++t->clock;
	e->c[bucket_of(ns)]++;
	if (++e->total >= P99_HALF_AT) {
		e->total = 0;
		for (int b = 0; b < P99_BUCKETS; b++) {
			e->c[b] /= 2;
			e->total += e->c[b];
		}
	}
	return 0;
}

size_t p99_table__tools(const struct p99_table *t)
{
	return t->n;
}

uint64_t p99_table__evicted(const struct p99_table *t)
{
	return t->evicted;
}

size_t p99_table__bytes(const struct p99_table *t)
{
	return sizeof(*t) + t->slots * sizeof(*t->v);
}
