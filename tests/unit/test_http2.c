// SPDX-License-Identifier: MIT
/*
 * HTTP/2 through the HTTP stage's stream_sink: the RFC 7541 Appendix C
 * header blocks (with and without Huffman coding, dynamic table carried
 * across requests), multiplexed streams, SSE over DATA frames,
 * CONTINUATION and padding, RST_STREAM and GOAWAY, gaps. Every script also
 * runs fed one byte at a time and in random splits, and must give the same
 * exchange log.
 */
#include <criterion/criterion.h>
#include <nghttp2/nghttp2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http2.h"
#include "proto/http_tracker.h"

#define E AR_DIR_EGRESS
#define I AR_DIR_INGRESS

/* A script: bytes per direction in the order they reach the tracker. */
struct piece {
	int dir;
	uint8_t *data;
	size_t len;
	uint64_t gap; /* >0: a gap of this many bytes instead of data */
};

struct script {
	struct piece p[64];
	int n;
	nghttp2_hd_deflater *defl[2];
};

static void add(struct script *s, int dir, const void *data, size_t len)
{
	struct piece *p = &s->p[s->n++];

	cr_assert_lt(s->n, 64);
	p->dir = dir;
	p->data = malloc(len ? len : 1);
	memcpy(p->data, data, len);
	p->len = len;
	p->gap = 0;
}

static void add_gap(struct script *s, int dir, uint64_t n)
{
	struct piece *p = &s->p[s->n++];

	p->dir = dir;
	p->data = NULL;
	p->len = 0;
	p->gap = n;
}

static void frame(struct script *s, int dir, uint8_t type, uint8_t flags, uint32_t id,
		  const void *payload, size_t len)
{
	uint8_t *b = malloc(9 + len + 1);

	b[0] = len >> 16;
	b[1] = len >> 8;
	b[2] = len;
	b[3] = type;
	b[4] = flags;
	b[5] = id >> 24;
	b[6] = id >> 16;
	b[7] = id >> 8;
	b[8] = id;
	memcpy(b + 9, payload, len);
	add(s, dir, b, 9 + len);
	free(b);
}

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;

	for (const char *p = hex; *p;) {
		unsigned v;

		if (*p == ' ') {
			p++;
			continue;
		}
		sscanf(p, "%2x", &v);
		out[n++] = (uint8_t)v;
		p += 2;
	}
	return n;
}

static void hex_frame(struct script *s, int dir, uint8_t type, uint8_t flags, uint32_t id,
		      const char *hex)
{
	uint8_t b[512];
	size_t n = unhex(hex, b);

	frame(s, dir, type, flags, id, b, n);
}

/* Header block encoded by nghttp2's deflater for this direction. */
static void headers(struct script *s, int dir, uint8_t flags, uint32_t id, const char *const *nv)
{
	nghttp2_nv v[32];
	size_t n = 0;
	uint8_t out[4096];
	ssize_t len;

	if (!s->defl[dir])
		cr_assert_eq(nghttp2_hd_deflate_new(&s->defl[dir], 4096), 0);
	for (; nv[2 * n]; n++) {
		v[n].name = (uint8_t *)nv[2 * n];
		v[n].namelen = strlen(nv[2 * n]);
		v[n].value = (uint8_t *)nv[2 * n + 1];
		v[n].valuelen = strlen(nv[2 * n + 1]);
		v[n].flags = NGHTTP2_NV_FLAG_NONE;
	}
	len = nghttp2_hd_deflate_hd(s->defl[dir], out, sizeof(out), v, n);
	cr_assert_gt(len, 0);
	frame(s, dir, 1, flags, id, out, len);
}

static void preface(struct script *s)
{
	add(s, E, HTTP2_PREFACE, HTTP2_PREFACE_LEN);
	frame(s, E, 4, 0, 0, "\x00\x02\x00\x00\x00\x00", 6); /* ENABLE_PUSH 0 */
	frame(s, I, 4, 0, 0, "\x00\x03\x00\x00\x00\x64", 6); /* MAX_CONCURRENT 100 */
	frame(s, E, 4, 1, 0, "", 0);                          /* ACK */
}

