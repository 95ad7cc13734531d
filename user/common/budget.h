/* SPDX-License-Identifier: MIT */
/*
 * The daemon-wide budget for buffered bytes: HTTP headers and bodies
 * (body_buf) and out-of-order chunks held by the connection table. The
 * per-message caps alone allow 4 MiB x 32 slots x 2 directions x 16k
 * connections; this bounds the sum. A buffer asks before it allocates:
 * a refused growth leaves that buffer as it is and marks it truncated
 * (the span says body_truncated / incomplete), and is counted. Sized by
 * default for the DaemonSet's 256 MiB memory limit.
 *
 * Eviction policy (proto/body_buf.c): when a take is refused, the largest
 * message body bigger than the asker is freed first and counted
 * (evicted), its span marked incomplete; only when none is bigger is the
 * asking buffer cut (refused). Header buffers are never evicted: their
 * owners hold offsets into them.
 */
#ifndef AR_COMMON_BUDGET_H
#define AR_COMMON_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUDGET_DEFAULT_BYTES (128u << 20)

struct budget_stats {
	uint64_t used;     /* bytes charged now */
	uint64_t peak;     /* most ever charged */
	uint64_t max;      /* the budget; 0 = unlimited */
	uint64_t refused;  /* growths refused */
	uint64_t refused_bytes;
	uint64_t evicted;  /* buffers freed for another one (proto/body_buf.h) */
	uint64_t evicted_bytes;
};

/* Sets the budget (0: unlimited). Process-wide; safe from any thread. */
void budget__set(size_t max);
/* Charges n bytes. Returns false (nothing charged, counted) when that
 * would pass the budget. */
bool budget__take(size_t n);
/* Counts a buffer of n bytes evicted to make room (then given back). */
void budget__count_evicted(size_t n);
/* Gives back n bytes charged earlier. */
void budget__give(size_t n);
void budget__stats(struct budget_stats *out);

#endif
