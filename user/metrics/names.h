/* SPDX-License-Identifier: MIT */
/*
 * Every metric agentrace exports, in one place: names, units and the
 * explicit bucket boundaries the semantic conventions recommend.
 */
#ifndef AR_METRICS_NAMES_H
#define AR_METRICS_NAMES_H

/* gen_ai client metrics (semconv gen-ai-metrics) */
#define MN_GEN_AI_TOKEN_USAGE        "gen_ai.client.token.usage"
#define MN_GEN_AI_DURATION           "gen_ai.client.operation.duration"
#define MN_GEN_AI_TTFC               "gen_ai.client.operation.time_to_first_chunk"
#define MA_GEN_AI_TOKEN_TYPE         "gen_ai.token.type"
/* MCP (semconv mcp) */
#define MN_MCP_CLIENT_DURATION       "mcp.client.operation.duration"
#define MN_MCP_SERVER_DURATION       "mcp.server.operation.duration"
/* Ours: black-box tools (HTTP calls no provider claims), by host + path
 * template, and tool contract drift. */
#define MN_TOOL_DURATION             "agentrace.tool.duration"
#define MN_TOOL_DRIFT                "agentrace.tool.schema.drift"
#define MA_TOOL_KEY                  "agentrace.tool.key"
/* Self-metrics: "agentrace.<stage>.<counter>" from the stats lines. */
#define MN_SELF_PREFIX               "agentrace."
/* The cardinality-limit series, per the metrics SDK spec. */
#define MA_OVERFLOW                  "otel.metric.overflow"

/* Recommended boundaries: gen_ai.client.token.usage ({token}). */
#define MB_TOKENS { 1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, \
		    4194304, 16777216, 67108864 }
/* gen_ai.client.operation.duration and time_to_first_chunk (s). */
#define MB_GEN_AI_SECONDS { 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, \
			    10.24, 20.48, 40.96, 81.92 }
/* mcp.{client,server}.operation.duration (s). */
#define MB_MCP_SECONDS { 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300 }
/* http.client.request.duration's boundaries, for black-box tools (s). */
#define MB_HTTP_SECONDS { 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, \
			  7.5, 10 }

#endif
