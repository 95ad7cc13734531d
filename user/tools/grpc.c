// SPDX-License-Identifier: MIT
/*
 * gRPC over HTTP/2 as an RPC CLIENT span (OpenTelemetry RPC conventions):
 * the request path /package.Service/Method names it; grpc-status (a
 * trailer, or a header in a trailers-only response) is the status. The
 * payloads are length-prefixed protobuf, so only their hashes are kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genai/semconv.h"
#include "tools/internal.h"
#include "tools/names.h"
#include "trace/span.h"

bool tools_grpc__is(const struct http_exchange *x)
{
	return !strncmp(x->req.content_type, "application/grpc", 16) && x->target[0] == '/' &&
	       strchr(x->target + 1, '/');
}

/* grpc-status from the response (trailers are appended to its headers),
 * or -1 when the call ended without one. */
static int grpc_status(const struct http_exchange *x)
{
	const struct header_view *h = http_message__header(&x->resp, "grpc-status", 0);
	int v = 0;

	if (!h || !h->value_len || h->value_len > 2)
		return -1;
	for (size_t i = 0; i < h->value_len; i++) {
		if (h->value[i] < '0' || h->value[i] > '9')
			return -1;
		v = v * 10 + (h->value[i] - '0');
	}
	return v;
}

struct span *tools_grpc__span(struct tools *t, const struct http_exchange *x,
			      uint64_t mono_to_real_ns)
{
	const char *svc = x->target + 1, *slash = strchr(svc, '/');
	char service[256], num[16];
	struct span *s;
	int st = grpc_status(x), err = 0;

	snprintf(service, sizeof(service), "%.*s", (int)(slash - svc), svc);
	s = tools_span__new(x, svc, mono_to_real_ns);
	if (!s)
		return NULL;
	err |= span__set_str(s, TN_RPC_SYSTEM, TN_RPC_SYSTEM_GRPC);
	err |= span__set_str(s, TN_RPC_SERVICE, service);
	err |= span__set_str(s, TN_RPC_METHOD, slash + 1);
	err |= tools_span__net(s, x);
	if (st >= 0)
		err |= span__set_int(s, TN_RPC_GRPC_STATUS_CODE, st);
	if (st > 0) {
		snprintf(num, sizeof(num), "%d", st);
		err |= tools_span__error(s, num);
	} else if (st < 0) {
		t->st.incomplete++;
		err |= tools_span__error(s, x->status ? TN_ERR_NO_GRPC_STATUS : SC_ERR_NO_RESPONSE);
	}
	if (!tools__req_cut(x))
		err |= tools__set_hash(t, s, TN_TOOL_INPUT_HASH, x->req.body, x->req.body_len);
	if (!tools__resp_cut(x))
		err |= tools__set_hash(t, s, TN_TOOL_OUTPUT_HASH, x->resp.body, x->resp.body_len);
	if (err) {
		span__free(s);
		return NULL;
	}
	return s;
}
