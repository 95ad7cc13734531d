/* SPDX-License-Identifier: MIT */
/*
 * Every attribute and value name the tools stage emits that genai/semconv.h
 * does not already spell: the MCP conventions (semantic-conventions-genai
 * model/mcp: mcp.*, jsonrpc.request.id, rpc.response.status_code), the
 * HTTP client span conventions (http.*, url.*, network.*), and our own
 * tool.* hashes. No other file spells these strings.
 */
#ifndef AR_TOOLS_NAMES_H
#define AR_TOOLS_NAMES_H

/* MCP (development status in the conventions) */
#define TN_MCP_METHOD_NAME            "mcp.method.name"
#define TN_MCP_SESSION_ID             "mcp.session.id"
#define TN_MCP_PROTOCOL_VERSION       "mcp.protocol.version"
#define TN_MCP_RESOURCE_URI           "mcp.resource.uri"
#define TN_JSONRPC_REQUEST_ID         "jsonrpc.request.id"
#define TN_JSONRPC_PROTOCOL_VERSION   "jsonrpc.protocol.version"
#define TN_RPC_RESPONSE_STATUS_CODE   "rpc.response.status_code"
#define TN_GEN_AI_PROMPT_NAME         "gen_ai.prompt.name"
#define TN_GEN_AI_PROMPT_VARIABLE     "gen_ai.prompt.variable." /* + argument name */
#define TN_GEN_AI_TOOL_CALL_RESULT    "gen_ai.tool.call.result"
/* Ours: how many JSON-RPC messages a batch POST carried (absent for one). */
#define TN_MCP_BATCH_SIZE             "mcp.batch.size"

/* RPC spans for gRPC over HTTP/2 (OpenTelemetry RPC conventions) */
#define TN_RPC_SYSTEM                 "rpc.system"
#define TN_RPC_SERVICE                "rpc.service"
#define TN_RPC_METHOD                 "rpc.method"
#define TN_RPC_GRPC_STATUS_CODE       "rpc.grpc.status_code"
#define TN_RPC_SYSTEM_GRPC            "grpc"
/* error.type when a gRPC response ended without grpc-status */
#define TN_ERR_NO_GRPC_STATUS         "no_grpc_status"

/* HTTP client spans (stable) */
#define TN_HTTP_REQUEST_METHOD        "http.request.method"
#define TN_HTTP_REQUEST_METHOD_ORIG   "http.request.method_original"
#define TN_URL_FULL                   "url.full"
#define TN_NETWORK_TRANSPORT          "network.transport"
#define TN_NETWORK_PROTOCOL_NAME      "network.protocol.name"

/* Ours: stable payload and structure hashes (16 lowercase hex digits). */
#define TN_TOOL_INPUT_HASH            "tool.input.hash"
#define TN_TOOL_OUTPUT_HASH           "tool.output.hash"
#define TN_TOOL_SCHEMA_HASH           "tool.schema.hash"

/* values */
#define TN_OP_EXECUTE_TOOL            "execute_tool"
#define TN_TRANSPORT_TCP              "tcp"
#define TN_PROTOCOL_HTTP              "http"
#define TN_METHOD_OTHER               "_OTHER"
#define TN_SPAN_NAME_OTHER            "HTTP" /* span name for an _OTHER method */
#define TN_REDACTED                   "REDACTED"
/* error.type when a tools/call result says isError: true */
#define TN_ERR_TOOL_ERROR             "tool_error"
/* error.type when an MCP answer ended without the request's response */
#define TN_ERR_NO_RPC_RESPONSE        "no_rpc_response"

#endif
