/* SPDX-License-Identifier: MIT */
/* What the tools stage's files share: the stage's state and the span
 * pieces every tools span has. Not part of the stage's API. */
#ifndef AR_TOOLS_INTERNAL_H
#define AR_TOOLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "tools/tools.h"

struct tools {
	struct tools_cfg cfg;
	struct tools_stats st;
};

/* A span with the exchange's times, thread, connection and pid, kind
 * SERVER when we answered the exchange (a socket we accepted), else
 * CLIENT. NULL on -ENOMEM. */
struct span *tools_span__new(const struct http_exchange *x, const char *name,
			     uint64_t mono_to_real_ns);

/* server.address, server.port and http.response.status_code.
 * Returns 0 or -ENOMEM. */
int tools_span__net(struct span *s, const struct http_exchange *x);
/* The same from server parts already worked out (url__server_of). */
struct url_server;
int tools_span__net_of(struct span *s, const struct http_exchange *x,
		       const struct url_server *sv);

/* error.type and status ERROR. Returns 0 or -ENOMEM. */
int tools_span__error(struct span *s, const char *type);

/* The body was cut by us (capture gap, cap, undecodable encoding), so it
 * says nothing about the call's success and cannot be hashed. */
bool tools__resp_cut(const struct http_exchange *x);
bool tools__req_cut(const struct http_exchange *x);

/* Sets key to a 16-hex-digit XXH3 of buf[0..n) unless n is 0 or over
 * max_hash_bytes (counted). Returns 0 or -ENOMEM. */
int tools__set_hash(struct tools *t, struct span *s, const char *key, const void *buf, size_t n);

/* Sets key to s[0..n) cut at TOOLS_CONTENT_MAX on a UTF-8 boundary
 * (counted). Returns 0 or -ENOMEM. */
int tools__set_content(struct tools *t, struct span *s, const char *key, const char *v,
		       size_t n);

/* The kinds of spans; each returns NULL only on -ENOMEM. */
struct span *tools_blackbox__span(struct tools *t, const struct http_exchange *x,
				  uint64_t mono_to_real_ns);
/* gRPC (tools/grpc.c): is x a gRPC call, and its RPC span. */
bool tools_grpc__is(const struct http_exchange *x);
struct span *tools_grpc__span(struct tools *t, const struct http_exchange *x,
			      uint64_t mono_to_real_ns);

#endif
