// SPDX-License-Identifier: MIT
/*
 * HTTP/1.x stage through its stream_sink: pairing, framing, encodings,
 * recovery and bad input. Every fixture also runs fed one byte at a time
 * and in random splits, and must give byte-identical exchange summaries.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "proto/http_tracker.h"
#include "br_fixtures.h"

enum { STEP_END, STEP_DATA, STEP_GAP };

struct step {
	int kind;
	int dir;
	const void *data;
	size_t len;
};

#define E AR_DIR_EGRESS
#define I AR_DIR_INGRESS
#define D(dir, s) { STEP_DATA, dir, s, sizeof(s) - 1 }
#define BIN(dir, p, n) { STEP_DATA, dir, p, n }
#define GAP(dir, n) { STEP_GAP, dir, NULL, n }
#define END { STEP_END, 0, NULL, 0 }

#define MAX_X 64

struct xrec {
	char method[16], target[128], host[64];
	int status;
	bool complete, gap, after_close;
	char *req_body, *resp_body;
	size_t req_len, resp_len;
	bool req_trunc, resp_trunc, req_df, resp_df;
	char req_ct[64], resp_ct[64];
	size_t req_nh, resp_nh;
	char xid[32];
	size_t multi_count;
	char multi_second[16];
	bool has_empty;
	uint64_t req_ts[3], resp_ts[3];
	uint32_t req_tid, resp_tid;
};

struct run {
	struct http_tracker *t;
	struct stream_sink sink;
	struct conn_meta c;
	struct xrec x[MAX_X];
	int n;
	bool closing;
	char *log;
	size_t log_len, log_cap;
	struct http_stats st;
};

static void logf_(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct run *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->log_cap - r->log_len < 4096) {
		r->log_cap = r->log_cap ? r->log_cap * 2 : 1 << 16;
		r->log = realloc(r->log, r->log_cap);
	}
	va_start(ap, fmt);
	n = vsnprintf(r->log + r->log_len, r->log_cap - r->log_len, fmt, ap);
	va_end(ap);
	r->log_len += (size_t)n < r->log_cap - r->log_len ? (size_t)n : 0;
}

static void log_msg(struct run *r, const char *tag, const struct http_message *m)
{
	logf_(r, " %s[ct=%s trunc=%d df=%d", tag, m->content_type, m->body_truncated,
	      m->decode_failed);
	for (size_t i = 0; i < m->n_headers; i++)
		logf_(r, " %.*s=%.*s", (int)m->headers[i].name_len, m->headers[i].name,
		      (int)m->headers[i].value_len, m->headers[i].value);
	logf_(r, " body=%zu:", m->body_len);
	cr_assert_eq(m->body[m->body_len], 0, "body must be NUL-terminated");
	for (size_t i = 0; i < m->body_len; i++) {
		uint8_t c = m->body[i];

		if (c >= 0x20 && c < 0x7f)
			logf_(r, "%c", c);
		else
			logf_(r, "\\x%02x", c);
	}
	logf_(r, "]");
}

static char *dupn(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

static void on_exchange(void *ctx, const struct http_exchange *x)
{
	struct run *r = ctx;
	struct xrec *o;
	const struct header_view *h;

	cr_assert_lt(r->n, MAX_X);
	o = &r->x[r->n++];
	cr_assert_eq(x->conn, &r->c);
	snprintf(o->method, sizeof(o->method), "%s", x->method);
	snprintf(o->target, sizeof(o->target), "%s", x->target);
	snprintf(o->host, sizeof(o->host), "%s", x->host);
	o->status = x->status;
	o->complete = x->resp_complete;
	o->gap = x->gap;
	o->after_close = r->closing;
	o->req_body = dupn(x->req.body, x->req.body_len);
	o->req_len = x->req.body_len;
	o->resp_body = dupn(x->resp.body, x->resp.body_len);
	o->resp_len = x->resp.body_len;
	o->req_trunc = x->req.body_truncated;
	o->resp_trunc = x->resp.body_truncated;
	o->req_df = x->req.decode_failed;
	o->resp_df = x->resp.decode_failed;
	snprintf(o->req_ct, sizeof(o->req_ct), "%s", x->req.content_type);
	snprintf(o->resp_ct, sizeof(o->resp_ct), "%s", x->resp.content_type);
	o->req_nh = x->req.n_headers;
	o->resp_nh = x->resp.n_headers;
	h = http_message__header(&x->resp, "x-request-id", 0);
	if (h)
		snprintf(o->xid, sizeof(o->xid), "%.*s", (int)h->value_len, h->value);
	o->multi_count = http_message__header_count(&x->resp, "X-MULTI");
	h = http_message__header(&x->resp, "x-multi", 1);
	if (h)
		snprintf(o->multi_second, sizeof(o->multi_second), "%.*s", (int)h->value_len, h->value);
	h = http_message__header(&x->resp, "x-empty", 0);
	o->has_empty = h && h->value_len == 0;
	o->req_ts[0] = x->req.ts_first;
	o->req_ts[1] = x->req.ts_first_body;
	o->req_ts[2] = x->req.ts_last;
	o->resp_ts[0] = x->resp.ts_first;
	o->resp_ts[1] = x->resp.ts_first_body;
	o->resp_ts[2] = x->resp.ts_last;
	o->req_tid = x->req.tid;
	o->resp_tid = x->resp.tid;

	logf_(r, "#%d %s %s host=%s status=%d complete=%d gap=%d close=%d\n", r->n, x->method,
	      x->target, x->host, x->status, x->resp_complete, x->gap, r->closing);
	log_msg(r, "req", &x->req);
	log_msg(r, "\n resp", &x->resp);
	logf_(r, "\n");
}

struct opts {
	int role;
	bool tls;
	struct http_cfg cfg;
	bool no_close;
	/* after a parse error, how many bytes get skipped depends on where
	 * llhttp noticed it, which depends on the split */
	bool skip_count_varies;
};

