// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* malloc_usable_size */
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/small_alloc.h"

/* A freed block's first word links it to the next one of its size. */
struct cache {
	void *head[SMALL_ALLOC_CLASSES + 1]; /* by size / STEP; [0] unused */
	unsigned n[SMALL_ALLOC_CLASSES + 1];
	bool registered;     /* the exit flush is armed */
};

static __thread struct cache tc;
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void flush(void *arg)
{
	struct cache *c = arg;
	size_t k;

	for (k = 1; k <= SMALL_ALLOC_CLASSES; k++) {
		while (c->head[k]) {
			void *p = c->head[k];

			c->head[k] = *(void **)p;
			free(p);
		}
		c->n[k] = 0;
	}
	c->registered = false;
}

static void make_key(void)
{
	if (pthread_key_create(&exit_key, flush))
		exit_key = (pthread_key_t)-1;
}

void *small_alloc__malloc(size_t n)
{
	size_t k = (n + SMALL_ALLOC_STEP - 1) / SMALL_ALLOC_STEP;
	void *p;

	if (k == 0 || k > SMALL_ALLOC_CLASSES)
		return malloc(n);
	p = tc.head[k];
	if (!p)
		return malloc(k * SMALL_ALLOC_STEP);
	tc.head[k] = *(void **)p;
	tc.n[k]--;
	return p;
}

/* A block serves every request up to its usable size, whoever allocated
 * it: the size class comes from malloc's own header, rounded down. */
void small_alloc__free(void *p)
{
	size_t k;

	if (!p)
		return;
	k = malloc_usable_size(p) / SMALL_ALLOC_STEP;
	if (k == 0 || k > SMALL_ALLOC_CLASSES || tc.n[k] >= SMALL_ALLOC_KEEP) {
		free(p);
		return;
	}
	if (!tc.registered) {
		/* without the key (no thread-exit flush) a thread keeps
		 * nothing: its blocks would leak when it ends */
		pthread_once(&exit_once, make_key);
		if (exit_key == (pthread_key_t)-1 || pthread_setspecific(exit_key, &tc)) {
			free(p);
			return;
		}
		tc.registered = true;
	}
	*(void **)p = tc.head[k];
	tc.head[k] = p;
	tc.n[k]++;
}

char *small_alloc__strndup(const char *s, size_t n)
{
	char *d;

	n = strnlen(s, n);
	d = small_alloc__malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

size_t small_alloc__cached(void)
{
	size_t k, n = 0;

	for (k = 1; k <= SMALL_ALLOC_CLASSES; k++)
		n += tc.n[k];
	return n;
}

void small_alloc__install_jansson(void)
{
	json_set_alloc_funcs(small_alloc__malloc, small_alloc__free);
}
