/* SPDX-License-Identifier: MIT */
/*
 * Prometheus text exposition (format 0.0.4) of agentrace's self-metrics,
 * rendered from the same "prefix: key=value ..." stats lines that go to
 * stderr, so /metrics and the stats line cannot disagree and a counter
 * another stage adds to its line is exported without changes here.
 * Naming: agentrace_<prefix>_<key>_total for counters (keys already carry
 * their unit, e.g. gap_bytes); drop_<reason>/dropped_<reason> keys become
 * agentrace_<prefix>_drops_total{reason="<reason>"}, or, when the key ends
 * in _bytes, agentrace_<prefix>_dropped_bytes_total; the few gauges are
 * listed in metrics.c and lose the _total.
 */
#ifndef AR_HEALTH_METRICS_H
#define AR_HEALTH_METRICS_H

#include <stddef.h>
#include <stdio.h>

struct metrics_lib {
	const char *name;   /* file base name, e.g. libssl.so.3 */
	unsigned long files;
};

struct metrics_extra {
	const char *version;            /* build info */
	const struct metrics_lib *libs; /* attached TLS files by library */
	size_t n_libs;
	long targets;                   /* targets map entries; -1: all processes */
};

/*
 * Writes the exposition of stats (lines as printed on stderr) and x to
 * out. Lines that are not "prefix: key=number ..." are skipped. Returns 0,
 * or -ENOMEM.
 */
int metrics__render(FILE *out, const char *stats, const struct metrics_extra *x);

#endif
