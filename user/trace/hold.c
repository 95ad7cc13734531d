// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>

#include "trace/hold.h"

struct span_hold {
	struct span_hold_item *v;
	size_t cap, head, n;
};

struct span_hold *span_hold__new(size_t cap)
{
	struct span_hold *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->cap = cap ? cap : SPAN_HOLD_DEF_CAP;
	h->v = calloc(h->cap, sizeof(*h->v));
	if (!h->v) {
		free(h);
		return NULL;
	}
	return h;
}

void span_hold__free(struct span_hold *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		span__free(h->v[(h->head + i) % h->cap].span);
	free(h->v);
	free(h);
}

int span_hold__push(struct span_hold *h, const struct span_hold_item *it)
{
	if (h->n == h->cap)
		return -ENOSPC;
	h->v[(h->head + h->n) % h->cap] = *it;
	h->n++;
	return 0;
}

int span_hold__pop(struct span_hold *h, uint64_t now,
		   int (*ready)(void *ctx, const struct span_hold_item *it), void *ctx,
		   struct span_hold_item *out)
{
	struct span_hold_item *it;

	if (!h->n)
		return 0;
	it = &h->v[h->head];
	if (it->deadline > now && !(ready && ready(ctx, it)))
		return 0;
	*out = *it;
	h->head = (h->head + 1) % h->cap;
	h->n--;
	return 1;
}

size_t span_hold__len(const struct span_hold *h)
{
	return h->n;
}
