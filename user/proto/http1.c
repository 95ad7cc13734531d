// SPDX-License-Identifier: MIT
/*
 * Per-connection HTTP/1.x: two llhttp parsers, a FIFO pairing requests with
 * responses, and recovery. A direction is in one of four modes:
 *   SEEK   scanning for a start line (at stream start, after a gap/error)
 *   PARSE  feeding llhttp
 *   TUNNEL after CONNECT/Upgrade: bytes are another protocol, skipped
 *   DEAD   never looked like HTTP: skipped without scanning
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

#include "common/log.h"
#include "proto/http1.h"
#include "proto/http_msg.h"
#include "proto/http_sync.h"

enum side_mode { MODE_SEEK, MODE_PARSE, MODE_TUNNEL, MODE_DEAD };
enum brk { BRK_GAP, BRK_ERROR, BRK_OVERFLOW, BRK_CLOSE };

/* A connection that shows no start line in its first MiB is not HTTP. */
#define NON_HTTP_GIVEUP (1u << 20)
/* Buffers bigger than this are freed between messages, so idle keep-alive
 * connections stay small. */
#define KEEP_BYTES 16384

struct slot {
	struct http_msg req, resp;
	bool req_done;      /* request parsed to its end, or abandoned */
	bool resp_started;  /* a final response is (or was) being parsed */
	bool resp_done;     /* response ended, or abandoned */
	bool resp_complete; /* ... at its framing boundary */
	bool gap;
	bool lost;          /* placeholder for a request we could not read */
	bool upgrade;       /* CONNECT or Upgrade request */
	uint32_t index;     /* order of the request on the connection */
};

struct side {
	llhttp_t parser;
	struct http1 *h;
	int dir;
	int mode;
	bool is_req;       /* parser is HTTP_REQUEST */
	bool in_msg;       /* between message begin and complete */
	bool overflow;     /* a callback hit the header cap */
	bool parsed;       /* was ever in PARSE mode */
	int pos;           /* slots[] index of the current message, -1: spare */
	struct http_msg *msg; /* the message pos names (set_pos) */
	struct http_msg spare; /* unpaired response or dropped request */
	uint8_t *carry, *carry2; /* SEEK: tail that may start a line */
	size_t carry_len;
	uint64_t ts;
	uint32_t tid;
};

struct http1 {
	const struct http_cfg *cfg;
	struct http_stats *st;
	http_exchange_fn fn;
	void *ctx;
	const struct conn_meta *conn;
	int req_dir;       /* enum ar_dir carrying requests, -1 until known */
	bool synced;       /* a start line was ever found */
	uint64_t seek_bytes;
	struct side side[2];
	/* apart, so the struct stays under malloc's large-bin size (1 KiB),
	 * whose first use after many small frees consolidates the heap */
	struct slot **slots; /* HTTP1_MAX_PENDING */
	unsigned head, count;
	uint32_t n_pushed;  /* slots ever pushed: the next request's index */
};

static const llhttp_settings_t req_settings, resp_settings;

void http_cfg__defaults(struct http_cfg *cfg)
{
	if (!cfg->max_header_bytes)
		cfg->max_header_bytes = HTTP_DEFAULT_MAX_HEADER_BYTES;
	if (!cfg->max_body_bytes)
		cfg->max_body_bytes = HTTP_DEFAULT_MAX_BODY_BYTES;
}

/* --- pending queue --- */

static struct slot *head_slot(struct http1 *h)
{
	return h->count ? h->slots[h->head] : NULL;
}

/* Returns the slots[] index of a fresh slot, -ENOSPC when full or -ENOMEM. */
static int push_slot(struct http1 *h)
{
	unsigned idx = (h->head + h->count) % HTTP1_MAX_PENDING;
	struct slot *sl;

	if (h->count == HTTP1_MAX_PENDING)
		return -ENOSPC;
	sl = h->slots[idx];
	if (!sl) {
		sl = calloc(1, sizeof(*sl));
		if (!sl)
			return -ENOMEM;
		http_msg__init(&sl->req, h->cfg->max_header_bytes, h->cfg->max_body_bytes);
		http_msg__init(&sl->resp, h->cfg->max_header_bytes, h->cfg->max_body_bytes);
		h->slots[idx] = sl;
	}
	sl->req_done = sl->resp_started = sl->resp_done = false;
	sl->resp_complete = sl->gap = sl->lost = sl->upgrade = false;
	sl->index = h->n_pushed++;
	h->count++;
	return (int)idx;
}

