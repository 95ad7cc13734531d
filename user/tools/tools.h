/* SPDX-License-Identifier: MIT */
/*
 * The tools stage: every HTTP exchange the gen_ai stage did not claim
 * becomes a span. An MCP call over the Streamable HTTP transport (a POST
 * carrying JSON-RPC 2.0 with an MCP method, or an Mcp-Method header)
 * becomes an MCP span after the OpenTelemetry MCP conventions; anything
 * else becomes a black-box HTTP client span with stable hashes of its
 * request and response bodies and of the response's JSON structure.
 * Not thread-safe: one struct tools per parser thread.
 */
#ifndef AR_TOOLS_TOOLS_H
#define AR_TOOLS_TOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/http_types.h"
#include "trace/span.h"

#define TOOLS_CONTENT_MAX 8192 /* cap of one captured argument/result */

struct tools_cfg {
	bool capture_content;  /* MCP tool arguments and results, prompt variables */
	/* Bodies longer than this get no hashes (a prefix hash would claim
	 * equality it cannot know); 0 = hash the whole captured body. */
	size_t max_hash_bytes;
};

struct tools_stats {
	uint64_t exchanges;        /* seen by tools__span_from_exchange */
	uint64_t no_request;       /* NULL exchange or no request line */
	uint64_t telemetry;        /* OTLP/HTTP exports: no span (see below) */
	uint64_t mcp_spans;
	uint64_t blackbox_spans;
	uint64_t grpc_spans;      /* gRPC calls over HTTP/2 (tools/grpc.c) */
	uint64_t server_spans;     /* of those, exchanges we answered (kind SERVER) */
	uint64_t json_errors;      /* MCP message that did not parse */
	uint64_t ids_dropped;      /* batch request ids over MCP_MAX_IDS: unmatched */
	uint64_t sse_errors;       /* SSE lines/events dropped or unterminated */
	uint64_t no_rpc_response;  /* MCP answer without the request's response */
	uint64_t http_errors;      /* status >= 400 */
	uint64_t incomplete;       /* no response, or it ended early */
	uint64_t hash_truncated;   /* body cut by the cap, a gap or decoding: no hash */
	uint64_t hash_too_big;     /* body over max_hash_bytes: no hash */
	uint64_t schema_hashes;    /* tool.schema.hash values set */
	uint64_t schema_not_json;  /* response body not JSON: no schema hash */
	uint64_t schema_too_big;   /* over the schema hash caps */
	uint64_t content_truncated;/* a captured argument/result was cut */
	uint64_t nomem;            /* span building ran out of memory */
};

struct tools;

/* Returns NULL on -ENOMEM. cfg may be NULL (defaults). */
struct tools *tools__new(const struct tools_cfg *cfg);
void tools__free(struct tools *t);

/* Returns a new span (caller owns it) for an exchange genai did not claim:
 * an MCP JSON-RPC call or a black-box tool call. NULL only on -ENOMEM,
 * for an exchange with no request, or for an OTLP/HTTP export (a POST to
 * .../v1/traces, /v1/metrics or /v1/logs: telemetry plumbing, and a span
 * for it would make every export of ours produce the next one when the
 * collector runs on a traced host); all counted. mono_to_real_ns is added
 * to the exchange's monotonic timestamps. Fills s->tid, s->conn_id and
 * s->proc.pid; the caller adds the rest of the identity and the trace. */
struct span *tools__span_from_exchange(struct tools *t, const struct http_exchange *x,
				       uint64_t mono_to_real_ns);

void tools__stats(const struct tools *t, struct tools_stats *out);

#endif
