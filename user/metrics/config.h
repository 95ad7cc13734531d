/* SPDX-License-Identifier: MIT */
/*
 * Metrics exporter configuration: the traces exporter's settings (same
 * OTEL_* transport variables, TLS, headers, retry, resource) with the
 * metrics-specific variables on top:
 *   OTEL_METRICS_EXPORTER                 otlp | console | none (default:
 *                                         follows the traces exporter)
 *   OTEL_EXPORTER_OTLP_METRICS_ENDPOINT   full URL; else the base endpoint
 *                                         + /v1/metrics
 *   OTEL_EXPORTER_OTLP_METRICS_PROTOCOL   http/protobuf | http/json
 *   OTEL_EXPORTER_OTLP_METRICS_HEADERS
 *   OTEL_METRIC_EXPORT_INTERVAL           ms, default 60000
 *   OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE
 *                                         cumulative (default) | delta |
 *                                         lowmemory (= delta here: every
 *                                         instrument is a counter or a
 *                                         histogram)
 */
#ifndef AR_METRICS_CONFIG_H
#define AR_METRICS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "export/config.h"

#define METRICS_DEFAULT_ENDPOINT "http://localhost:4318/v1/metrics"

struct metrics_config {
	struct export_config http;  /* kind, endpoint (the metrics URL), protocol, ... */
	int interval_ms;
	bool delta;
	size_t max_series;          /* cardinality cap of the store */
};

/*
 * Fills cfg from the traces configuration tr and the variables get reads.
 * Returns 0, -EINVAL for an unsupported OTEL_METRICS_EXPORTER (after a
 * warn()), or -ENOMEM. Release cfg with metrics_config__release() either way.
 */
int metrics_config__from(struct metrics_config *cfg, const struct export_config *tr,
			 export_getenv_fn get, void *ctx);
void metrics_config__release(struct metrics_config *cfg);

/* base + "/v1/metrics", or the traces URL with /v1/traces replaced;
 * malloc'd, NULL on -ENOMEM. */
char *metrics_config__url_from_traces(const char *traces_url);

#endif