static void pop_head(struct http1 *h)
{
	struct slot *sl = h->slots[h->head];

	http_msg__reset(&sl->req, KEEP_BYTES);
	http_msg__reset(&sl->resp, KEEP_BYTES);
	h->head = (h->head + 1) % HTTP1_MAX_PENDING;
	/* restart at 0 so sequential keep-alive traffic reuses one slot */
	if (--h->count == 0)
		h->head = 0;
}

/* Fills x from sl; the response part only when with_resp. */
static void fill(struct http1 *h, struct slot *sl, struct http_exchange *x, bool with_resp)
{
	x->conn = h->conn;
	x->method = llhttp_method_name((llhttp_method_t)sl->req.method);
	x->target = http_msg__str(&sl->req, sl->req.target_off);
	x->host = http_msg__str(&sl->req, sl->req.host_off);
	http_msg__view(&sl->req, &x->req);
	x->inbound = h->req_dir == AR_DIR_INGRESS;
	x->req_index = sl->index;
	if (!with_resp)
		return;
	x->status = sl->resp_started ? sl->resp.status : 0;
	http_msg__view(&sl->resp, &x->resp);
	x->resp_complete = sl->resp_complete;
	x->gap = sl->gap;
}

static void milestone(struct http1 *h, struct slot *sl, enum http_milestone what)
{
	struct http_exchange x = { 0 };

	if (!h->cfg->on_milestone || sl->lost)
		return;
	fill(h, sl, &x, what == HTTP_RESP_HEADERS);
	h->cfg->on_milestone(h->ctx, &x, what);
}

static void emit(struct http1 *h, struct slot *sl)
{
	struct http_exchange x = { 0 };

	fill(h, sl, &x, true);
	h->st->exchanges++;
	h->st->body_truncated += x.req.body_truncated + x.resp.body_truncated;
	h->st->decode_stops[sl->req.decode_stop]++;
	h->st->decode_stops[sl->resp.decode_stop]++;
	h->fn(h->ctx, &x);
}

/* Emits finished exchanges from the head, in request order. */
static void drain(struct http1 *h)
{
	struct slot *sl;

	while ((sl = head_slot(h)) && sl->req_done && sl->resp_done) {
		if (!sl->lost)
			emit(h, sl);
		pop_head(h);
	}
}

/* --- llhttp callbacks --- */

/* Points s at slots[pos] (-1: spare); the header callbacks, which run for
 * every piece, then find their message without a lookup. */
static void set_pos(struct side *s, int pos)
{
	struct slot *sl;

	s->pos = pos;
	if (pos < 0) {
		s->msg = &s->spare;
		return;
	}
	sl = s->h->slots[pos];
	s->msg = s->is_req ? &sl->req : &sl->resp;
}

static int cb_fail(struct side *s, int err)
{
	if (err == -E2BIG)
		s->overflow = true;
	return -1;
}

/* A request arrived with HTTP1_MAX_PENDING unanswered: the response
 * direction is probably not captured, so the oldest is emitted unanswered
 * unless its response is being parsed, in which case the new one is lost. */
static int req_slot(struct http1 *h)
{
	struct slot *sl;
	int idx = push_slot(h);

	if (idx != -ENOSPC)
		return idx;
	h->st->pipeline_overflows++;
	sl = head_slot(h);
	if (sl->resp_started || !sl->req_done)
		return -ENOSPC;
	if (!sl->lost)
		emit(h, sl);
	pop_head(h);
	return push_slot(h);
}

/* The response goes to the oldest request without one. */
static int resp_slot(struct http1 *h)
{
	for (unsigned k = 0; k < h->count; k++) {
		unsigned idx = (h->head + k) % HTTP1_MAX_PENDING;

		if (!h->slots[idx]->resp_done)
			return (int)idx;
	}
	return -1;
}

