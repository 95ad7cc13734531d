// SPDX-License-Identifier: MIT
/*
 * Per-connection HTTP/2: a frame reader per direction, header blocks
 * (HEADERS + CONTINUATION) inflated with nghttp2's HPACK inflater, and a
 * small table of open streams whose requests and responses are built in
 * the same struct http_msg that HTTP/1.1 uses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "proto/http2.h"
#include "proto/http_msg.h"

enum {
	F_DATA = 0, F_HEADERS = 1, F_PRIORITY = 2, F_RST_STREAM = 3, F_SETTINGS = 4,
	F_PUSH_PROMISE = 5, F_PING = 6, F_GOAWAY = 7, F_WINDOW_UPDATE = 8, F_CONTINUATION = 9,
};
#define FL_END_STREAM 0x1
#define FL_ACK 0x1
#define FL_END_HEADERS 0x4
#define FL_PADDED 0x8
#define FL_PRIORITY 0x20
#define SETTINGS_HEADER_TABLE_SIZE 0x1
#define KEEP_BYTES 16384
/* Header block (HEADERS + CONTINUATIONs) kept at most; HPACK needs all of
 * it to stay in sync, so a bigger one loses the direction. */
#define MAX_HBLOCK (256u * 1024)

struct h2_stream {
	uint32_t id;            /* 0: slot unused */
	bool req_end, resp_end; /* END_STREAM seen per side */
	bool resp_headers;      /* final (non-1xx) response headers seen */
	bool reset;             /* RST_STREAM or GOAWAY */
	bool gap;
	char method[24];
	struct http_msg req, resp;
};

struct h2_dir {
	uint8_t hdr[9];
	size_t hdr_have;
	uint8_t *buf;           /* payload of the current frame */
	size_t have, cap;
	uint64_t skip;          /* payload bytes of an oversized frame to skip */
	uint8_t *hblock;        /* header block being collected */
	size_t hlen, hcap;
	uint32_t hstream;       /* its stream, 0 when none is open */
	uint8_t htype;          /* F_HEADERS or F_PUSH_PROMISE */
	bool hend_stream;
	nghttp2_hd_inflater *infl;
	bool lost;
	size_t preface_left;    /* preface bytes still to skip */
	uint64_t ts;
	uint32_t tid;
};

struct http2 {
	const struct http_cfg *cfg;
	struct http_stats *st;
	http_exchange_fn fn;
	void *ctx;
	const struct conn_meta *conn;
	int req_dir;
	struct h2_dir dir[2];
	struct h2_stream *streams[HTTP2_MAX_STREAMS];
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int http2__is_preface(const uint8_t *data, size_t len)
{
	size_t n = len < HTTP2_PREFACE_LEN ? len : HTTP2_PREFACE_LEN;

	if (memcmp(data, HTTP2_PREFACE, n))
		return 0;
	return len >= HTTP2_PREFACE_LEN ? 1 : -1;
}

/* --- streams --- */

static struct h2_stream *find_stream(struct http2 *h, uint32_t id)
{
	for (int i = 0; i < HTTP2_MAX_STREAMS; i++)
		if (h->streams[i] && h->streams[i]->id == id)
			return h->streams[i];
	return NULL;
}

static struct h2_stream *new_stream(struct http2 *h, uint32_t id)
{
	struct h2_stream *s;
	int i;

	for (i = 0; i < HTTP2_MAX_STREAMS; i++)
		if (!h->streams[i] || !h->streams[i]->id)
			break;
	if (i == HTTP2_MAX_STREAMS) {
		h->st->h2_streams_dropped++;
		return NULL;
	}
	s = h->streams[i];
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s) {
			h->st->h2_streams_dropped++;
			return NULL;
		}
		http_msg__init(&s->req, h->cfg->max_header_bytes, h->cfg->max_body_bytes);
		http_msg__init(&s->resp, h->cfg->max_header_bytes, h->cfg->max_body_bytes);
		h->streams[i] = s;
	}
	s->id = id;
	s->req_end = s->resp_end = s->resp_headers = s->reset = s->gap = false;
	snprintf(s->method, sizeof(s->method), "GET");
	return s;
}

/* Hands the stream to the callback (when its request was read) and frees
 * its slot. */
