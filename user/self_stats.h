/* SPDX-License-Identifier: MIT */
/* Live mode's self-observation: the stats lines (kernel counters, then
 * each pipeline stage's) rendered once, then printed to stderr and/or
 * published as /metrics on the health endpoint, from the same text. */
#ifndef AR_SELF_STATS_H
#define AR_SELF_STATS_H

#include <stdio.h>

struct probes;
struct pipeline;
struct discover;
struct health;
struct ring_reader;

/* Renders the stats of whichever of p, ring, pipe and d are not NULL; prints
 * them to f if f is not NULL and publishes the Prometheus exposition to h
 * if h is not NULL. Failures to allocate skip this round (logged at debug). */
void self_stats__emit(struct probes *p, const struct ring_reader *ring, struct pipeline *pipe,
		      const struct discover *d, struct health *h, FILE *f);

#endif