static void script_free(struct script *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->p[i].data);
	for (int d = 0; d < 2; d++)
		if (s->defl[d])
			nghttp2_hd_deflate_del(s->defl[d]);
}

/* --- the run --- */

struct run {
	struct http_tracker *t;
	struct stream_sink sink;
	struct conn_meta c;
	char log[16384];
	size_t len;
	int n;
	struct http_stats st;
};

static void logf_(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct run *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->log + r->len, sizeof(r->log) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(r->log) - r->len)
		r->len += n;
}

static void log_msg(struct run *r, const char *tag, const struct http_message *m)
{
	logf_(r, " %s[ct=%s trunc=%d", tag, m->content_type, m->body_truncated);
	for (size_t i = 0; i < m->n_headers; i++)
		logf_(r, " %.*s=%.*s", (int)m->headers[i].name_len, m->headers[i].name,
		      (int)m->headers[i].value_len, m->headers[i].value);
	logf_(r, " body=%.*s]", (int)m->body_len, (const char *)m->body);
}

static void on_exchange(void *ctx, const struct http_exchange *x)
{
	struct run *r = ctx;

	r->n++;
	logf_(r, "%s %s host=%s status=%d complete=%d gap=%d", x->method, x->target, x->host,
	      x->status, x->resp_complete, x->gap);
	log_msg(r, "req", &x->req);
	log_msg(r, "resp", &x->resp);
	logf_(r, "\n");
}

/* split: 0 whole pieces, 1 byte at a time, 2+ random pieces (seed) */
static void run_script(struct run *r, const struct script *s, int split)
{
	unsigned seed = (unsigned)split * 7919u;

	memset(r, 0, sizeof(*r));
	r->t = http_tracker__new(NULL, on_exchange, r);
	r->sink = http_tracker__sink(r->t);
	r->c.conn_id = 7;
	r->c.is_tls = true;
	r->c.fd = -1;
	r->sink.on_open(r->sink.ctx, &r->c);
	for (int i = 0; i < s->n; i++) {
		const struct piece *p = &s->p[i];

		if (p->gap) {
			r->sink.on_gap(r->sink.ctx, &r->c, p->dir, p->gap);
			continue;
		}
		for (size_t off = 0; off < p->len;) {
			size_t k = p->len - off;

			if (split == 1)
				k = 1;
			else if (split >= 2 && k > 1)
				k = 1 + (size_t)rand_r(&seed) % (k < 30 ? k : 30);
			r->sink.on_data(r->sink.ctx, &r->c, p->dir, p->data + off, k, 1000 + i, 1);
			off += k;
		}
	}
	r->sink.on_close(r->sink.ctx, &r->c);
	http_tracker__stats(r->t, &r->st);
	http_tracker__free(r->t);
}

/* Runs whole, byte by byte and in 20 random splits; returns the whole run
 * after checking that every split logged the same exchanges. */
static void run_all_splits(struct run *whole, const struct script *s)
{
	static struct run r;

	run_script(whole, s, 0);
	for (int split = 1; split < 22; split++) {
		run_script(&r, s, split);
		cr_assert_str_eq(r.log, whole->log, "split %d differs:\n%s\nvs whole:\n%s", split,
				 r.log, whole->log);
	}
}

/* RFC 7541 C.4 (requests, Huffman) and C.6 (responses, Huffman): three
 * exchanges on one connection, each block relying on the dynamic table
 * the previous ones built. (The last response says gzip and has no body:
 * that is a truncated gzip body.) */
