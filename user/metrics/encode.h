/* SPDX-License-Identifier: MIT */
/*
 * OTLP encodings of a metrics batch (an ExportMetricsServiceRequest, the
 * body of POST /v1/metrics): protobuf and JSON. Points are grouped into one
 * ResourceMetrics per traced process (the same resource its spans get, see
 * otlp_resource.h) with one ScopeMetrics "agentrace", then into one Metric
 * per instrument. Sums are monotonic; temporality is per batch.
 */
#ifndef AR_METRICS_ENCODE_H
#define AR_METRICS_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/store.h"

/* Returns 0 with a malloc'd *out of *len bytes, or -ENOMEM. */
int metrics_pb__encode(const struct mbatch *b, bool delta, const struct attr_list *resource,
		       uint8_t **out, size_t *len);

/* Returns a malloc'd NUL-terminated line, or NULL on -ENOMEM. */
char *metrics_json__encode(const struct mbatch *b, bool delta, const struct attr_list *resource);

/* Sorts points by resource then instrument, the order both encoders
 * group by. Returns a malloc'd array of pointers into b, or NULL. */
const struct mpoint **metrics_encode__order(const struct mbatch *b);

/* True when a and b belong to the same ResourceMetrics. */
bool metrics_encode__same_resource(const struct mpoint *a, const struct mpoint *b);

#endif
