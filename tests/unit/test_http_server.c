// SPDX-License-Identifier: MIT
/* Inbound requests: real HTTP/1.1 bytes read by a server-role connection
 * become one SERVER span (HTTP server semconv), with the milestones that
 * trace context needs reported on the way. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>

#include "conn/stream.h"
#include "proto/http1.h"
#include "server/http_server.h"
#include "trace/semconv.h"

struct seen {
	struct span *span;
	int exchanges;
	int milestones[3];
	uint32_t last_index;
	bool inbound;
};

static void on_x(void *ctx, const struct http_exchange *x)
{
	struct seen *s = ctx;

	s->exchanges++;
	s->inbound = x->inbound;
	s->last_index = x->req_index;
	span__free(s->span);
	s->span = http_server__span(x, 0);
}

static void on_m(void *ctx, const struct http_exchange *x, enum http_milestone what)
{
	struct seen *s = ctx;

	cr_expect(x->inbound, "milestone of an inbound request");
	s->milestones[what]++;
}

static const char *str(const struct span *s, const char *k)
{
	const struct attr *a = span__get(s, k);

	return a && a->type == ATTR_STR ? a->s : NULL;
}

static int64_t num(const struct span *s, const char *k)
{
	const struct attr *a = span__get(s, k);

	return a && a->type == ATTR_INT ? a->i : -1;
}

static void feed(struct http1 *h, const struct conn_meta *c, int dir, const char *b, uint64_t ts)
{
	http1__feed(h, c, dir, (const uint8_t *)b, strlen(b), ts, 77);
}

Test(http_server, accepted_request_becomes_a_server_span)
{
	struct http_cfg cfg = { .on_milestone = on_m };
	struct http_stats st = { 0 };
	struct seen seen = { 0 };
	struct conn_meta c = { .conn_id = 5, .tgid = 10, .role = AR_ROLE_SERVER, .has_tuple = true };
	struct http1 *h;

	c.tuple.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", c.tuple.saddr);
	inet_pton(AF_INET, "10.0.0.9", c.tuple.daddr);
	c.tuple.sport = 8080;
	c.tuple.dport = 51234;
	http_cfg__defaults(&cfg);
	h = http1__new(&cfg, &st, on_x, &seen, &c);
	cr_assert_not_null(h);
	feed(h, &c, AR_DIR_INGRESS, "POST /v1/chat/completions?api_key=sk-live-1&x=2 HTTP/1.1\r\n"
	     "Host: llm.internal\r\nUser-Agent: OpenAI/Python 1.40\r\nContent-Length: 2\r\n\r\n{}",
	     1000);
	cr_expect_eq(seen.milestones[HTTP_REQ_HEADERS], 1);
	cr_expect_eq(seen.milestones[HTTP_RESP_HEADERS], 0);
	feed(h, &c, AR_DIR_EGRESS, "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", 5000);
	cr_expect_eq(seen.milestones[HTTP_RESP_HEADERS], 1);
	cr_assert_eq(seen.exchanges, 1);
	cr_expect(seen.inbound);
	cr_expect_eq(seen.last_index, 0);
	cr_assert_not_null(seen.span);
	cr_expect_eq(seen.span->kind, SPAN_KIND_SERVER);
	cr_expect_str_eq(seen.span->name, "POST /v1/chat/completions", "no query in the name");
	cr_expect_str_eq(str(seen.span, TS_HTTP_REQUEST_METHOD), "POST");
	cr_expect_str_eq(str(seen.span, TS_URL_PATH), "/v1/chat/completions");
	cr_expect_str_eq(str(seen.span, TS_URL_QUERY), "api_key=REDACTED&x=2");
	cr_expect_str_eq(str(seen.span, TS_URL_SCHEME), "http");
	cr_expect_str_eq(str(seen.span, TS_SERVER_ADDRESS), "llm.internal");
	cr_expect_eq(num(seen.span, TS_SERVER_PORT), 8080, "local port when Host has none");
	cr_expect_str_eq(str(seen.span, TS_CLIENT_ADDRESS), "10.0.0.9");
	cr_expect_eq(num(seen.span, TS_CLIENT_PORT), 51234);
	cr_expect_str_eq(str(seen.span, TS_NETWORK_PROTOCOL_VERSION), "1.1");
	cr_expect_str_eq(str(seen.span, TS_USER_AGENT_ORIGINAL), "OpenAI/Python 1.40");
	cr_expect_eq(num(seen.span, TS_HTTP_RESPONSE_STATUS_CODE), 503);
	cr_expect_eq(seen.span->status, SPAN_STATUS_ERROR, "5xx is the server's error");
	cr_expect_eq(seen.span->start_ns, 1000);
	cr_expect_eq(seen.span->end_ns, 5000);
	/* the next request on the connection is index 1; a 404 is the caller's */
	feed(h, &c, AR_DIR_INGRESS, "GET /missing HTTP/1.1\r\nHost: [::1]:9000\r\n\r\n", 6000);
	feed(h, &c, AR_DIR_EGRESS, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 7000);
	cr_assert_eq(seen.exchanges, 2);
	cr_expect_eq(seen.last_index, 1);
	cr_expect_str_eq(str(seen.span, TS_SERVER_ADDRESS), "::1");
	cr_expect_eq(num(seen.span, TS_SERVER_PORT), 9000);
	cr_expect_eq(seen.span->status, SPAN_STATUS_UNSET);
	cr_expect_null(str(seen.span, TS_URL_QUERY));
	span__free(seen.span);
	http1__free(h);
}

Test(http_server, a_client_connection_is_not_inbound)
{
	struct http_cfg cfg = { 0 };
	struct http_stats st = { 0 };
	struct seen seen = { 0 };
	struct conn_meta c = { .conn_id = 6, .tgid = 10, .role = AR_ROLE_CLIENT };
	struct http1 *h;

	http_cfg__defaults(&cfg);
	h = http1__new(&cfg, &st, on_x, &seen, &c);
	feed(h, &c, AR_DIR_EGRESS, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1);
	feed(h, &c, AR_DIR_INGRESS, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2);
	cr_assert_eq(seen.exchanges, 1);
	cr_expect_not(seen.inbound);
	span__free(seen.span);
	http1__free(h);
}