Test(http2, rfc7541_huffman_examples_whole_and_split)
{
	struct script s = { 0 };
	struct run r;

	preface(&s);
	hex_frame(&s, E, 1, 0x5, 1, "828684418cf1e3c2e5f23a6ba0ab90f4ff");
	hex_frame(&s, I, 1, 0x4, 1, "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e0"
				    "82a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3");
	frame(&s, I, 0, 0x1, 1, "moved", 5);
	hex_frame(&s, E, 1, 0x5, 3, "828684be5886a8eb10649cbf");
	hex_frame(&s, I, 1, 0x5, 3, "4883640effc1c0bf");
	hex_frame(&s, E, 1, 0x5, 5, "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf");
	hex_frame(&s, I, 1, 0x5, 5, "88c16196d07abe941054d444a820059504"
				    "0b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdf"
				    "cd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007");
	run_all_splits(&r, &s);
	cr_assert_eq(r.n, 3, "%s", r.log);
	cr_assert_str_eq(r.log,
		"GET / host=www.example.com status=302 complete=1 gap=0 req[ct= trunc=0 "
		"host=www.example.com body=] resp[ct= trunc=0 cache-control=private "
		"date=Mon, 21 Oct 2013 20:13:21 GMT location=https://www.example.com body=moved]\n"
		"GET / host=www.example.com status=307 complete=1 gap=0 req[ct= trunc=0 "
		"host=www.example.com cache-control=no-cache body=] resp[ct= trunc=0 "
		"cache-control=private date=Mon, 21 Oct 2013 20:13:21 GMT "
		"location=https://www.example.com body=]\n"
		"GET /index.html host=www.example.com status=200 complete=1 gap=0 req[ct= trunc=0 "
		"host=www.example.com custom-key=custom-value body=] resp[ct= trunc=1 "
		"cache-control=private date=Mon, 21 Oct 2013 20:13:22 GMT "
		"location=https://www.example.com content-encoding=gzip "
		"set-cookie=foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1 body=]\n");
	cr_assert_eq(r.st.h2_conns, 1);
	cr_assert_eq(r.st.h2_hpack_errors, 0);
	script_free(&s);
}

/* RFC 7541 C.3 (requests without Huffman coding). */
Test(http2, rfc7541_plain_requests)
{
	struct script s = { 0 };
	struct run r;

	preface(&s);
	hex_frame(&s, E, 1, 0x5, 1, "828684410f7777772e6578616d706c652e636f6d");
	hex_frame(&s, E, 1, 0x5, 3, "828684be58086e6f2d6361636865");
	hex_frame(&s, E, 1, 0x5, 5, "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565");
	for (uint32_t id = 1; id <= 5; id += 2)
		hex_frame(&s, I, 1, 0x5, id, "88"); /* :status 200 */
	run_all_splits(&r, &s);
	cr_assert_eq(r.n, 3, "%s", r.log);
	cr_assert(strstr(r.log, "GET /index.html host=www.example.com status=200 complete=1"),
		  "%s", r.log);
	cr_assert(strstr(r.log, "custom-key=custom-value"), "%s", r.log);
	cr_assert(strstr(r.log, "cache-control=no-cache"), "%s", r.log);
	script_free(&s);
}

static const char *const REQ_HDRS[] = {
	":method", "POST", ":scheme", "https", ":path", "/v1/chat/completions",
	":authority", "api.openai.com", "content-type", "application/json", NULL,
};

/* Three streams interleaved on one connection; responses out of order, one
 * of them streamed as SSE across several DATA frames, one request body
 * split across frames, a padded DATA frame and a HEADERS block continued
 * in a CONTINUATION frame. */
