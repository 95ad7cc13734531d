/* SPDX-License-Identifier: MIT */
/* Which stats-line values are levels (a gauge: what is held or live now)
 * rather than counts since start (a monotonic sum). One list for both
 * exporters of the stats lines: the OTLP self-metrics (metrics/self.c)
 * and the Prometheus page (health/metrics.c). */
#ifndef AR_METRICS_LEVELS_H
#define AR_METRICS_LEVELS_H

#include <stdbool.h>

/* stage and key as printed: "conns" and "live" for "conns: live=3". */
bool stats_level__is(const char *stage, const char *key);

#endif