static int on_message_begin(llhttp_t *p)
{
	struct side *s = p->data;
	struct http1 *h = s->h;
	struct http_msg *m;

	s->in_msg = true;
	if (s->is_req) {
		int idx = req_slot(h);

		set_pos(s, idx < 0 ? -1 : idx);
	} else {
		set_pos(s, resp_slot(h));
		if (s->pos >= 0) {
			h->slots[s->pos]->resp_started = true;
			http_msg__reset(&h->slots[s->pos]->resp, KEEP_BYTES);
		}
	}
	m = s->msg;
	if (s->pos < 0)
		http_msg__reset(m, KEEP_BYTES);
	m->ts_first = m->ts_last = s->ts;
	m->tid = s->tid;
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
	struct side *s = p->data;
	int err = http_msg__url(s->msg, at, len);

	return err ? cb_fail(s, err) : 0;
}

static int on_url_complete(llhttp_t *p)
{
	struct side *s = p->data;
	int err = http_msg__url_done(s->msg);

	return err ? cb_fail(s, err) : 0;
}

static int on_status_complete(llhttp_t *p)
{
	struct side *s = p->data;

	s->msg->status = llhttp_get_status_code(p);
	return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct side *s = p->data;
	int err = http_msg__field(s->msg, at, len);

	return err ? cb_fail(s, err) : 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
	struct side *s = p->data;
	int err = http_msg__value(s->msg, at, len);

	return err ? cb_fail(s, err) : 0;
}

static int on_header_value_complete(llhttp_t *p)
{
	struct side *s = p->data;

	return http_msg__value_done(s->msg);
}

static int on_headers_complete(llhttp_t *p)
{
	struct side *s = p->data;
	struct http1 *h = s->h;
	struct http_msg *m = s->msg;
	int method = -1, status;
	int err;

	m->ts_last = s->ts;
	m->ver_major = llhttp_get_http_major(p);
	m->ver_minor = llhttp_get_http_minor(p);
	if (s->is_req)
		m->method = llhttp_get_method(p);
	else
		m->status = llhttp_get_status_code(p);
	err = http_msg__headers_done(m, &h->st->decode_errors);
	if (err)
		return cb_fail(s, err);
	if (s->is_req) {
		if (s->pos >= 0) {
			h->slots[s->pos]->upgrade = llhttp_get_upgrade(p);
			milestone(h, h->slots[s->pos], HTTP_REQ_HEADERS);
		}
		return 0;
	}
	status = m->status;
	if (s->pos >= 0 && status >= 200)
		milestone(h, h->slots[s->pos], HTTP_RESP_HEADERS);
	if (s->pos >= 0 && h->slots[s->pos]->req.headers_done)
		method = h->slots[s->pos]->req.method;
	if (status == 101 || (method == HTTP_CONNECT && status / 100 == 2))
		return 2; /* the connection switches protocol after this */
	/* 1xx, HEAD, 204 and 304 never carry a body */
	if (status / 100 == 1 || method == HTTP_HEAD || status == 204 || status == 304)
		return 1;
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
	struct side *s = p->data;
	struct http_msg *m = s->msg;

	if (!m->ts_first_body)
		m->ts_first_body = s->ts;
	m->ts_last = s->ts;
	http_msg__body(m, at, len, &s->h->st->decode_errors);
	return 0;
}

static void resp_complete(struct http1 *h, struct slot *sl, int status)
{
	bool switched = status == 101 ||
			(sl->req.method == HTTP_CONNECT && status / 100 == 2);

	sl->resp_done = sl->resp_complete = true;
	/* The request side stopped parsing after CONNECT/Upgrade; refused,
	 * so the connection stays HTTP. */
	if (sl->upgrade && !switched && h->req_dir >= 0 &&
	    h->side[h->req_dir].mode == MODE_TUNNEL)
		h->side[h->req_dir].mode = MODE_SEEK;
}