Test(http2, multiplexed_streams_sse_continuation_padding)
{
	static const char *const resp_json[] = { ":status", "200", "content-type",
						 "application/json", NULL };
	static const char *const resp_sse[] = { ":status", "200", "content-type",
						"text/event-stream; charset=utf-8", NULL };
	struct script s = { 0 };
	uint8_t blk[4096];
	struct run r;

	preface(&s);
	headers(&s, E, 0x4, 1, REQ_HDRS);
	headers(&s, E, 0x4, 3, REQ_HDRS);
	frame(&s, E, 0, 0x0, 3, "{\"model\":", 9);
	headers(&s, E, 0x4, 5, REQ_HDRS);
	frame(&s, E, 0, 0x1, 1, "{\"a\":1}", 7);
	frame(&s, E, 0, 0x1, 3, "\"m3\"}", 5);
	frame(&s, E, 0, 0x9, 5, "\x03{}xxx", 6); /* PADDED: 3 bytes of padding */
	/* stream 3 answers first, streamed */
	headers(&s, I, 0x4, 3, resp_sse);
	frame(&s, I, 0, 0, 3, "data: {\"x\":1}\n\n", 15);
	{
		/* stream 5's response block split: HEADERS + CONTINUATION */
		nghttp2_nv v[2] = {
			{ (uint8_t *)":status", (uint8_t *)"201", 7, 3, 0 },
			{ (uint8_t *)"x-request-id", (uint8_t *)"req-5", 12, 5, 0 },
		};
		ssize_t n = nghttp2_hd_deflate_hd(s.defl[I], blk, sizeof(blk), v, 2);

		cr_assert_gt(n, 3);
		frame(&s, I, 1, 0x0, 5, blk, 3);
		frame(&s, I, 9, 0x4, 5, blk + 3, n - 3);
	}
	frame(&s, I, 0, 0, 3, "data: {\"x\":2}\n\n", 15);
	headers(&s, I, 0x4, 1, resp_json);
	frame(&s, I, 0, 0x1, 5, "{}", 2);
	frame(&s, I, 0, 0x1, 3, "data: [DONE]\n\n", 14);
	frame(&s, I, 0, 0x1, 1, "{\"id\":\"one\"}", 12);
	run_all_splits(&r, &s);
	cr_assert_eq(r.n, 3, "%s", r.log);
	cr_assert_str_eq(r.log,
		"POST /v1/chat/completions host=api.openai.com status=201 complete=1 gap=0 "
		"req[ct=application/json trunc=0 host=api.openai.com content-type=application/json "
		"body={}] resp[ct= trunc=0 x-request-id=req-5 body={}]\n"
		"POST /v1/chat/completions host=api.openai.com status=200 complete=1 gap=0 "
		"req[ct=application/json trunc=0 host=api.openai.com content-type=application/json "
		"body={\"model\":\"m3\"}] resp[ct=text/event-stream trunc=0 "
		"content-type=text/event-stream; charset=utf-8 body=data: {\"x\":1}\n\n"
		"data: {\"x\":2}\n\ndata: [DONE]\n\n]\n"
		"POST /v1/chat/completions host=api.openai.com status=200 complete=1 gap=0 "
		"req[ct=application/json trunc=0 host=api.openai.com content-type=application/json "
		"body={\"a\":1}] resp[ct=application/json trunc=0 content-type=application/json "
		"body={\"id\":\"one\"}]\n");
	script_free(&s);
}

/* RST_STREAM ends one stream as an error; GOAWAY ends the streams above its
 * last stream id; the connection goes on. */
Test(http2, rst_stream_and_goaway_are_errors)
{
	static const char *const ok[] = { ":status", "200", NULL };
	struct script s = { 0 };
	struct run r;

	preface(&s);
	headers(&s, E, 0x5, 1, REQ_HDRS);
	headers(&s, E, 0x5, 3, REQ_HDRS);
	headers(&s, E, 0x5, 5, REQ_HDRS);
	frame(&s, I, 3, 0, 1, "\x00\x00\x00\x02", 4); /* RST_STREAM INTERNAL_ERROR */
	headers(&s, I, 0x5, 3, ok);
	frame(&s, I, 7, 0, 0, "\x00\x00\x00\x03\x00\x00\x00\x00", 8); /* GOAWAY last=3 */
	run_all_splits(&r, &s);
	cr_assert_eq(r.n, 3, "%s", r.log);
	cr_assert(strstr(r.log, "status=0 complete=0"), "%s", r.log);
	cr_assert(strstr(r.log, "status=200 complete=1"), "%s", r.log);
	cr_assert_eq(r.st.h2_streams_reset, 2);
	script_free(&s);
}

/* A gap on the response direction loses its HPACK table: the waiting
 * stream is emitted with gap=1, later response bytes are skipped, and the
 * loss is counted. */
