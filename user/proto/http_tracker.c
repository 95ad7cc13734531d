// SPDX-License-Identifier: MIT
/* stream_sink glue: conn_meta->user holds the connection's struct
 * http_conn, which picks HTTP/1.x or HTTP/2 from the first bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "proto/http2.h"
#include "proto/http_tracker.h"

struct http_tracker {
	struct http_cfg cfg;
	struct http_stats st;
	http_exchange_fn fn;
	void *ctx;
	uint64_t nomem; /* connections we had no memory to track */
};

/* One connection: undecided until its first bytes, then one parser. */
struct http_conn {
	struct http1 *h1;
	struct http2 *h2;
	uint8_t held[HTTP2_PREFACE_LEN]; /* a split preface, not yet decided */
	size_t held_len;
	int held_dir;
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

static void nomem(struct http_tracker *t)
{
	if (t->nomem++ == 0)
		warn("http: no memory for connection state, skipping its bytes");
}

/* Creates the connection state on first use (on_open may be missed for
 * connections already open when tracing started). NULL on -ENOMEM. */
static struct http_conn *conn_state(struct http_tracker *t, struct conn_meta *c)
{
	if (!c->user) {
		c->user = calloc(1, sizeof(struct http_conn));
		if (!c->user)
			nomem(t);
	}
	return c->user;
}

static void sink_open(void *ctx, struct conn_meta *c)
{
	conn_state(ctx, c);
}

/* HTTP/2 with requests in h2_dir, or HTTP/1.x when h2_dir < 0. */
static bool create(struct http_tracker *t, struct http_conn *hc, struct conn_meta *c, int h2_dir)
{
	if (h2_dir >= 0)
		hc->h2 = http2__new(&t->cfg, &t->st, t->fn, t->ctx, c, h2_dir);
	else
		hc->h1 = http1__new(&t->cfg, &t->st, t->fn, t->ctx, c);
	if (!hc->h1 && !hc->h2)
		nomem(t);
	return hc->h1 || hc->h2;
}

/* Picks the protocol from the first bytes of a direction: the HTTP/2
 * client preface, or else HTTP/1.x (which finds its own start lines). A
 * preface split across records is held until it is whole. Returns false
 * when nothing is to be fed now. */
static bool decide(struct http_tracker *t, struct http_conn *hc, struct conn_meta *c, int dir,
		   const uint8_t **data, size_t *len, uint64_t ts, uint32_t tid)
{
	int pre;

	if (hc->held_len && hc->held_dir == dir) {
		size_t take = sizeof(hc->held) - hc->held_len;

		take = take < *len ? take : *len;
		memcpy(hc->held + hc->held_len, *data, take);
		hc->held_len += take;
		*data += take;
		*len -= take;
		pre = http2__is_preface(hc->held, hc->held_len);
	} else {
		pre = http2__is_preface(*data, *len);
	}
	if (pre < 0) {
		if (!hc->held_len) {
			memcpy(hc->held, *data, *len);
			hc->held_len = *len;
			hc->held_dir = dir;
			*len = 0;
		}
		return false;
	}
	if (!create(t, hc, c, pre > 0 ? dir : -1))
		return false;
	if (hc->held_len) {
		if (hc->h2)
			http2__feed(hc->h2, c, hc->held_dir, hc->held, hc->held_len, ts, tid);
		else
			http1__feed(hc->h1, c, hc->held_dir, hc->held, hc->held_len, ts, tid);
		hc->held_len = 0;
	}
	return true;
}

static void sink_data(void *ctx, struct conn_meta *c, int dir, const uint8_t *data,
		      size_t len, uint64_t ts, uint32_t tid)
{
	struct http_tracker *t = ctx;
	struct http_conn *hc = conn_state(t, c);

	if (!hc) {
		t->st.non_http_bytes += len;
		return;
	}
	if (!hc->h1 && !hc->h2 && !decide(t, hc, c, dir, &data, &len, ts, tid))
		return;
	if (hc->h2)
		http2__feed(hc->h2, c, dir, data, len, ts, tid);
	else if (len)
		http1__feed(hc->h1, c, dir, data, len, ts, tid);
}

static void sink_gap(void *ctx, struct conn_meta *c, int dir, uint64_t missing)
{
	struct http_conn *hc = conn_state(ctx, c);

	if (!hc)
		return;
	if (!hc->h1 && !hc->h2) {
		/* lost bytes before we knew the protocol: HTTP/1.x resyncs,
		 * HTTP/2 could not anyway */
		hc->held_len = 0;
		if (!create(ctx, hc, c, -1))
			return;
	}
	if (hc->h2)
		http2__gap(hc->h2, c, dir, missing);
	else
		http1__gap(hc->h1, c, dir, missing);
}

static void sink_close(void *ctx, struct conn_meta *c)
{
	struct http_conn *hc = c->user;

	(void)ctx;
	if (!hc)
		return;
	if (hc->h1) {
		http1__close(hc->h1, c);
		http1__free(hc->h1);
	}
	if (hc->h2) {
		http2__close(hc->h2, c);
		http2__free(hc->h2);
	}
	free(hc);
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
