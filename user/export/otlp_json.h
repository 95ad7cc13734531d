/* SPDX-License-Identifier: MIT */
/*
 * OTLP/JSON encoding of a batch of spans, per the OTLP spec's JSON mapping:
 * camelCase field names, trace and span ids as lowercase hex (not base64),
 * 64-bit integers as decimal strings, enums as integers. Used for the
 * http/json protocol and by the file exporter (one request per line).
 */
#ifndef AR_EXPORT_OTLP_JSON_H
#define AR_EXPORT_OTLP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "trace/span.h"

/*
 * Encodes spans[0..n) as one ExportTraceServiceRequest on a single line
 * (no newline), grouped into resources like otlp_pb__encode(). Returns a
 * malloc'd NUL-terminated string, or NULL on -ENOMEM.
 */
char *otlp_json__encode(struct span *const *spans, size_t n, const struct attr_list *resource);

/*
 * Reads an OTLP/JSON ExportTraceServiceResponse: partialSuccess
 * rejectedSpans (string or number) into *rejected and errorMessage into
 * msg. An empty body is a full success. Returns 0 or -EBADMSG (outputs
 * zeroed).
 */
int otlp_json__parse_response(const char *buf, size_t len, int64_t *rejected,
			      char *msg, size_t msgsz);

/* Same for any signal's response: key is partialSuccess's count member
 * ("rejectedDataPoints" for metrics, "rejectedLogRecords" for logs). */
int otlp_json__parse_partial(const char *buf, size_t len, const char *key, int64_t *rejected,
			     char *msg, size_t msgsz);

#endif
