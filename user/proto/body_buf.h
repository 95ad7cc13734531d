/* SPDX-License-Identifier: MIT */
/*
 * Growable byte buffers with a hard cap, charged to the daemon-wide budget
 * (common/budget.h) before they grow. Message bodies are evictable: when
 * the budget is hit, the largest evictable buffer (of at least
 * BODY_BUF_EVICT_MIN bytes, and larger than the one asking) is freed first,
 * counted (budget_evicted), and marked evicted, so its exchange's span says it is
 * incomplete; only when none is larger is the asking buffer cut. Header
 * buffers are never evicted (their owners hold offsets into them).
 * Not thread-safe beyond the budget itself: all evictable buffers live on
 * the pipeline thread.
 */
#ifndef AR_PROTO_BODY_BUF_H
#define AR_PROTO_BODY_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Buffers smaller than this are not worth evicting (and keeping them out
 * bounds the victim search to budget / BODY_BUF_EVICT_MIN entries). */
#define BODY_BUF_EVICT_MIN (64u << 10)

/* p[len] is always 0 once anything was allocated, so bodies can go to
 * JSON parsers directly. */
struct body_buf {
	uint8_t *p;
	size_t len;
	size_t size;    /* allocated bytes, >= len + 1 */
	size_t cap;     /* never hold more than cap bytes */
	bool truncated; /* bytes were refused because of cap (or -ENOMEM) */
	bool evictable; /* may be freed for another buffer (set by the owner) */
	bool evicted;   /* content dropped for the budget; appends ignored
			 * until reset */
	struct body_buf *ev_prev, *ev_next; /* evictable list (size >= MIN) */
};

/* body_buf__append when the bytes need a grow, a cut or nothing at all. */
int body_buf__append_slow(struct body_buf *b, const void *data, size_t n);

/* memcpy for the short pieces headers come in: two overlapping loads and
 * stores instead of a library call; longer ones go to memcpy. */
static inline void body_buf__copy(uint8_t *d, const uint8_t *s, size_t n)
{
	uint64_t a, b;
	uint32_t c, e;

	if (n >= 8 && n <= 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(&c, s, 4);
		memcpy(&e, s + n - 4, 4);
		memcpy(d, &c, 4);
		memcpy(d + n - 4, &e, 4);
	} else {
		memcpy(d, s, n);
	}
}

/* Appends up to cap - len bytes of data, growing geometrically. Refused
 * bytes set truncated. Returns 0, or -ENOMEM (truncated set, content kept);
 * an evicted buffer takes nothing and returns 0. Inline: most appends fit
 * the allocation (an evicted buffer has none), and this runs for every
 * header piece and body chunk. */
static inline int body_buf__append(struct body_buf *b, const void *data, size_t n)
{
	if (n == 0 || n >= b->size - b->len || b->len + n > b->cap)
		return body_buf__append_slow(b, data, n);
	body_buf__copy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}
/* Grows the allocation to at least need bytes (at most cap + 1 when need
 * fits in it). Returns 0, or -ENOMEM (buffer unchanged; always for an
 * evicted buffer). */
int body_buf__grow(struct body_buf *b, size_t need);
/* Makes room for extra more bytes (plus the NUL) without changing len,
 * ignoring cap. Returns 0 or -ENOMEM (buffer unchanged). */
int body_buf__reserve(struct body_buf *b, size_t extra);
/* Empties the buffer and clears truncated and evicted; memory is kept
 * unless it is larger than keep bytes, in which case it is freed. */
void body_buf__reset(struct body_buf *b, size_t keep);
void body_buf__free(struct body_buf *b);

#endif