Test(http2, gap_declares_direction_lost)
{
	static const char *const ok[] = { ":status", "200", NULL };
	struct script s = { 0 };
	struct run r;

	preface(&s);
	headers(&s, E, 0x5, 1, REQ_HDRS);
	headers(&s, I, 0x4, 1, ok);
	add_gap(&s, I, 100);
	frame(&s, I, 0, 0x1, 1, "late", 4);
	run_all_splits(&r, &s);
	cr_assert_eq(r.n, 1, "%s", r.log);
	cr_assert(strstr(r.log, "status=200 complete=0 gap=1"), "%s", r.log);
	cr_assert_eq(r.st.h2_dirs_lost, 1);
	script_free(&s);
}

/* Garbage instead of a header block: counted, never a crash, and the
 * request direction is declared lost. */
Test(http2, corrupt_hpack_is_counted)
{
	struct script s = { 0 };
	struct run r;

	preface(&s);
	hex_frame(&s, E, 1, 0x5, 1, "ffffffffffffffff");
	run_all_splits(&r, &s);
	cr_assert_eq(r.n, 0);
	cr_assert_eq(r.st.h2_hpack_errors, 1);
	cr_assert_eq(r.st.h2_dirs_lost, 1);
	script_free(&s);
}

/* Without the preface the connection stays HTTP/1.x. */
Test(http2, http1_is_not_mistaken_for_h2)
{
	struct script s = { 0 };
	struct run r;

	add(&s, E, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 48);
	add(&s, I, "HTTP/1.1 204 No Content\r\n\r\n", 27);
	run_script(&r, &s, 0);
	cr_assert_eq(r.st.h2_conns, 0);
	cr_assert_eq(r.n, 1, "%s", r.log);
	script_free(&s);
}

/* gRPC: the trailers' grpc-status is appended to the response headers;
 * a trailers-only error carries it in the only header block. */
Test(http2, grpc_trailers_reach_the_response)
{
	static const char *const rq[] = {
		":method", "POST", ":scheme", "https", ":path",
		"/google.cloud.aiplatform.v1.PredictionService/GenerateContent",
		":authority", "aiplatform.googleapis.com", "content-type", "application/grpc",
		"te", "trailers", NULL,
	};
	static const char *const ok[] = { ":status", "200", "content-type", "application/grpc",
					  NULL };
	static const char *const tr[] = { "grpc-status", "0", "grpc-message", "", NULL };
	static const char *const only[] = { ":status", "200", "content-type", "application/grpc",
					    "grpc-status", "7", NULL };
	struct script s = { 0 };
	struct run r;

	preface(&s);
	headers(&s, E, 0x4, 1, rq);
	frame(&s, E, 0, 0x1, 1, "\x00\x00\x00\x00\x02\x08\x01", 7);
	headers(&s, E, 0x4, 3, rq);
	frame(&s, E, 0, 0x1, 3, "\x00\x00\x00\x00\x00", 5);
	headers(&s, I, 0x4, 1, ok);
	frame(&s, I, 0, 0x0, 1, "\x00\x00\x00\x00\x02\x10\x02", 7);
	headers(&s, I, 0x5, 1, tr);
	headers(&s, I, 0x5, 3, only);
	run_all_splits(&r, &s);
	cr_assert_eq(r.n, 2, "%s", r.log);
	cr_assert(strstr(r.log, "resp[ct=application/grpc trunc=0 content-type=application/grpc "
				"grpc-status=0 grpc-message= body="), "%s", r.log);
	cr_assert(strstr(r.log, "content-type=application/grpc grpc-status=7 body=]"), "%s", r.log);
	script_free(&s);
}

/* Once the response direction is lost, later requests are not reported as
 * unanswered calls: they are counted and dropped. */
Test(http2, requests_after_response_loss_are_dropped)
{
	struct script s = { 0 };
	struct run r;

	preface(&s);
	headers(&s, E, 0x5, 1, REQ_HDRS);
	add_gap(&s, I, 10);
	headers(&s, E, 0x5, 3, REQ_HDRS);
	run_all_splits(&r, &s);
	cr_assert_eq(r.n, 1, "%s", r.log);
	cr_assert(strstr(r.log, "status=0 complete=0 gap=1"), "%s", r.log);
	cr_assert_eq(r.st.h2_streams_dropped, 1);
	script_free(&s);
}
