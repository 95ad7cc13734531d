// SPDX-License-Identifier: MIT
/* stream_sink glue: conn_meta->user holds the connection's struct http1. */
#include <errno.h>
#include <stdlib.h>

#include "common/log.h"
#include "proto/http_tracker.h"

struct http_tracker {
	struct http_cfg cfg;
	struct http_stats st;
	http_exchange_fn fn;
	void *ctx;
	uint64_t nomem; /* connections we had no memory to track */
};

struct http_tracker *http_tracker__new(const struct http_cfg *cfg, http_exchange_fn fn,
				       void *ctx)
{
	struct http_tracker *t;

	if (!fn)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (cfg)
		t->cfg = *cfg;
	http_cfg__defaults(&t->cfg);
	t->fn = fn;
	t->ctx = ctx;
	return t;
}

void http_tracker__free(struct http_tracker *t)
{
	free(t);
}

/* Creates the connection state on first use (on_open may be missed for
 * connections already open when tracing started). NULL on -ENOMEM. */
static struct http1 *conn_state(struct http_tracker *t, struct conn_meta *c)
{
	if (!c->user) {
		c->user = http1__new(&t->cfg, &t->st, t->fn, t->ctx, c);
		if (!c->user && t->nomem++ == 0)
			warn("http: no memory for connection state, skipping its bytes");
	}
	return c->user;
}

static void sink_open(void *ctx, struct conn_meta *c)
{
	conn_state(ctx, c);
}

static void sink_data(void *ctx, struct conn_meta *c, int dir, const uint8_t *data,
		      size_t len, uint64_t ts, uint32_t tid)
{
	struct http_tracker *t = ctx;
	struct http1 *h = conn_state(t, c);

	if (!h) {
		t->st.non_http_bytes += len;
		return;
	}
	http1__feed(h, c, dir, data, len, ts, tid);
}

static void sink_gap(void *ctx, struct conn_meta *c, int dir, uint64_t missing)
{
	struct http1 *h = conn_state(ctx, c);

	if (h)
		http1__gap(h, c, dir, missing);
}

static void sink_close(void *ctx, struct conn_meta *c)
{
	struct http1 *h = c->user;

	(void)ctx;
	if (!h)
		return;
	http1__close(h, c);
	http1__free(h);
	c->user = NULL;
}

struct stream_sink http_tracker__sink(struct http_tracker *t)
{
	struct stream_sink s = {
		.ctx = t,
		.on_open = sink_open,
		.on_data = sink_data,
		.on_gap = sink_gap,
		.on_close = sink_close,
	};

	return s;
}

void http_tracker__stats(const struct http_tracker *t, struct http_stats *out)
{
	*out = t->st;
}