static void emit(struct http2 *h, struct h2_stream *s)
{
	struct http_exchange x = { 0 };

	if (s->req.headers_done) {
		if (!s->req_end)
			s->req.cut = true;
		x.conn = h->conn;
		x.method = s->method;
		x.target = http_msg__str(&s->req, s->req.target_off);
		x.host = http_msg__str(&s->req, s->req.host_off);
		http_msg__view(&s->req, &x.req);
		x.status = s->resp_headers ? s->resp.status : 0;
		http_msg__view(&s->resp, &x.resp);
		x.resp_complete = s->resp_end && !s->reset;
		x.gap = s->gap;
		h->st->exchanges++;
		h->st->body_truncated += x.req.body_truncated + x.resp.body_truncated;
		h->fn(h->ctx, &x);
	}
	http_msg__reset(&s->req, KEEP_BYTES);
	http_msg__reset(&s->resp, KEEP_BYTES);
	s->id = 0;
}

static void maybe_done(struct http2 *h, struct h2_stream *s)
{
	if ((s->req_end && s->resp_end) || s->reset)
		emit(h, s);
}

/* END_STREAM on one side of s: that message is complete. */
static void end_stream(struct http2 *h, struct h2_stream *s, bool is_req, uint64_t ts)
{
	struct http_msg *m = is_req ? &s->req : &s->resp;

	http_msg__finish(m, &h->st->decode_errors);
	m->ts_last = ts;
	if (is_req) {
		s->req_end = true;
		h->st->requests++;
	} else {
		s->resp_end = true;
		h->st->responses++;
	}
	maybe_done(h, s);
}

/* --- header blocks --- */

static void add_header(struct http_msg *m, const uint8_t *name, size_t nlen, const uint8_t *val,
		       size_t vlen)
{
	if (!nlen)
		return; /* not a header (RFC 9113 8.2.1); http_msg needs a name */
	if (http_msg__field(m, (const char *)name, nlen) || http_msg__field_done(m) ||
	    http_msg__value(m, (const char *)val, vlen) || http_msg__value_done(m))
		m->cut = true; /* over the header cap: the rest is dropped */
}

static void on_header(struct http2 *h, struct h2_stream *s, struct http_msg *m, bool is_req,
		      const nghttp2_nv *nv)
{
	if (nv->namelen && nv->name[0] == ':') {
		if (is_req && nv->namelen == 7 && !memcmp(nv->name, ":method", 7)) {
			snprintf(s->method, sizeof(s->method), "%.*s", (int)nv->valuelen,
				 (const char *)nv->value);
		} else if (is_req && nv->namelen == 5 && !memcmp(nv->name, ":path", 5)) {
			http_msg__url(m, (const char *)nv->value, nv->valuelen);
			http_msg__url_done(m);
		} else if (is_req && nv->namelen == 10 && !memcmp(nv->name, ":authority", 10)) {
			/* HTTP/1.1's Host, which the later stages read */
			add_header(m, (const uint8_t *)"host", 4, nv->value, nv->valuelen);
		} else if (!is_req && nv->namelen == 7 && !memcmp(nv->name, ":status", 7)) {
			int st = 0;

			for (size_t i = 0; i < nv->valuelen && i < 3; i++)
				st = st * 10 + (nv->value[i] - '0');
			m->status = st;
		}
		return;
	}
	add_header(m, nv->name, nv->namelen, nv->value, nv->valuelen);
}

/* The message a header block on stream s in direction d fills: its
 * headers, or its trailers (appended to its headers, so grpc-status is
 * found like any header). NULL for a push promise or an unknown stream. */
static struct http_msg *block_target(struct h2_stream *s, bool is_req, bool *trailers)
{
	if (!s)
		return NULL;
	*trailers = is_req ? s->req.headers_done : s->resp_headers;
	return is_req ? &s->req : &s->resp;
}

static void dir_lost(struct http2 *h, int d);

