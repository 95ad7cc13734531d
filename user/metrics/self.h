/* SPDX-License-Identifier: MIT */
/* Self-metrics: parses the stats lines ("stage: key=value ...") into
 * observed agentrace.<stage>.<key> series. At most 256 distinct counters. */
#ifndef AR_METRICS_SELF_H
#define AR_METRICS_SELF_H

#include "metrics/store.h"

struct self_metrics;

struct self_metrics *self_metrics__new(void);
void self_metrics__free(struct self_metrics *sm);
void self_metrics__observe(struct self_metrics *sm, struct mstore *st, const char *text);

#endif
