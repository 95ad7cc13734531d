// SPDX-License-Identifier: MIT
/*
 * Capped growable buffers charged to the daemon's budget, and the eviction
 * of the largest message bodies when that budget is hit (body_buf.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/budget.h"
#include "proto/body_buf.h"

#define BUF_MIN 1024

/* Evictable buffers of at least BODY_BUF_EVICT_MIN bytes, in no order.
 * At most budget / BODY_BUF_EVICT_MIN of them, so a victim search is a
 * short walk, and it only runs when the budget is hit. */
static struct body_buf *evict_head;

static bool listed(const struct body_buf *b)
{
	return b->ev_prev || evict_head == b;
}

static void unlist(struct body_buf *b)
{
	if (!listed(b))
		return;
	if (b->ev_prev)
		b->ev_prev->ev_next = b->ev_next;
	else
		evict_head = b->ev_next;
	if (b->ev_next)
		b->ev_next->ev_prev = b->ev_prev;
	b->ev_prev = b->ev_next = NULL;
}

static void list(struct body_buf *b)
{
	if (!b->evictable || b->size < BODY_BUF_EVICT_MIN || listed(b))
		return;
	b->ev_prev = NULL;
	b->ev_next = evict_head;
	if (evict_head)
		evict_head->ev_prev = b;
	evict_head = b;
}

static void release(struct body_buf *b)
{
	unlist(b);
	budget__give(b->size);
	free(b->p);
	b->p = NULL;
	b->size = b->len = 0;
}

/* Frees the largest listed buffer bigger than asker (never asker itself).
 * One that held content is marked evicted and truncated, so its message
 * takes nothing more and its span says incomplete; an idle one (len 0,
 * between messages) just gives its memory back. Returns false when no
 * buffer is bigger: the asker is then the one to cut. */
static bool evict_one(const struct body_buf *asker)
{
	struct body_buf *v = NULL;

	for (struct body_buf *b = evict_head; b; b = b->ev_next)
		if (b != asker && b->size > asker->size && (!v || b->size > v->size))
			v = b;
	if (!v)
		return false;
	budget__count_evicted(v->size);
	if (v->len)
		v->evicted = v->truncated = true;
	release(v);
	return true;
}

/* Resizes to sz bytes, charged to the daemon's budget first, evicting
 * larger bodies while it is over. Returns 0, or -ENOMEM with the buffer
 * unchanged. */
static int body_buf__resize(struct body_buf *b, size_t sz)
{
	uint8_t *p;

	while (!budget__take(sz - b->size))
		if (!evict_one(b))
			return -ENOMEM;
	p = realloc(b->p, sz);
	if (!p) {
		budget__give(sz - b->size);
		return -ENOMEM;
	}
	b->p = p;
	b->size = sz;
	list(b);
	return 0;
}

int body_buf__grow(struct body_buf *b, size_t need)
{
	size_t sz = b->size ? b->size : BUF_MIN;

	if (need <= b->size)
		return 0;
	if (b->evicted)
		return -ENOMEM;
	while (sz < need)
		sz = sz * 2;
	if (sz > b->cap + 1 && need <= b->cap + 1)
		sz = b->cap + 1;
	return body_buf__resize(b, sz);
}

int body_buf__reserve(struct body_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t sz = b->size ? b->size : BUF_MIN;

	if (need <= b->size)
		return 0;
	while (sz < need)
		sz *= 2;
	return body_buf__resize(b, sz);
}

int body_buf__append_slow(struct body_buf *b, const void *data, size_t n)
{
	size_t room = b->cap > b->len ? b->cap - b->len : 0;

	if (b->evicted)
		return 0;
	if (n > room) {
		b->truncated = true;
		n = room;
	}
	if (n == 0)
		return 0;
	if (body_buf__grow(b, b->len + n + 1)) {
		b->truncated = true;
		return -ENOMEM;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

void body_buf__reset(struct body_buf *b, size_t keep)
{
	if (b->size > keep)
		release(b);
	b->len = 0;
	b->truncated = b->evicted = false;
	if (b->p)
		b->p[0] = 0;
}

void body_buf__free(struct body_buf *b)
{
	release(b);
}
