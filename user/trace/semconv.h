/* SPDX-License-Identifier: MIT */
/*
 * Attribute names of the HTTP server span (OpenTelemetry HTTP semantic
 * conventions, stable) and of agentrace's own trace-assembly attributes.
 * Any stage may include this; no other file spells these strings.
 */
#ifndef AR_TRACE_SEMCONV_H
#define AR_TRACE_SEMCONV_H

/* HTTP server span (semconv http-spans.md "HTTP server") */
#define TS_HTTP_REQUEST_METHOD        "http.request.method"
#define TS_HTTP_REQUEST_METHOD_ORIG   "http.request.method_original"
#define TS_HTTP_RESPONSE_STATUS_CODE  "http.response.status_code"
#define TS_URL_PATH                   "url.path"
#define TS_URL_QUERY                  "url.query"
#define TS_URL_SCHEME                 "url.scheme"
#define TS_SERVER_ADDRESS             "server.address"
#define TS_SERVER_PORT                "server.port"
#define TS_CLIENT_ADDRESS             "client.address"
#define TS_CLIENT_PORT                "client.port"
#define TS_NETWORK_PROTOCOL_VERSION   "network.protocol.version"
#define TS_USER_AGENT_ORIGINAL        "user_agent.original"
#define TS_ERROR_TYPE                 "error.type"

/*
 * agentrace.parent.source: which rule of trace/parent.c decided a span's
 * parent (docs/architecture.md, "How a trace is assembled"). One value
 * per rule, in priority order.
 */
#define TS_PARENT_SOURCE              "agentrace.parent.source"
#define TS_PARENT_OBSERVED            "traceparent" /* header on the request */
#define TS_PARENT_SERVER              "server"      /* enclosing inbound request, same thread */
#define TS_PARENT_PEER                "peer"        /* the traced caller's CLIENT span, same host */
#define TS_PARENT_INJECTED            "injected"    /* ids agentrace put on the wire */
#define TS_PARENT_NONE                "none"        /* root of a new trace */

/* agentrace.incomplete: why a span lacks data we would have read. */
#define TS_INCOMPLETE                 "agentrace.incomplete"
#define TS_INCOMPLETE_BUDGET          "buffer_budget" /* a body evicted for the budget */

#endif