/* split: 0 whole steps, 1 byte at a time, 2+ random pieces (seed = split) */
static void run_script(struct run *r, const struct step *steps, const struct opts *o, int split)
{
	unsigned seed = (unsigned)split * 7919u;
	uint64_t ts = 1000;

	memset(r, 0, sizeof(*r));
	r->t = http_tracker__new(o->cfg.max_header_bytes || o->cfg.max_body_bytes ? &o->cfg : NULL,
				 on_exchange, r);
	cr_assert_not_null(r->t);
	r->sink = http_tracker__sink(r->t);
	r->c.conn_id = 42;
	r->c.role = (uint8_t)o->role;
	r->c.is_tls = o->tls;
	r->c.fd = o->tls ? -1 : 7;
	r->sink.on_open(r->sink.ctx, &r->c);
	for (const struct step *s = steps; s->kind != STEP_END; s++) {
		if (s->kind == STEP_GAP) {
			r->sink.on_gap(r->sink.ctx, &r->c, s->dir, s->len);
			continue;
		}
		for (size_t off = 0; off < s->len;) {
			size_t k = s->len - off;

			if (split == 1)
				k = 1;
			else if (split >= 2 && k > 1)
				k = 1 + (size_t)rand_r(&seed) % (k < 40 ? k : 40);
			r->sink.on_data(r->sink.ctx, &r->c, s->dir, (const uint8_t *)s->data + off, k,
					ts, 100 + (uint32_t)s->dir);
			off += k;
		}
		ts += 1000;
	}
	r->closing = true;
	logf_(r, "CLOSE\n");
	if (!o->no_close)
		r->sink.on_close(r->sink.ctx, &r->c);
	cr_expect_null(r->c.user, "on_close releases the connection state");
	http_tracker__stats(r->t, &r->st);
}

static void run_free(struct run *r)
{
	for (int i = 0; i < r->n; i++) {
		free(r->x[i].req_body);
		free(r->x[i].resp_body);
	}
	http_tracker__free(r->t);
	free(r->log);
}

static void expect_same_stats(const struct http_stats *a, const struct http_stats *b, int split)
{
#define SAME(f) cr_expect_eq(a->f, b->f, "split %d: " #f " %llu vs %llu", split, \
			     (unsigned long long)a->f, (unsigned long long)b->f)
	SAME(exchanges);
	SAME(requests);
	SAME(responses);
	SAME(resyncs);
	SAME(parse_errors);
	SAME(header_overflows);
	SAME(body_truncated);
	SAME(decode_errors);
	SAME(unpaired_responses);
	SAME(pipeline_overflows);
#undef SAME
}

/* Runs whole, then byte by byte and in random splits: all must agree. The
 * whole-step run is left in r for the caller's assertions. */
static void check(struct run *r, const struct step *steps, const struct opts *o)
{
	run_script(r, steps, o, 0);
	for (int split = 1; split < 6; split++) {
		struct run *other = calloc(1, sizeof(*other));

		run_script(other, steps, o, split);
		cr_assert_str_eq(other->log ? other->log : "", r->log ? r->log : "",
				 "split %d differs", split);
		expect_same_stats(&other->st, &r->st, split);
		if (!o->skip_count_varies)
			cr_expect_eq(other->st.non_http_bytes, r->st.non_http_bytes,
				     "split %d: non_http_bytes %llu vs %llu", split,
				     (unsigned long long)other->st.non_http_bytes,
				     (unsigned long long)r->st.non_http_bytes);
		run_free(other);
		free(other);
	}
}

static const struct opts CLIENT = { .role = AR_ROLE_CLIENT };

/* ---------------------------------------------------------------------- */

