/* SPDX-License-Identifier: MIT */
/*
 * The metrics stage: sees every span before sampling, aggregates it into
 * the store (see record.h), and exports the store every interval over
 * OTLP (HTTP /v1/metrics, protobuf or JSON, or gRPC MetricsService/Export)
 * from its own thread, with the traces exporter's transports, sender
 * (export/otlp_sender.h) and per-process resources. A batch is retried
 * through a collector outage until accepted, refused or shut down: the
 * store keeps aggregating meanwhile, so nothing queues up and no count is
 * lost. The console exporter prints a short summary at shutdown instead.
 */
#ifndef AR_METRICS_METRICS_H
#define AR_METRICS_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "metrics/config.h"
#include "trace/span.h"

struct metrics;

struct metrics_stats {
	uint64_t exports_ok;
	uint64_t exports_failed;    /* HTTP attempts that did not succeed */
	uint64_t points_exported;
	uint64_t points_dropped;    /* refused by the collector or unsent at shutdown */
	uint64_t points_rejected;   /* partial_success: accepted requests' rejected points */
	uint64_t series;
	uint64_t series_overflowed;
};

/* Starts the stage for a copy of cfg. Returns NULL after a warn() on
 * -ENOMEM or if the transport or thread cannot start. */
struct metrics *metrics__new(const struct metrics_config *cfg);

/* Records s (not consumed). Thread: the parsing thread. */
void metrics__span(struct metrics *m, const struct span *s);

/*
 * Self-metrics from the stats lines ("stage: key=value ..."): each counter
 * becomes agentrace.<stage>.<key>, a monotonic sum, except gauges (live,
 * queued). Lines without that shape are ignored.
 */
void metrics__observe_stats(struct metrics *m, const char *text);

/* Starts the last export (due within deadline_ms from now) without
 * waiting, so it overlaps the traces exporter's flush. m may be NULL. */
void metrics__stop(struct metrics *m, int deadline_ms);

/* Stops (if metrics__stop() was not called), waits for the last export
 * (or prints the console summary to f) and frees. m may be NULL. Returns 0
 * or -ETIMEDOUT when points were dropped. */
int metrics__shutdown(struct metrics *m, int deadline_ms, FILE *f);

void metrics__stats(struct metrics *m, struct metrics_stats *out);

#endif
