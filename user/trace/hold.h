/* SPDX-License-Identifier: MIT */
/*
 * Spans waiting a moment for their parent to become known: a SERVER span
 * whose caller on this host has not been seen yet (the caller's SSL_write
 * return can reach the ring after the server already answered). A FIFO
 * with a fixed capacity and a deadline per span, in monotonic ns of the
 * capture clock; the head leaves when it is ready or its deadline passed.
 * Not thread-safe.
 */
#ifndef AR_TRACE_HOLD_H
#define AR_TRACE_HOLD_H

#include <stddef.h>
#include <stdint.h>

#include "trace/span.h"

#define SPAN_HOLD_DEF_CAP 4096
/* How long a span waits for its caller. */
#define SPAN_HOLD_WAIT_NS (200ull * 1000 * 1000)

struct span_hold_item {
	struct span *span;
	uint64_t conn_id;
	uint32_t req_index;
	uint64_t deadline;
};

struct span_hold;

/* cap 0 takes the default. NULL on -ENOMEM. */
struct span_hold *span_hold__new(size_t cap);
/* Frees the held spans too. */
void span_hold__free(struct span_hold *h);

/* Takes ownership of it->span. Returns 0, or -ENOSPC when full (the
 * caller keeps the span). */
int span_hold__push(struct span_hold *h, const struct span_hold_item *it);

/* Pops the head into *out if its deadline is at or before now or ready()
 * says its parent is known. Returns 1 when it popped, 0 otherwise. now
 * UINT64_MAX pops everything. */
int span_hold__pop(struct span_hold *h, uint64_t now,
		   int (*ready)(void *ctx, const struct span_hold_item *it), void *ctx,
		   struct span_hold_item *out);

size_t span_hold__len(const struct span_hold *h);

#endif