Test(http1, keepalive_pairs)
{
	static const struct step s[] = {
		D(E, "POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n"
		     "Content-Type: Application/JSON; charset=utf-8\r\nAuthorization: Bearer sk-x\r\n"
		     "Content-Length: 13\r\n\r\n{\"model\":\"x\"}"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
		     "X-Request-Id:  abc \r\nX-Multi: one\r\nx-multi: two\r\nX-Empty:\r\n"
		     "\r\n{\"ok\":true}"),
		D(E, "GET /v1/models HTTP/1.1\r\nHost: api.openai.com\r\n\r\n"),
		D(I, "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n[]"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 2);
	cr_expect_str_eq(r->x[0].method, "POST");
	cr_expect_str_eq(r->x[0].target, "/v1/chat/completions");
	cr_expect_str_eq(r->x[0].host, "api.openai.com");
	cr_expect_str_eq(r->x[0].req_ct, "application/json");
	cr_expect_str_eq(r->x[0].req_body, "{\"model\":\"x\"}");
	cr_expect_eq(r->x[0].req_nh, 4);
	cr_expect_eq(r->x[0].status, 200);
	cr_expect(r->x[0].complete);
	cr_expect(!r->x[0].gap);
	cr_expect(!r->x[0].after_close, "emitted as soon as the response ended");
	cr_expect_str_eq(r->x[0].resp_body, "{\"ok\":true}");
	cr_expect_str_eq(r->x[0].xid, "abc", "values are trimmed");
	cr_expect_eq(r->x[0].resp_nh, 6);
	cr_expect_eq(r->x[0].multi_count, 2);
	cr_expect_str_eq(r->x[0].multi_second, "two");
	cr_expect(r->x[0].has_empty);
	cr_expect_eq(r->x[1].multi_count, 0);
	cr_expect_str_eq(r->x[1].method, "GET");
	cr_expect_str_eq(r->x[1].target, "/v1/models");
	cr_expect_eq(r->x[1].status, 404);
	cr_expect_str_eq(r->x[1].resp_body, "[]");
	cr_expect_str_eq(r->x[1].req_ct, "");
	cr_expect_eq(r->st.exchanges, 2);
	cr_expect_eq(r->st.requests, 2);
	cr_expect_eq(r->st.responses, 2);
	cr_expect_eq(r->st.parse_errors + r->st.resyncs + r->st.non_http_bytes, 0);
	run_free(r);
	free(r);
}

Test(http1, timestamps_and_tids)
{
	static const struct step s[] = {
		D(E, "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\n"),
		D(E, "abc"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwx"),
		D(I, "yz"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	run_script(r, s, &CLIENT, 0);
	cr_assert_eq(r->n, 1);
	cr_expect_eq(r->x[0].req_ts[0], 1000);
	cr_expect_eq(r->x[0].req_ts[1], 2000);
	cr_expect_eq(r->x[0].req_ts[2], 2000);
	cr_expect_eq(r->x[0].resp_ts[0], 3000);
	cr_expect_eq(r->x[0].resp_ts[1], 3000);
	cr_expect_eq(r->x[0].resp_ts[2], 4000);
	cr_expect_eq(r->x[0].req_tid, 100);
	cr_expect_eq(r->x[0].resp_tid, 101);
	cr_expect_str_eq(r->x[0].resp_body, "wxyz");
	run_free(r);
	free(r);
}

Test(http1, pipelined_requests)
{
	static const struct step s[] = {
		D(E, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
		     "POST /3 HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
		     "HTTP/1.1 201 OK\r\nContent-Length: 2\r\n\r\nbb"
		     "HTTP/1.1 202 OK\r\nContent-Length: 3\r\n\r\nccc"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 3);
	cr_expect_str_eq(r->x[0].target, "/1");
	cr_expect_str_eq(r->x[0].resp_body, "a");
	cr_expect_eq(r->x[0].status, 200);
	cr_expect_str_eq(r->x[1].target, "/2");
	cr_expect_str_eq(r->x[1].resp_body, "bb");
	cr_expect_str_eq(r->x[2].target, "/3");
	cr_expect_str_eq(r->x[2].req_body, "x");
	cr_expect_str_eq(r->x[2].resp_body, "ccc");
	cr_expect_eq(r->x[2].status, 202);
	run_free(r);
	free(r);
}

Test(http1, chunked_both_ways)
{
	static const struct step s[] = {
		D(E, "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n"
		     "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"),
		D(E, "GET /after HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 2);
	cr_expect_str_eq(r->x[0].req_body, "abcde");
	cr_expect_str_eq(r->x[0].resp_body, "hello world");
	cr_expect_str_eq(r->x[0].resp_ct, "text/event-stream");
	cr_expect(r->x[0].complete);
	cr_expect_str_eq(r->x[1].target, "/after");
	cr_expect_eq(r->x[1].resp_len, 0);
	run_free(r);
	free(r);
}

Test(http1, expect_100_continue_and_early_hints)
{
	static const struct step s[] = {
		D(E, "POST /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"),
		D(I, "HTTP/1.1 100 Continue\r\n\r\n"),
		D(E, "hello"),
		D(I, "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
		     "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 1);
	cr_expect_eq(r->x[0].status, 201);
	cr_expect_str_eq(r->x[0].req_body, "hello");
	cr_expect_str_eq(r->x[0].resp_body, "ok");
	cr_expect_eq(r->x[0].resp_nh, 1, "interim headers are not merged");
	cr_expect(r->x[0].complete);
	cr_expect_eq(r->st.responses, 1);
	run_free(r);
	free(r);
}

Test(http1, head_204_304_have_no_body)
{
	static const struct step s[] = {
		D(E, "HEAD /f HTTP/1.1\r\nHost: h\r\n\r\nGET /a HTTP/1.1\r\n\r\n"
		     "GET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
		     "HTTP/1.1 204 No Content\r\n\r\n"
		     "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"
		     "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 4);
	cr_expect_str_eq(r->x[0].method, "HEAD");
	cr_expect_eq(r->x[0].status, 200);
	cr_expect_eq(r->x[0].resp_len, 0);
	cr_expect(r->x[0].complete);
	cr_expect_eq(r->x[1].status, 204);
	cr_expect_eq(r->x[2].status, 304);
	cr_expect_eq(r->x[3].status, 200);
	cr_expect_str_eq(r->x[3].resp_body, "abc");
	cr_expect(!r->x[3].after_close);
	run_free(r);
	free(r);
}

Test(http1, close_delimited_response)
{
	static const struct step s[] = {
		D(E, "GET /stream HTTP/1.1\r\nHost: h\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nstreamed "),
		D(I, "until close"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 1);
	cr_expect(r->x[0].after_close);
	cr_expect(r->x[0].complete, "EOF is this response's framing");
	cr_expect_str_eq(r->x[0].resp_body, "streamed until close");
	run_free(r);
	free(r);
}

Test(http1, server_role)
{
	static const struct step s[] = {
		D(I, "POST /v1/messages HTTP/1.1\r\nHost: localhost:8080\r\nContent-Length: 2\r\n\r\n{}"),
		D(E, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone"),
		END,
	};
	struct opts o = { .role = AR_ROLE_SERVER };
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &o);
	cr_assert_eq(r->n, 1);
	cr_expect_str_eq(r->x[0].target, "/v1/messages");
	cr_expect_str_eq(r->x[0].host, "localhost:8080");
	cr_expect_str_eq(r->x[0].req_body, "{}");
	cr_expect_str_eq(r->x[0].resp_body, "done");
	cr_expect_eq(r->x[0].req_tid, 101);
	run_free(r);
	free(r);
}

Test(http1, tls_sniffs_request_direction)
{
	/* role says client, but TLS plaintext is sniffed: requests come in */
	static const struct step s[] = {
		D(I, "GET /in HTTP/1.1\r\nHost: h\r\n\r\n"),
		D(E, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
		END,
	};
	struct opts o = { .role = AR_ROLE_CLIENT, .tls = true };
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &o);
	cr_assert_eq(r->n, 1);
	cr_expect_str_eq(r->x[0].target, "/in");
	cr_expect_str_eq(r->x[0].resp_body, "ok");
	run_free(r);
	free(r);
}

Test(http1, unknown_role_starting_mid_response)
{
	static const struct step s[] = {
		D(I, "d of an earlier body\"}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
		D(E, "GET /next HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes"),
		END,
	};
	struct opts o = { .role = AR_ROLE_UNKNOWN };
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &o);
	cr_assert_eq(r->n, 1);
	cr_expect_str_eq(r->x[0].target, "/next");
	cr_expect_str_eq(r->x[0].resp_body, "yes");
	cr_expect_eq(r->st.unpaired_responses, 1);
	cr_expect_eq(r->st.non_http_bytes, 22);
	run_free(r);
	free(r);
}

/* ---------------------------------------------------------------------- */
/* Content-Encoding */

static size_t gz(const char *in, size_t n, int wb, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };

	cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, wb, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

/* One exchange whose response body is body[n] with the given headers. */
static void encoded_exchange(struct run *r, const char *hdrs, const void *body, size_t n)
{
	static char head[512];
	struct step s[] = {
		D(E, "POST /v1/chat/completions HTTP/1.1\r\nAccept-Encoding: gzip, br, zstd\r\n"
		     "Content-Length: 2\r\n\r\n{}"),
		{ STEP_DATA, I, head, 0 },
		BIN(I, body, n),
		D(E, "GET /next HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"),
		END,
	};

	s[1].len = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n%s\r\n", hdrs);
	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 2);
	cr_expect_str_eq(r->x[1].resp_body, "next", "the connection continues");
}

#define PLAIN br_fixture_plain
#define PLAIN_LEN (sizeof(br_fixture_plain) - 1)

static void expect_plain_body(struct run *r)
{
	cr_expect_eq(r->x[0].resp_len, PLAIN_LEN);
	cr_expect_str_eq(r->x[0].resp_body, PLAIN);
	cr_expect(!r->x[0].resp_df);
	cr_expect(!r->x[0].resp_trunc);
	cr_expect_eq(r->st.decode_errors, 0);
}

Test(http1, gzip_body_content_length)
{
	uint8_t z[4096];
	char hdrs[128];
	size_t n = gz(PLAIN, PLAIN_LEN, 16 + 15, z, sizeof(z));
	struct run *r = calloc(1, sizeof(*r));

	snprintf(hdrs, sizeof(hdrs), "Content-Encoding: gzip\r\nContent-Length: %zu\r\n", n);
	encoded_exchange(r, hdrs, z, n);
	expect_plain_body(r);
	run_free(r);
	free(r);
}

Test(http1, deflate_body_chunked)
{
	uint8_t z[4096], chunked[8192];
	size_t n = gz(PLAIN, PLAIN_LEN, 15, z, sizeof(z)), m = 0;
	struct run *r = calloc(1, sizeof(*r));

	/* two chunks, split mid-stream */
	m += (size_t)sprintf((char *)chunked + m, "%zx\r\n", n / 2);
	memcpy(chunked + m, z, n / 2);
	m += n / 2;
	m += (size_t)sprintf((char *)chunked + m, "\r\n%zx\r\n", n - n / 2);
	memcpy(chunked + m, z + n / 2, n - n / 2);
	m += n - n / 2;
	m += (size_t)sprintf((char *)chunked + m, "\r\n0\r\n\r\n");
	encoded_exchange(r, "Content-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n", chunked, m);
	expect_plain_body(r);
	run_free(r);
	free(r);
}

Test(http1, raw_deflate_body)
{
	uint8_t z[4096];
	char hdrs[128];
	size_t n = gz(PLAIN, PLAIN_LEN, -15, z, sizeof(z));
	struct run *r = calloc(1, sizeof(*r));

	snprintf(hdrs, sizeof(hdrs), "Content-Encoding: deflate\r\nContent-Length: %zu\r\n", n);
	encoded_exchange(r, hdrs, z, n);
	expect_plain_body(r);
	run_free(r);
	free(r);
}

Test(http1, brotli_body)
{
	char hdrs[128];
	struct run *r = calloc(1, sizeof(*r));

	snprintf(hdrs, sizeof(hdrs), "Content-Encoding: br\r\nContent-Length: %zu\r\n",
		 sizeof(br_fixture_br));
	encoded_exchange(r, hdrs, br_fixture_br, sizeof(br_fixture_br));
	expect_plain_body(r);
	run_free(r);
	free(r);
}

Test(http1, zstd_body)
{
	uint8_t z[4096];
	char hdrs[128];
	size_t n = ZSTD_compress(z, sizeof(z), PLAIN, PLAIN_LEN, 3);
	struct run *r = calloc(1, sizeof(*r));

	cr_assert(!ZSTD_isError(n));
	snprintf(hdrs, sizeof(hdrs), "Content-Encoding: zstd\r\nContent-Length: %zu\r\n", n);
	encoded_exchange(r, hdrs, z, n);
	expect_plain_body(r);
	run_free(r);
	free(r);
}

Test(http1, stacked_encodings_over_two_headers)
{
	char hdrs[160];
	struct run *r = calloc(1, sizeof(*r));

	snprintf(hdrs, sizeof(hdrs),
		 "Content-Encoding: gzip\r\nContent-Encoding: br\r\nContent-Length: %zu\r\n",
		 sizeof(br_fixture_br_gzip));
	encoded_exchange(r, hdrs, br_fixture_br_gzip, sizeof(br_fixture_br_gzip));
	expect_plain_body(r);
	run_free(r);
	free(r);
}

Test(http1, unknown_and_corrupt_encodings_are_counted)
{
	static const uint8_t junk[] = "this is not gzip at all, not even close.";
	struct run *r = calloc(1, sizeof(*r));
	char hdrs[128];

	snprintf(hdrs, sizeof(hdrs), "Content-Encoding: compress\r\nContent-Length: %zu\r\n",
		 sizeof(junk) - 1);
	encoded_exchange(r, hdrs, junk, sizeof(junk) - 1);
	cr_expect(r->x[0].resp_df);
	cr_expect_str_eq(r->x[0].resp_body, (const char *)junk, "unknown coding: kept raw");
	cr_expect_eq(r->st.decode_errors, 1);
	run_free(r);

	snprintf(hdrs, sizeof(hdrs), "Content-Encoding: gzip\r\nContent-Length: %zu\r\n",
		 sizeof(junk) - 1);
	encoded_exchange(r, hdrs, junk, sizeof(junk) - 1);
	cr_expect(r->x[0].resp_df);
	cr_expect(r->x[0].resp_trunc);
	cr_expect_eq(r->x[0].resp_len, 0);
	cr_expect(r->x[0].complete, "framing was fine");
	cr_expect_eq(r->st.decode_errors, 1);
	run_free(r);
	free(r);
}

/* ---------------------------------------------------------------------- */
/* caps */

Test(http1, body_over_cap_is_truncated)
{
	static const struct step s[] = {
		D(E, "POST /big HTTP/1.1\r\nContent-Length: 40\r\n\r\n0123456789012345678901234567890123456789"),
		D(I, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "14\r\nabcdefghijklmnopqrst\r\n14\r\nabcdefghijklmnopqrst\r\n0\r\n\r\n"),
		D(E, "GET /small HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
		END,
	};
	struct opts o = { .role = AR_ROLE_CLIENT, .cfg = { .max_body_bytes = 16 } };
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &o);
	cr_assert_eq(r->n, 2);
	cr_expect_str_eq(r->x[0].req_body, "0123456789012345");
	cr_expect(r->x[0].req_trunc);
	cr_expect_str_eq(r->x[0].resp_body, "abcdefghijklmnop");
	cr_expect(r->x[0].resp_trunc);
	cr_expect(r->x[0].complete);
	cr_expect(!r->x[1].resp_trunc);
	cr_expect_eq(r->st.body_truncated, 2);
	run_free(r);
	free(r);
}

static char big_header_req[2048], big_header_resp[2048];

static void make_big_headers(void)
{
	char pad[1100];

	memset(pad, 'a', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = 0;
	snprintf(big_header_req, sizeof(big_header_req),
		 "GET /huge HTTP/1.1\r\nX-Pad: %s\r\n\r\n", pad);
	snprintf(big_header_resp, sizeof(big_header_resp),
		 "HTTP/1.1 502 Bad Gateway\r\nX-Pad: %s\r\nContent-Length: 2\r\n\r\nno", pad);
}

Test(http1, header_over_cap_request_is_dropped)
{
	struct step s[] = {
		{ STEP_DATA, E, big_header_req, 0 },
		D(I, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n"),
		D(E, "GET /fine HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
		END,
	};
	struct opts o = { .role = AR_ROLE_CLIENT, .cfg = { .max_header_bytes = 256 },
			  .skip_count_varies = true };
	struct run *r = calloc(1, sizeof(*r));

	make_big_headers();
	s[0].len = strlen(big_header_req);
	check(r, s, &o);
	cr_assert_eq(r->n, 1, "the oversized request is a counted drop");
	cr_expect_str_eq(r->x[0].target, "/fine");
	cr_expect_eq(r->x[0].status, 200, "its 431 did not shift the pairing");
	cr_expect_eq(r->st.header_overflows, 1);
	cr_expect_eq(r->st.resyncs, 1);
	run_free(r);
	free(r);
}

Test(http1, header_over_cap_response_is_dropped)
{
	struct step s[] = {
		D(E, "GET /a HTTP/1.1\r\n\r\n"),
		{ STEP_DATA, I, big_header_resp, 0 },
		D(E, "GET /b HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
		END,
	};
	struct opts o = { .role = AR_ROLE_CLIENT, .cfg = { .max_header_bytes = 256 },
			  .skip_count_varies = true };
	struct run *r = calloc(1, sizeof(*r));

	make_big_headers();
	s[1].len = strlen(big_header_resp);
	check(r, s, &o);
	cr_assert_eq(r->n, 2);
	cr_expect_str_eq(r->x[0].target, "/a");
	cr_expect_eq(r->x[0].status, 502);
	cr_expect(!r->x[0].complete);
	cr_expect_eq(r->x[0].resp_nh, 0);
	cr_expect_str_eq(r->x[1].target, "/b");
	cr_expect_str_eq(r->x[1].resp_body, "ok");
	cr_expect_eq(r->st.header_overflows, 1);
	run_free(r);
	free(r);
}

/* ---------------------------------------------------------------------- */
/* gaps and recovery */

Test(http1, gap_in_response_body)
{
	static const struct step s[] = {
		D(E, "GET /1 HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"),
		GAP(I, 90),
		D(E, "GET /2 HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 2);
	cr_expect_str_eq(r->x[0].target, "/1");
	cr_expect(r->x[0].gap);
	cr_expect(!r->x[0].complete);
	cr_expect_eq(r->x[0].status, 200);
	cr_expect_str_eq(r->x[0].resp_body, "0123456789");
	cr_expect(r->x[0].resp_trunc);
	cr_expect(!r->x[0].after_close, "emitted at the gap");
	cr_expect_str_eq(r->x[1].target, "/2");
	cr_expect(!r->x[1].gap);
	cr_expect(r->x[1].complete);
	cr_expect_str_eq(r->x[1].resp_body, "two");
	cr_expect_eq(r->st.resyncs, 1);
	run_free(r);
	free(r);
}

Test(http1, gap_in_request_body_and_resync_mid_data)
{
	static const struct step s[] = {
		D(E, "POST /1 HTTP/1.1\r\nContent-Length: 100\r\n\r\n0123456789"),
		GAP(E, 80),
		/* the rest of the body, then the next request in the same chunk */
		D(E, "abcdefghijGET /2 HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 2);
	cr_expect_str_eq(r->x[0].target, "/1");
	cr_expect(r->x[0].gap);
	cr_expect(r->x[0].req_trunc);
	cr_expect_str_eq(r->x[0].req_body, "0123456789");
	cr_expect_str_eq(r->x[0].resp_body, "one");
	cr_expect(r->x[0].complete);
	cr_expect_str_eq(r->x[1].target, "/2");
	cr_expect_str_eq(r->x[1].resp_body, "two");
	cr_expect_eq(r->st.resyncs, 1);
	cr_expect_eq(r->st.non_http_bytes, 10);
	run_free(r);
	free(r);
}

Test(http1, lost_request_keeps_pairing)
{
	static const struct step s[] = {
		D(E, "GET /1 HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"),
		GAP(E, 40), /* all of request 2 */
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"),
		D(E, "GET /3 HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthree"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 2);
	cr_expect_str_eq(r->x[0].resp_body, "one");
	cr_expect_str_eq(r->x[1].target, "/3");
	cr_expect_str_eq(r->x[1].resp_body, "three");
	run_free(r);
	free(r);
}

Test(http1, lost_response_at_boundary)
{
	static const struct step s[] = {
		D(E, "GET /1 HTTP/1.1\r\n\r\n"),
		GAP(I, 60), /* all of response 1 */
		D(E, "GET /2 HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 2);
	cr_expect_str_eq(r->x[0].target, "/1");
	cr_expect_eq(r->x[0].status, 0);
	cr_expect(r->x[0].gap);
	cr_expect(!r->x[0].complete);
	cr_expect_str_eq(r->x[1].target, "/2");
	cr_expect_str_eq(r->x[1].resp_body, "two");
	run_free(r);
	free(r);
}

Test(http1, garbage_before_first_request)
{
	static const struct step s[] = {
		D(E, "\x16\x03\x01\x02\x00garbage\r\nPOST and more\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 1);
	cr_expect_str_eq(r->x[0].target, "/");
	cr_expect_eq(r->st.non_http_bytes, 29, "%llu", (unsigned long long)r->st.non_http_bytes);
	cr_expect_eq(r->st.parse_errors, 0);
	run_free(r);
	free(r);
}

Test(http1, malformed_request_is_dropped)
{
	static const struct step s[] = {
		D(E, "GET /bad HTTP/1.1\r\nHost: h\r\nBad Header Line\r\n\r\n"),
		D(I, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
		D(E, "GET /ok HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 1);
	cr_expect_str_eq(r->x[0].target, "/ok");
	cr_expect_eq(r->x[0].status, 200);
	cr_expect_eq(r->st.parse_errors, 1);
	cr_expect_eq(r->st.resyncs, 1);
	run_free(r);
	free(r);
}

Test(http1, bad_chunk_framing)
{
	static const struct step s[] = {
		D(E, "GET /1 HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n"),
		D(E, "GET /2 HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "FFFFFFFFFFFFFFFFFFFFFFFF\r\nabc\r\n"),
		D(E, "GET /3 HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n3"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 3);
	cr_expect(!r->x[0].complete);
	cr_expect_str_eq(r->x[0].resp_body, "hello");
	cr_expect(!r->x[1].complete, "chunk size overflow");
	cr_expect_eq(r->x[1].resp_len, 0);
	cr_expect(r->x[2].complete);
	cr_expect_str_eq(r->x[2].resp_body, "3");
	cr_expect_eq(r->st.parse_errors, 2);
	run_free(r);
	free(r);
}

Test(http1, truncated_chunk_at_close)
{
	static const struct step s[] = {
		D(E, "GET /1 HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7FFFFFFF\r\nhel"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 1);
	cr_expect(r->x[0].after_close);
	cr_expect(!r->x[0].complete);
	cr_expect(r->x[0].resp_trunc);
	cr_expect_str_eq(r->x[0].resp_body, "hel");
	run_free(r);
	free(r);
}

Test(http1, close_emits_unanswered_requests)
{
	static const struct step s[] = {
		D(E, "GET /answered HTTP/1.1\r\n\r\nPOST /waiting HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
		     "POST /cut HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 3);
	cr_expect(!r->x[0].after_close);
	cr_expect_str_eq(r->x[1].target, "/waiting");
	cr_expect_eq(r->x[1].status, 0);
	cr_expect(!r->x[1].complete);
	cr_expect(r->x[1].after_close);
	cr_expect_str_eq(r->x[1].req_body, "{}");
	cr_expect_str_eq(r->x[2].target, "/cut");
	cr_expect_str_eq(r->x[2].req_body, "abc");
	cr_expect(r->x[2].req_trunc);
	run_free(r);
	free(r);
}

Test(http1, pipeline_overflow_is_bounded)
{
	static char reqs[40 * 24];
	struct step s[] = { { STEP_DATA, E, reqs, 0 }, END };
	struct run *r = calloc(1, sizeof(*r));
	size_t n = 0;

	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(reqs + n, "GET /%02d HTTP/1.1\r\n\r\n", i);
	s[0].len = n;
	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 40);
	cr_expect_eq(r->st.pipeline_overflows, 8);
	cr_expect_str_eq(r->x[0].target, "/00");
	cr_expect(!r->x[7].after_close);
	cr_expect(r->x[8].after_close);
	cr_expect_str_eq(r->x[39].target, "/39");
	for (int i = 0; i < 40; i++)
		cr_expect_eq(r->x[i].status, 0);
	run_free(r);
	free(r);
}

Test(http1, websocket_upgrade_becomes_tunnel)
{
	static const struct step s[] = {
		D(E, "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
		     "\x81\x85\x00\x00\x00\x00hello"),
		D(I, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
		     "\x81\x05world"),
		D(E, "GET / HTTP/1.1\r\n\r\n"), /* inside the tunnel: not HTTP any more */
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 1);
	cr_expect_eq(r->x[0].status, 101);
	cr_expect(r->x[0].complete);
	cr_expect_eq(r->st.parse_errors, 0);
	cr_expect_eq(r->st.non_http_bytes, 11 + 7 + 18);
	run_free(r);
	free(r);
}

Test(http1, refused_upgrade_stays_http)
{
	static const struct step s[] = {
		D(E, "GET /a HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"),
		D(E, "GET /b HTTP/1.1\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 2);
	cr_expect_str_eq(r->x[1].target, "/b");
	cr_expect_str_eq(r->x[1].resp_body, "b");
	run_free(r);
	free(r);
}

Test(http1, non_http_stream_is_skipped_and_bounded)
{
	size_t n = 3 << 20;
	uint8_t *junk = malloc(n);
	struct step s[] = { BIN(E, junk, n / 2), BIN(I, junk + n / 2, n / 2), END };
	unsigned seed = 5;
	struct run *r = calloc(1, sizeof(*r));

	/* lowercase noise with some H and G so the scanner has work to do */
	for (size_t i = 0; i < n; i++) {
		unsigned v = (unsigned)rand_r(&seed) % 30;

		junk[i] = v < 26 ? (uint8_t)('a' + v) : "HGTP"[v - 26];
	}
	run_script(r, s, &CLIENT, 0);
	cr_expect_eq(r->n, 0);
	cr_expect_eq(r->st.non_http_bytes, n);
	cr_expect_eq(r->st.parse_errors, 0);
	run_free(r);
	free(r);
	free(junk);
}

Test(http1, random_bytes_never_crash)
{
	/* random bytes sprinkled with real messages, in random splits */
	static const char *frags[] = {
		"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
		"Transfer-Encoding: chunked\r\n", "\r\n", "0\r\n\r\n", "HTTP/1.1 100 Continue\r\n\r\n",
		"Content-Encoding: gzip\r\n", "POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\n",
		"HEAD / HTTP/1.0\r\n", "ffffffff\r\n", "\x1f\x8b\x08",
	};
	unsigned seed = 1234;

	for (int iter = 0; iter < 40; iter++) {
		struct run *r = calloc(1, sizeof(*r));
		struct conn_meta *c = &r->c;
		struct http_tracker *t = http_tracker__new(NULL, on_exchange, r);
		struct stream_sink sk = http_tracker__sink(t);
		struct http_stats st;

		c->role = (uint8_t)(iter % 3);
		c->is_tls = iter % 4 == 3;
		for (int k = 0; k < 300; k++) {
			char buf[256];
			size_t len;
			int dir = rand_r(&seed) % 2;

			if (rand_r(&seed) % 3) {
				const char *f = frags[rand_r(&seed) % (sizeof(frags) / sizeof(frags[0]))];

				len = strlen(f);
				memcpy(buf, f, len);
			} else {
				len = 1 + (size_t)rand_r(&seed) % sizeof(buf);
				for (size_t i = 0; i < len; i++)
					buf[i] = (char)rand_r(&seed);
			}
			if (rand_r(&seed) % 50 == 0)
				sk.on_gap(sk.ctx, c, dir, 1 + (uint64_t)rand_r(&seed) % 100);
			sk.on_data(sk.ctx, c, dir, (const uint8_t *)buf, len, (uint64_t)k, 1);
			if (r->n > MAX_X - 8) {
				for (int i = 0; i < r->n; i++) {
					free(r->x[i].req_body);
					free(r->x[i].resp_body);
				}
				r->n = 0;
			}
		}
		sk.on_close(sk.ctx, c);
		cr_expect_null(c->user);
		http_tracker__stats(t, &st);
		cr_expect_gt(st.non_http_bytes + st.parse_errors + st.exchanges, 0);
		r->t = t;
		run_free(r);
		free(r);
	}
}

/* Host and Content-Type come from the first header of that name, in any
 * case; names of the same length that differ (even only in '-') are not
 * taken, however the bytes are split. */
Test(http1, first_host_and_content_type_whatever_the_case)
{
	static const struct step s[] = {
		D(E, "POST /p HTTP/1.1\r\nHosx: no\r\nHOST:  first \r\nhost: second\r\n"
		     "Content_Type: text/no\r\nContent-Typo: text/no\r\n"
		     "CONTENT-type: Text/HTML ; q=1\r\ncontent-type: application/json\r\n"
		     "Content-Length: 2\r\n\r\nhi"),
		D(I, "HTTP/1.1 200 OK\r\nX: 1\r\ncOnTeNt-TyPe:\tApplication/X-NDJSON\t\r\n"
		     "Content-Length: 0\r\n\r\n"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 1);
	cr_expect_str_eq(r->x[0].host, "first");
	cr_expect_str_eq(r->x[0].req_ct, "text/html");
	cr_expect_str_eq(r->x[0].resp_ct, "application/x-ndjson");
	cr_expect_eq(r->x[0].req_nh, 8);
	cr_expect_eq(r->x[0].resp_nh, 3);
	run_free(r);
	free(r);
}

/* Without a name-complete callback a name ends at its value; empty values
 * must still close their header so the next name starts a new one. */
Test(http1, empty_values_close_their_header)
{
	static const struct step s[] = {
		D(E, "GET / HTTP/1.1\r\nA:\r\nB: \r\nHost:\r\nC:x\r\n\r\n"),
		D(I, "HTTP/1.1 204 No Content\r\nX-Empty:\r\nX-Request-Id: id\r\n\r\n"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 1);
	cr_expect_eq(r->x[0].req_nh, 4);
	cr_expect_str_eq(r->x[0].host, "");
	cr_expect(r->x[0].has_empty);
	cr_expect_str_eq(r->x[0].xid, "id");
	cr_assert_not_null(strstr(r->log, " A= B= Host= C=x "), "%s", r->log);
	run_free(r);
	free(r);
}

/* Content-Encoding over several lines is one list, wherever it sits. */
Test(http1, content_encoding_lines_join)
{
	static const struct step s[] = {
		D(E, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
		D(I, "HTTP/1.1 200 OK\r\nCONTENT-ENCODING: identity\r\nX: y\r\n"
		     "content-encoding: bogus\r\nContent-Length: 2\r\n\r\nok"),
		END,
	};
	struct run *r = calloc(1, sizeof(*r));

	check(r, s, &CLIENT);
	cr_assert_eq(r->n, 1);
	cr_expect(r->x[0].resp_df, "identity, bogus: the unknown coding is reported");
	cr_expect_str_eq(r->x[0].resp_body, "ok", "and the body kept as received");
	cr_expect_eq(r->st.decode_errors, 1);
	run_free(r);
	free(r);
}

static char *many_headers(unsigned n, size_t *len)
{
	size_t cap = 64 + (size_t)n * 16, off = 0;
	char *b = malloc(cap);

	off += (size_t)snprintf(b + off, cap - off, "GET / HTTP/1.1\r\n");
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(b + off, cap - off, "h%u: v\r\n", i);
	off += (size_t)snprintf(b + off, cap - off, "\r\n");
	*len = off;
	return b;
}

/* At most 1024 headers a message: one more is an overflow, counted, and
 * the request is dropped. */
Test(http1, header_count_cap)
{
	static const struct opts o = { .role = AR_ROLE_CLIENT, .skip_count_varies = true };

	for (unsigned n = 1024; n <= 1025; n++) {
		size_t len;
		char *req = many_headers(n, &len);
		const struct step s[] = {
			BIN(E, req, len),
			D(I, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
			END,
		};
		struct run *r = calloc(1, sizeof(*r));

		check(r, s, &o);
		if (n == 1024) {
			cr_assert_eq(r->n, 1);
			cr_expect_eq(r->x[0].req_nh, 1024);
			cr_expect_eq(r->st.header_overflows, 0);
		} else {
			cr_expect_eq(r->n, 0);
			cr_expect_eq(r->st.header_overflows, 1);
		}
		run_free(r);
		free(r);
		free(req);
	}
}

struct ms_run {
	size_t req_nh_at_milestone, req_nh_at_emit;
	char last_name[32];
	int milestones;
};

static void ms_exchange(void *ctx, const struct http_exchange *x)
{
	struct ms_run *m = ctx;
	const struct header_view *h = &x->req.headers[x->req.n_headers - 1];

	m->req_nh_at_emit = x->req.n_headers;
	snprintf(m->last_name, sizeof(m->last_name), "%.*s=%.*s", (int)h->name_len, h->name,
		 (int)h->value_len, h->value);
}

static void ms_milestone(void *ctx, const struct http_exchange *x, enum http_milestone what)
{
	struct ms_run *m = ctx;

	m->milestones++;
	if (what == HTTP_REQ_HEADERS)
		m->req_nh_at_milestone = x->req.n_headers;
}

/* Header views built for a milestone are rebuilt when trailers (and more
 * raw bytes, which may move the buffer) come in before the exchange ends. */
Test(http1, trailers_after_a_milestone_show_at_emit)
{
	static const char req[] = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
				  "3\r\nabc\r\n0\r\nX-Trailer:  t \r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	struct http_cfg cfg = { .on_milestone = ms_milestone };
	struct ms_run m = { 0 };
	struct http_tracker *t = http_tracker__new(&cfg, ms_exchange, &m);
	struct stream_sink sk = http_tracker__sink(t);
	struct conn_meta c = { .conn_id = 1, .role = AR_ROLE_CLIENT, .fd = 3 };

	sk.on_open(sk.ctx, &c);
	sk.on_data(sk.ctx, &c, E, (const uint8_t *)req, sizeof(req) - 1, 1, 1);
	sk.on_data(sk.ctx, &c, I, (const uint8_t *)resp, sizeof(resp) - 1, 2, 1);
	sk.on_close(sk.ctx, &c);
	http_tracker__free(t);
	cr_expect_eq(m.milestones, 2);
	cr_expect_eq(m.req_nh_at_milestone, 2);
	cr_expect_eq(m.req_nh_at_emit, 3);
	cr_expect_str_eq(m.last_name, "X-Trailer=t");
}