static void header_block(struct http2 *h, int d)
{
	struct h2_dir *dr = &h->dir[d];
	bool is_req = d == h->req_dir, push = dr->htype == F_PUSH_PROMISE;
	struct h2_stream *s = find_stream(h, dr->hstream);
	struct http_msg *m;
	const uint8_t *in = dr->hblock ? dr->hblock : (const uint8_t *)"";
	size_t left = dr->hlen;
	bool trailers = false;

	/* A request whose response direction is lost could only ever look
	 * unanswered: it is decoded (HPACK state) and dropped. */
	if (!push && is_req && !s && !h->dir[!d].lost)
		s = new_stream(h, dr->hstream);
	else if (!push && is_req && !s)
		h->st->h2_streams_dropped++;
	m = push ? NULL : block_target(s, is_req, &trailers);
	if (m && !trailers) {
		m->ts_first = dr->ts;
		m->tid = dr->tid;
	}
	for (;;) {
		nghttp2_nv nv;
		int fl = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(dr->infl, &nv, &fl, (uint8_t *)in, left, 1);

		if (rv < 0) {
			h->st->h2_hpack_errors++;
			dir_lost(h, d);
			return;
		}
		in += rv;
		left -= rv;
		/* pseudo-headers have no place in trailers */
		if ((fl & NGHTTP2_HD_INFLATE_EMIT) && m &&
		    !(trailers && nv.namelen && nv.name[0] == ':'))
			on_header(h, s, m, is_req, &nv);
		if (fl & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(dr->infl);
			break;
		}
		if (rv == 0 && left == 0)
			break;
	}
	dr->hstream = 0;
	dr->hlen = 0;
	if (push || !s)
		return;
	if (!trailers && !is_req && m->status >= 100 && m->status < 200) {
		/* informational: the final response follows */
		http_msg__reset(m, KEEP_BYTES);
		return;
	}
	if (!trailers) {
		http_msg__headers_done(m, &h->st->decode_errors);
		if (!is_req)
			s->resp_headers = true;
	}
	if (dr->hend_stream)
		end_stream(h, s, is_req, dr->ts);
}

static int append_block(struct http2 *h, int d, const uint8_t *p, size_t n)
{
	struct h2_dir *dr = &h->dir[d];

	if (!n)
		return 0;
	if (dr->hlen + n > MAX_HBLOCK) {
		h->st->header_overflows++;
		return -E2BIG;
	}
	if (dr->hlen + n > dr->hcap) {
		size_t cap = dr->hcap ? dr->hcap : 4096;
		uint8_t *b;

		while (cap < dr->hlen + n)
			cap *= 2;
		b = realloc(dr->hblock, cap);
		if (!b)
			return -ENOMEM;
		dr->hblock = b;
		dr->hcap = cap;
	}
	memcpy(dr->hblock + dr->hlen, p, n);
	dr->hlen += n;
	return 0;
}

/* --- frames --- */

/* Strips the padding of a PADDED frame. Returns false when malformed. */
static bool unpad(uint8_t flags, const uint8_t **p, size_t *n)
{
	uint8_t pad;

	if (!(flags & FL_PADDED))
		return true;
	if (*n < 1)
		return false;
	pad = (*p)[0];
	if ((size_t)pad + 1 > *n)
		return false;
	*p += 1;
	*n -= 1 + (size_t)pad;
	return true;
}

static void frame_data(struct http2 *h, int d, uint8_t flags, uint32_t id, const uint8_t *p,
		       size_t n)
{
	struct h2_stream *s = find_stream(h, id);
	bool is_req = d == h->req_dir;
	struct http_msg *m;

	if (!s)
		return;
	m = is_req ? &s->req : &s->resp;
	if (!unpad(flags, &p, &n)) {
		h->st->h2_bad_frames++;
		return;
	}
	if (n) {
		if (!m->ts_first_body)
			m->ts_first_body = h->dir[d].ts;
		http_msg__body(m, (const char *)p, n, &h->st->decode_errors);
	}
	m->ts_last = h->dir[d].ts;
	if (flags & FL_END_STREAM)
		end_stream(h, s, is_req, h->dir[d].ts);
}

static void frame_headers(struct http2 *h, int d, uint8_t type, uint8_t flags, uint32_t id,
			  const uint8_t *p, size_t n)
{
	struct h2_dir *dr = &h->dir[d];

	if (!unpad(flags, &p, &n)) {
		h->st->h2_bad_frames++;
		dir_lost(h, d);
		return;
	}
	if (type == F_HEADERS && (flags & FL_PRIORITY)) {
		if (n < 5) {
			h->st->h2_bad_frames++;
			dir_lost(h, d);
			return;
		}
		p += 5;
		n -= 5;
	}
	if (type == F_PUSH_PROMISE) {
		if (n < 4) {
			h->st->h2_bad_frames++;
			dir_lost(h, d);
			return;
		}
		p += 4;
		n -= 4;
	}
	dr->hstream = id;
	dr->htype = type;
	dr->hend_stream = type == F_HEADERS && (flags & FL_END_STREAM);
	dr->hlen = 0;
	if (append_block(h, d, p, n)) {
		dir_lost(h, d);
		return;
	}
	if (flags & FL_END_HEADERS)
		header_block(h, d);
}

