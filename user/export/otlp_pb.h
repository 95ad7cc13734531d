/* SPDX-License-Identifier: MIT */
/*
 * OTLP/protobuf encoding of a batch of spans (an ExportTraceServiceRequest,
 * the body of POST /v1/traces with Content-Type application/x-protobuf),
 * the matching decoder, and the reader of the collector's response.
 */
#ifndef AR_EXPORT_OTLP_PB_H
#define AR_EXPORT_OTLP_PB_H

#include <stddef.h>
#include <stdint.h>

#include "trace/span.h"

/*
 * Encodes spans[0..n) as one ExportTraceServiceRequest: a ResourceSpans per
 * traced process (see otlp_resource.h; resource may be NULL), each with one
 * ScopeSpans "agentrace". On success *out is a malloc'd buffer of *len
 * bytes the caller frees. Returns 0, or -ENOMEM with *out NULL.
 */
int otlp_pb__encode(struct span *const *spans, size_t n, const struct attr_list *resource,
		    uint8_t **out, size_t *len);

/*
 * Decodes an ExportTraceServiceRequest back to spans, each carrying its
 * Resource's process identity in ->proc (for tests and tools). On success
 * *spans is a malloc'd array of *n spans the caller frees with span__free()
 * and free(). Returns 0, -EBADMSG on malformed input, or -ENOMEM; on
 * failure nothing is returned.
 */
int otlp_pb__decode(const uint8_t *buf, size_t len, struct span ***spans, size_t *n);

/*
 * Reads an ExportTraceServiceResponse. *rejected gets partial_success
 * rejected_spans (0 if absent) and msg its error_message (truncated to
 * msgsz). An empty body is a valid full success. Returns 0 or -EBADMSG
 * (outputs zeroed).
 */
int otlp_pb__parse_response(const uint8_t *buf, size_t len, int64_t *rejected,
			    char *msg, size_t msgsz);

#endif
