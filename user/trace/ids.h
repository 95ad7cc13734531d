/* SPDX-License-Identifier: MIT */
/*
 * Random trace and span ids. Bytes come in 4 KiB batches, each expanded
 * from a fresh getrandom(2) seed, so a span costs a memcpy, not a
 * syscall. One generator per
 * thread: it is not thread-safe.
 */
#ifndef AR_TRACE_IDS_H
#define AR_TRACE_IDS_H

#include <stdint.h>

/* W3C trace-flags bits. RANDOM is Trace Context Level 2's "random
 * trace-id" flag: the trace-id's right-most 7 bytes are random. */
#define TRACE_FLAG_SAMPLED 0x01
#define TRACE_FLAG_RANDOM 0x02

struct ids;

/* Returns a generator with an empty pool, or NULL on -ENOMEM. */
struct ids *ids__new(void);
void ids__free(struct ids *g);

/* Fill out with a random, never all-zero id. Return 0, or -errno from
 * getrandom(2) (out is then untouched). */
int ids__trace_id(struct ids *g, uint8_t out[16]);
int ids__span_id(struct ids *g, uint8_t out[8]);

#endif