static void frame_settings(struct http2 *h, int d, uint8_t flags, const uint8_t *p, size_t n)
{
	if (flags & FL_ACK)
		return;
	for (size_t i = 0; i + 6 <= n; i += 6) {
		uint16_t id = (uint16_t)(p[i] << 8 | p[i + 1]);

		/* The sender's decoder limit bounds the other side's encoder. */
		if (id == SETTINGS_HEADER_TABLE_SIZE)
			nghttp2_hd_inflate_change_table_size(h->dir[!d].infl, be32(p + i + 2));
	}
}

static void stream_reset(struct http2 *h, struct h2_stream *s)
{
	s->reset = true;
	h->st->h2_streams_reset++;
	emit(h, s);
}

static void frame(struct http2 *h, int d, const uint8_t *hdr, const uint8_t *p, size_t n)
{
	struct h2_dir *dr = &h->dir[d];
	uint8_t type = hdr[3], flags = hdr[4];
	uint32_t id = be32(hdr + 5) & 0x7fffffffu;
	struct h2_stream *s;

	/* A header block must continue with CONTINUATION frames only. */
	if (dr->hstream && type != F_CONTINUATION) {
		h->st->h2_bad_frames++;
		dir_lost(h, d);
		return;
	}
	switch (type) {
	case F_DATA:
		frame_data(h, d, flags, id, p, n);
		break;
	case F_HEADERS:
	case F_PUSH_PROMISE:
		frame_headers(h, d, type, flags, id, p, n);
		break;
	case F_CONTINUATION:
		if (!dr->hstream || id != dr->hstream) {
			h->st->h2_bad_frames++;
			dir_lost(h, d);
			return;
		}
		if (append_block(h, d, p, n)) {
			dir_lost(h, d);
			return;
		}
		if (flags & FL_END_HEADERS)
			header_block(h, d);
		break;
	case F_RST_STREAM:
		s = find_stream(h, id);
		if (s)
			stream_reset(h, s);
		break;
	case F_GOAWAY:
		if (n >= 8) {
			uint32_t last = be32(p) & 0x7fffffffu;

			/* Streams above last_stream_id were never processed;
			 * with an error code, none below will finish either. */
			for (int i = 0; i < HTTP2_MAX_STREAMS; i++) {
				s = h->streams[i];
				if (s && s->id && (s->id > last || be32(p + 4)))
					stream_reset(h, s);
			}
		}
		break;
	case F_SETTINGS:
		frame_settings(h, d, flags, p, n);
		break;
	default:
		break; /* PRIORITY, PING, WINDOW_UPDATE, unknown: nothing to see */
	}
}

/* A direction whose framing or HPACK state is gone: its unfinished
 * streams are emitted now, marked, and its bytes are skipped from here. */
static void dir_lost(struct http2 *h, int d)
{
	bool is_req = d == h->req_dir;

	if (h->dir[d].lost)
		return;
	h->dir[d].lost = true;
	h->dir[d].hstream = 0;
	h->st->h2_dirs_lost++;
	for (int i = 0; i < HTTP2_MAX_STREAMS; i++) {
		struct h2_stream *s = h->streams[i];

		if (!s || !s->id || (is_req ? s->req_end : s->resp_end))
			continue;
		s->gap = true;
		emit(h, s);
	}
}

