/* SPDX-License-Identifier: MIT */
/*
 * The HTTP stage as a stream_sink: keeps one http1 state per connection in
 * conn_meta->user and hands every request/response pair to a callback.
 */
#ifndef AR_PROTO_HTTP_TRACKER_H
#define AR_PROTO_HTTP_TRACKER_H

#include "conn/stream.h"
#include "proto/http1.h"

struct http_tracker;

/* cfg NULL (or zero fields) picks the defaults. fn must not be NULL.
 * Returns NULL on -ENOMEM. */
struct http_tracker *http_tracker__new(const struct http_cfg *cfg, http_exchange_fn fn,
				       void *ctx);
/* Connections still open keep their state in conn_meta->user: close them
 * (the sink's on_close) before freeing the tracker. */
void http_tracker__free(struct http_tracker *t);

/* The sink to register with the connection table. */
struct stream_sink http_tracker__sink(struct http_tracker *t);

void http_tracker__stats(const struct http_tracker *t, struct http_stats *out);

#endif
