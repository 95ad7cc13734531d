/* SPDX-License-Identifier: MIT */
/*
 * Online per-tool p99 of recent durations, in bounded memory.
 *
 * Each tool has a log-bucketed histogram (4 buckets per power of two, 1 us
 * to ~4.7 h, so an estimate is within 19% of the true quantile) whose
 * counts are halved whenever they pass P99_HALF_AT, which weights recent
 * calls and forgets old behaviour. At most max_tools tools are tracked;
 * a new tool past the cap replaces the least recently seen one (counted).
 */
#ifndef AR_SAMPLE_P99_H
#define AR_SAMPLE_P99_H

#include <stddef.h>
#include <stdint.h>

#define P99_BUCKETS 136
#define P99_HALF_AT 2048

struct p99_table;

struct p99_table *p99_table__new(size_t max_tools);
void p99_table__free(struct p99_table *t);

/* The current p99 of key in ns, or 0 when fewer than min_samples
 * durations were seen. *n gets the (decayed) sample count. */
uint64_t p99_table__get(struct p99_table *t, const char *key, uint32_t min_samples,
			uint32_t *n);

/* Adds one duration. Returns 0, or -ENOMEM (nothing learned). */
int p99_table__add(struct p99_table *t, const char *key, uint64_t ns);

size_t p99_table__tools(const struct p99_table *t);
uint64_t p99_table__evicted(const struct p99_table *t);
/* Bytes held, for the bench and the memory bound test. */
size_t p99_table__bytes(const struct p99_table *t);

#endif