static void dir_input(struct http2 *h, int d, const uint8_t *data, size_t len)
{
	struct h2_dir *dr = &h->dir[d];

	while (len && !dr->lost) {
		uint32_t flen;
		size_t n;

		if (dr->preface_left) {
			n = len < dr->preface_left ? len : dr->preface_left;
			if (memcmp(data, &HTTP2_PREFACE[HTTP2_PREFACE_LEN - dr->preface_left], n)) {
				h->st->h2_bad_frames++;
				dir_lost(h, d);
				break;
			}
			dr->preface_left -= n;
			data += n;
			len -= n;
			continue;
		}
		if (dr->skip) {
			n = len < dr->skip ? len : dr->skip;
			dr->skip -= n;
			data += n;
			len -= n;
			continue;
		}
		if (dr->hdr_have < 9) {
			n = 9 - dr->hdr_have < len ? 9 - dr->hdr_have : len;
			memcpy(dr->hdr + dr->hdr_have, data, n);
			dr->hdr_have += n;
			data += n;
			len -= n;
			if (dr->hdr_have < 9)
				break;
			dr->have = 0;
		}
		flen = (uint32_t)dr->hdr[0] << 16 | (uint32_t)dr->hdr[1] << 8 | dr->hdr[2];
		if (flen > HTTP2_MAX_FRAME) {
			/* Oversized: a DATA frame only truncates its stream; any
			 * other loses the direction (HPACK, framing). */
			h->st->h2_bad_frames++;
			if (dr->hdr[3] != F_DATA || dr->hstream) {
				dir_lost(h, d);
				break;
			}
			struct h2_stream *s = find_stream(h, be32(dr->hdr + 5) & 0x7fffffffu);

			if (s)
				(d == h->req_dir ? &s->req : &s->resp)->body.truncated = true;
			dr->skip = flen;
			dr->hdr_have = 0;
			continue;
		}
		if (flen > dr->cap) {
			uint8_t *b = realloc(dr->buf, flen);

			if (!b) {
				dir_lost(h, d);
				break;
			}
			dr->buf = b;
			dr->cap = flen;
		}
		n = flen - dr->have < len ? flen - dr->have : len;
		if (n)
			memcpy(dr->buf + dr->have, data, n);
		dr->have += n;
		data += n;
		len -= n;
		if (dr->have < flen)
			break;
		dr->hdr_have = 0;
		/* an empty frame may come before any buffer exists */
		frame(h, d, dr->hdr, dr->buf ? dr->buf : (const uint8_t *)"", flen);
	}
	if (dr->lost)
		h->st->non_http_bytes += len;
}

/* --- public --- */

struct http2 *http2__new(const struct http_cfg *cfg, struct http_stats *stats,
			 http_exchange_fn fn, void *ctx, const struct conn_meta *c, int req_dir)
{
	struct http2 *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->cfg = cfg;
	h->st = stats;
	h->fn = fn;
	h->ctx = ctx;
	h->conn = c;
	h->req_dir = req_dir;
	for (int d = 0; d < 2; d++) {
		if (nghttp2_hd_inflate_new(&h->dir[d].infl)) {
			http2__free(h);
			return NULL;
		}
	}
	h->dir[req_dir].preface_left = HTTP2_PREFACE_LEN;
	stats->h2_conns++;
	return h;
}

void http2__free(struct http2 *h)
{
	if (!h)
		return;
	for (int i = 0; i < HTTP2_MAX_STREAMS; i++) {
		struct h2_stream *st = h->streams[i];

		if (st)
			http_msg__free_exchange(st, &st->req, &st->resp);
	}
	for (int d = 0; d < 2; d++) {
		if (h->dir[d].infl)
			nghttp2_hd_inflate_del(h->dir[d].infl);
		free(h->dir[d].buf);
		free(h->dir[d].hblock);
	}
	free(h);
}

void http2__feed(struct http2 *h, const struct conn_meta *c, int dir, const uint8_t *data,
		 size_t len, uint64_t ts, uint32_t tid)
{
	if (dir != AR_DIR_EGRESS && dir != AR_DIR_INGRESS)
		return;
	h->conn = c;
	h->dir[dir].ts = ts;
	h->dir[dir].tid = tid;
	if (h->dir[dir].lost) {
		h->st->non_http_bytes += len;
		return;
	}
	dir_input(h, dir, data, len);
}

void http2__gap(struct http2 *h, const struct conn_meta *c, int dir, uint64_t missing)
{
	if ((dir != AR_DIR_EGRESS && dir != AR_DIR_INGRESS) || !missing)
		return;
	h->conn = c;
	dir_lost(h, dir);
}

void http2__close(struct http2 *h, const struct conn_meta *c)
{
	h->conn = c;
	for (int i = 0; i < HTTP2_MAX_STREAMS; i++)
		if (h->streams[i] && h->streams[i]->id)
			emit(h, h->streams[i]);
}