static int on_message_complete(llhttp_t *p)
{
	struct side *s = p->data;
	struct http1 *h = s->h;
	struct http_msg *m = s->msg;
	struct slot *sl = s->pos >= 0 ? h->slots[s->pos] : NULL;

	m->ts_last = s->ts;
	http_msg__finish(m, &h->st->decode_errors);
	s->in_msg = false;
	set_pos(s, -1);
	if (s->is_req) {
		h->st->requests++;
		if (sl)
			sl->req_done = true;
	} else if (m->status / 100 == 1 && m->status != 101) {
		/* interim response: the final one follows */
		if (sl)
			sl->resp_started = false;
		http_msg__reset(m, KEEP_BYTES);
		return 0;
	} else {
		h->st->responses++;
		if (sl)
			resp_complete(h, sl, m->status);
		else
			h->st->unpaired_responses++;
	}
	drain(h);
	return 0;
}

static const llhttp_settings_t req_settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_url_complete = on_url_complete,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_header_value_complete = on_header_value_complete,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

static const llhttp_settings_t resp_settings = {
	.on_message_begin = on_message_begin,
	.on_status_complete = on_status_complete,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_header_value_complete = on_header_value_complete,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* --- recovery --- */

/* A gap at a message boundary of the response direction: the lost bytes
 * were the response of the oldest request still waiting for one. */
static void resp_lost(struct http1 *h)
{
	int idx = resp_slot(h);
	struct slot *sl;

	if (idx < 0)
		return;
	sl = h->slots[idx];
	sl->resp_done = sl->gap = true;
	sl->resp_started = sl->resp_complete = false;
}

/* The current message of s cannot continue (why); settles the slot it
 * belonged to and, unless the connection is closing, rescans. */
static void side_break(struct http1 *h, struct side *s, enum brk why)
{
	struct slot *sl = s->pos >= 0 ? h->slots[s->pos] : NULL;

	if (s->is_req && s->in_msg && sl) {
		sl->req_done = true;
		sl->req.cut = true;
		sl->gap |= why == BRK_GAP;
		/* without method and target there is nothing to show */
		if (!sl->req.headers_done || why == BRK_ERROR || why == BRK_OVERFLOW)
			sl->lost = true;
	} else if (s->is_req && !s->in_msg && why == BRK_GAP) {
		/* A whole request was probably lost: hold its place so its
		 * response does not pair with the next request. */
		int idx = push_slot(h);

		if (idx >= 0) {
			sl = h->slots[idx];
			sl->req_done = sl->lost = sl->gap = true;
		}
	} else if (!s->is_req && s->in_msg && sl) {
		sl->resp_done = true;
		sl->resp_complete = false;
		sl->resp.cut = true;
		sl->gap |= why == BRK_GAP;
		if (why == BRK_OVERFLOW) {
			int status = sl->resp.status;

			http_msg__reset(&sl->resp, KEEP_BYTES);
			sl->resp.status = status;
			sl->resp.cut = true;
		}
	} else if (!s->is_req && !s->in_msg && why == BRK_GAP) {
		resp_lost(h);
	}
	s->in_msg = false;
	set_pos(s, -1);
	s->overflow = false;
	if (why != BRK_CLOSE) {
		s->mode = MODE_SEEK;
		s->carry_len = 0;
		h->st->resyncs++;
	}
	drain(h);
}

static void side_start(struct http1 *h, struct side *s, unsigned kind)
{
	if (h->req_dir < 0)
		h->req_dir = kind == HTTP_SYNC_REQUEST ? s->dir : !s->dir;
	s->is_req = s->dir == h->req_dir;
	llhttp_init(&s->parser, s->is_req ? HTTP_REQUEST : HTTP_RESPONSE,
		    s->is_req ? &req_settings : &resp_settings);
	/* bytes after "Connection: close" are still worth parsing */
	llhttp_set_lenient_keep_alive(&s->parser, 1);
	s->parser.data = s;
	s->mode = MODE_PARSE;
	s->parsed = true;
	s->in_msg = false;
	s->overflow = false;
	set_pos(s, -1);
	h->synced = true;
}

static void skipped(struct http1 *h, size_t n)
{
	h->st->non_http_bytes += n;
	if (h->synced)
		return;
	h->seek_bytes += n;
	if (h->seek_bytes >= NON_HTTP_GIVEUP) {
		h->side[0].mode = h->side[1].mode = MODE_DEAD;
		h->side[0].carry_len = h->side[1].carry_len = 0;
	}
}

static unsigned side_want(const struct http1 *h, const struct side *s)
{
	if (h->req_dir < 0)
		return HTTP_SYNC_EITHER;
	return s->dir == h->req_dir ? HTTP_SYNC_REQUEST : HTTP_SYNC_RESPONSE;
}

static void side_input(struct http1 *h, struct side *s, const uint8_t *data, size_t len);

/* SEEK mode. Returns how many bytes of data it consumed (at least 1). */
static size_t side_seek(struct http1 *h, struct side *s, const uint8_t *data, size_t len)
{
	unsigned want = side_want(h, s), kind = 0;
	enum http_sync_result r;
	size_t pos = 0;

	if (s->carry_len) {
		size_t take = HTTP_SYNC_LINE_MAX - s->carry_len;

		if (take > len)
			take = len;
		memcpy(s->carry + s->carry_len, data, take);
		s->carry_len += take;
		r = http_sync__find(s->carry, s->carry_len, want, &pos, &kind);
		if (r == HTTP_SYNC_FOUND) {
			uint8_t *buf = s->carry;
			size_t n = s->carry_len;

			skipped(h, pos);
			/* parse from the carry while a fresh one catches any
			 * new partial line; this nests at most once */
			s->carry = s->carry2;
			s->carry2 = buf;
			s->carry_len = 0;
			side_start(h, s, kind);
			side_input(h, s, buf + pos, n - pos);
		} else if (r == HTTP_SYNC_PARTIAL) {
			skipped(h, pos);
			memmove(s->carry, s->carry + pos, s->carry_len - pos);
			s->carry_len -= pos;
		} else {
			skipped(h, s->carry_len);
			s->carry_len = 0;
		}
		return take;
	}
	r = http_sync__find(data, len, want, &pos, &kind);
	if (r == HTTP_SYNC_FOUND) {
		skipped(h, pos);
		side_start(h, s, kind);
		return pos;
	}
	if (r == HTTP_SYNC_PARTIAL) {
		if (!s->carry) {
			s->carry = malloc(HTTP_SYNC_LINE_MAX);
			s->carry2 = malloc(HTTP_SYNC_LINE_MAX);
		}
		if (s->carry && s->carry2) {
			skipped(h, pos);
			memcpy(s->carry, data + pos, len - pos);
			s->carry_len = len - pos;
			return len;
		}
	}
	skipped(h, len);
	return len;
}

/* PARSE mode. Returns how many bytes of data it consumed (at least 1, or
 * 0 when it switched mode). */
static size_t side_parse(struct http1 *h, struct side *s, const uint8_t *data, size_t len)
{
	llhttp_errno_t e = llhttp_execute(&s->parser, (const char *)data, len);
	const uint8_t *at;
	size_t used = len;

	if (e == HPE_OK)
		return len;
	at = (const uint8_t *)llhttp_get_error_pos(&s->parser);
	if (at >= data && at <= data + len)
		used = (size_t)(at - data);
	if (e == HPE_PAUSED_UPGRADE) {
		/* What follows is another protocol. A request side waits for
		 * the response to say whether the switch happened. */
		if (s->is_req) {
			s->mode = MODE_TUNNEL;
		} else {
			h->side[0].mode = h->side[1].mode = MODE_TUNNEL;
			h->side[0].carry_len = h->side[1].carry_len = 0;
		}
		return used;
	}
	if (s->overflow)
		h->st->header_overflows++;
	else
		h->st->parse_errors++;
	debug("http1: conn %llu dir %d: %s", h->conn ? (unsigned long long)h->conn->conn_id : 0ULL,
	      s->dir, llhttp_errno_name(e));
	side_break(h, s, s->overflow ? BRK_OVERFLOW : BRK_ERROR);
	if (used == 0) {
		h->st->non_http_bytes++;
		used = 1;
	}
	return used;
}

static void side_input(struct http1 *h, struct side *s, const uint8_t *data, size_t len)
{
	while (len) {
		size_t n;

		if (s->mode == MODE_PARSE) {
			n = side_parse(h, s, data, len);
		} else if (s->mode == MODE_SEEK) {
			n = side_seek(h, s, data, len);
		} else {
			h->st->non_http_bytes += len;
			return;
		}
		data += n;
		len -= n;
	}
}

/* --- public --- */

struct http1 *http1__new(const struct http_cfg *cfg, struct http_stats *stats,
			 http_exchange_fn fn, void *ctx, const struct conn_meta *c)
{
	struct http1 *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->slots = calloc(HTTP1_MAX_PENDING, sizeof(*h->slots));
	if (!h->slots) {
		free(h);
		return NULL;
	}
	h->cfg = cfg;
	h->st = stats;
	h->fn = fn;
	h->ctx = ctx;
	h->conn = c;
	h->req_dir = -1;
	/* TLS plaintext may come from an SSL* whose socket role is unknown
	 * or belongs to a proxy; sniff those. */
	if (c && !c->is_tls && c->role == AR_ROLE_CLIENT)
		h->req_dir = AR_DIR_EGRESS;
	else if (c && !c->is_tls && c->role == AR_ROLE_SERVER)
		h->req_dir = AR_DIR_INGRESS;
	for (int d = 0; d < 2; d++) {
		h->side[d].h = h;
		h->side[d].dir = d;
		h->side[d].mode = MODE_SEEK;
		set_pos(&h->side[d], -1);
		http_msg__init(&h->side[d].spare, cfg->max_header_bytes, cfg->max_body_bytes);
	}
	return h;
}

void http1__free(struct http1 *h)
{
	if (!h)
		return;
	for (int i = 0; i < HTTP1_MAX_PENDING; i++) {
		struct slot *sl = h->slots[i];

		if (sl)
			http_msg__free_exchange(sl, &sl->req, &sl->resp);
	}
	for (int d = 0; d < 2; d++) {
		http_msg__free(&h->side[d].spare);
		free(h->side[d].carry);
		free(h->side[d].carry2);
	}
	free(h->slots);
	free(h);
}

void http1__feed(struct http1 *h, const struct conn_meta *c, int dir,
		 const uint8_t *data, size_t len, uint64_t ts, uint32_t tid)
{
	struct side *s;

	if (dir != AR_DIR_EGRESS && dir != AR_DIR_INGRESS)
		return;
	s = &h->side[dir];
	h->conn = c;
	s->ts = ts;
	s->tid = tid;
	side_input(h, s, data, len);
}

void http1__gap(struct http1 *h, const struct conn_meta *c, int dir, uint64_t missing)
{
	struct side *s;

	if ((dir != AR_DIR_EGRESS && dir != AR_DIR_INGRESS) || !missing)
		return;
	s = &h->side[dir];
	h->conn = c;
	if (s->mode == MODE_PARSE) {
		side_break(h, s, BRK_GAP);
		return;
	}
	if (s->mode != MODE_SEEK)
		return;
	/* the kept tail is no longer followed by its continuation */
	skipped(h, s->carry_len);
	s->carry_len = 0;
	/* No response seen yet on this direction but requests wait: the
	 * first of them lost its response. (Once parsing, gaps while
	 * seeking are more likely further pieces of the same message.) */
	if (!s->parsed && h->req_dir >= 0 && s->dir != h->req_dir) {
		resp_lost(h);
		drain(h);
	}
}

void http1__close(struct http1 *h, const struct conn_meta *c)
{
	struct slot *sl;

	h->conn = c;
	for (int d = 0; d < 2; d++) {
		struct side *s = &h->side[d];

		if (s->mode != MODE_PARSE || !s->in_msg || s->is_req)
			continue;
		/* completes a response delimited by the connection close */
		if (llhttp_finish(&s->parser) != HPE_OK || s->in_msg)
			side_break(h, s, BRK_CLOSE);
	}
	for (int d = 0; d < 2; d++) {
		struct side *s = &h->side[d];

		if (s->mode == MODE_PARSE && s->in_msg)
			side_break(h, s, BRK_CLOSE);
	}
	/* what is left never got (all of) its response */
	while ((sl = head_slot(h))) {
		if (!sl->lost && sl->req.headers_done) {
			if (!sl->req_done)
				sl->req.cut = true;
			emit(h, sl);
		}
		pop_head(h);
	}
}
