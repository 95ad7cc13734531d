// SPDX-License-Identifier: MIT
/* Black-box tool spans: url.full with secrets redacted, stable payload
 * and structure hashes, HTTP client error status. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn/stream.h"
#include "tools/tools.h"
#include "tools/url.h"

struct bx {
	struct conn_meta conn;
	struct header_view rq_h[2];
	struct http_exchange x;
};

static void bx_init(struct bx *b, const char *method, const char *target, const char *host,
		    const char *req, const char *resp, const char *ctype, int status)
{
	memset(b, 0, sizeof(*b));
	b->conn.conn_id = 9;
	b->conn.tgid = 300;
	b->conn.is_tls = true;
	b->conn.role = AR_ROLE_CLIENT;
	b->x.conn = &b->conn;
	b->x.method = method;
	b->x.target = target;
	b->x.host = host;
	b->x.req.headers = b->rq_h;
	b->x.req.body = (const uint8_t *)req;
	b->x.req.body_len = strlen(req);
	b->x.req.content_type = "";
	b->x.req.ts_first = 100;
	b->x.req.ts_last = 150;
	b->x.req.tid = 301;
	b->x.resp.body = (const uint8_t *)resp;
	b->x.resp.body_len = strlen(resp);
	b->x.resp.content_type = ctype;
	b->x.resp.ts_first = 200;
	b->x.resp.ts_last = 400;
	b->x.status = status;
	b->x.resp_complete = true;
}

static struct span *run(struct tools *t, struct bx *b)
{
	struct span *s = tools__span_from_exchange(t, &b->x, 1000);

	cr_assert_not_null(s);
	return s;
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

static void url_is(const char *method, const char *target, const char *host, bool tls,
		   const char *want)
{
	struct bx b;
	char *u;

	bx_init(&b, method, target, host, "", "", "", 200);
	b.conn.is_tls = tls;
	u = url__full(&b.x);
	cr_assert_str_eq(u, want, "%s %s", method, target);
	free(u);
}

Test(tools_blackbox, url_full_and_redaction)
{
	url_is("GET", "/tools/v1/weather?city=Paris", "127.0.0.1:8443", true,
	       "https://127.0.0.1:8443/tools/v1/weather?city=Paris");
	url_is("GET", "/search?q=x&key=AIzaSECRET&x=1", "api.example.com", false,
	       "http://api.example.com/search?q=x&key=REDACTED&x=1");
	url_is("GET", "/a?api_key=s1&apikey=s2&access_token=s3&token=s4&sig=s5&signature=s6",
	       "h", true,
	       "https://h/a?api_key=REDACTED&apikey=REDACTED&access_token=REDACTED"
	       "&token=REDACTED&sig=REDACTED&signature=REDACTED");
	url_is("GET", "/a?password=p&secret=s&client_secret=c&PASSWORD=P", "h", true,
	       "https://h/a?password=REDACTED&secret=REDACTED&client_secret=REDACTED"
	       "&PASSWORD=REDACTED");
	url_is("GET",
	       "/bucket/o?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F2026&X-Amz-Signature=abc"
	       "&X-Amz-Security-Token=t&AWSAccessKeyId=A&Signature=S&X-Goog-Signature=g",
	       "s3.example.com", true,
	       "https://s3.example.com/bucket/o?X-Amz-Algorithm=AWS4&X-Amz-Credential=REDACTED"
	       "&X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED&AWSAccessKeyId=REDACTED"
	       "&Signature=REDACTED&X-Goog-Signature=REDACTED");
	/* percent-encoded key names, empty values, keys without values */
	url_is("GET", "/a?api%5Fkey=s&token=&key&keyboard=k", "h", true,
	       "https://h/a?api%5Fkey=REDACTED&token=REDACTED&key&keyboard=k");
	/* absolute-form (a proxy request) with userinfo */
	url_is("GET", "http://user:pw@proxy.example.com:3128/p?token=t", "ignored", false,
	       "http://REDACTED:REDACTED@proxy.example.com:3128/p?token=REDACTED");
	url_is("GET", "/v?x=1#frag", "[::1]:9000", false, "http://[::1]:9000/v?x=1");
	url_is("CONNECT", "upstream.example.com:443", "upstream.example.com:443", false,
	       "http://upstream.example.com:443");
	url_is("OPTIONS", "*", "h:81", false, "http://h:81");
}

Test(tools_blackbox, url_from_peer_when_no_host)
{
	struct bx b;
	char *u;

	bx_init(&b, "GET", "/x", "", "", "", "", 200);
	b.conn.is_tls = false;
	b.conn.has_tuple = true;
	b.conn.tuple.family = AF_INET;
	inet_pton(AF_INET, "10.1.2.3", b.conn.tuple.daddr);
	b.conn.tuple.dport = 8080;
	u = url__full(&b.x);
	cr_assert_str_eq(u, "http://10.1.2.3:8080/x");
	free(u);
}

/* url.full and server.* on the span: one split of target and Host
 * serves both, so they must agree with url__full and url__server. */
static void net_is(const char *method, const char *target, const char *host, bool tls,
		   const char *url, const char *addr, int port)
{
	struct tools *t = tools__new(NULL);
	struct url_server sv;
	struct url_req u;
	struct url_str b;
	struct span *s;
	struct bx x;
	char *full;

	bx_init(&x, method, target, host, "", "", "", 200);
	x.conn.is_tls = tls;
	s = run(t, &x);
	cr_assert_str_eq(str(s, "url.full"), url, "%s %s", target, host);
	if (addr)
		cr_assert_str_eq(str(s, "server.address"), addr, "%s %s", target, host);
	else
		cr_assert_null(span__get(s, "server.address"), "%s %s", target, host);
	cr_assert_eq(num(s, "server.port"), port, "%s %s", target, host);

	url__split(&x.x, &u);
	cr_assert_eq(url__full_str(&u, &b), 0);
	cr_assert_str_eq(b.s, url);
	cr_assert_eq(b.n, strlen(url));
	url_str__release(&b);
	full = url__full(&x.x);
	cr_assert_str_eq(full, url);
	free(full);
	url__server(&x.x, &sv);
	cr_assert_str_eq(sv.addr, addr ? addr : "");
	cr_assert_eq(sv.addr_len, strlen(sv.addr));
	cr_assert_eq(sv.port, port < 0 ? 0 : port);
	span__free(s);
	tools__free(t);
}

Test(tools_blackbox, url_pieces_split_once)
{
	/* origin-form: Host gives the authority, the connection the scheme */
	net_is("GET", "/", "127.0.0.1:33819", true, "https://127.0.0.1:33819/", "127.0.0.1", 33819);
	/* default ports by scheme */
	net_is("GET", "/a", "example.com", true, "https://example.com/a", "example.com", 443);
	net_is("GET", "/a", "example.com", false, "http://example.com/a", "example.com", 80);
	/* absolute-form: scheme and authority from the target, not Host or TLS */
	net_is("GET", "http://proxy.example.com:3128/p?q=1", "other:1", true,
	       "http://proxy.example.com:3128/p?q=1", "proxy.example.com", 3128);
	net_is("GET", "HTTPS://Up.Example.com/x", "other", false, "https://Up.Example.com/x",
	       "Up.Example.com", 443);
	net_is("GET", "https://u:pw@h.example.com?x=1", "", false,
	       "https://REDACTED:REDACTED@h.example.com?x=1", "h.example.com", 443);
	/* not absolute-form: another scheme, or http without "//" */
	net_is("GET", "ftp://x/y", "h:21", false, "http://h:21ftp://x/y", "h", 21);
	net_is("GET", "http:/x", "h", false, "http://hhttp:/x", "h", 80);
	/* IPv6 literals, with and without a port */
	net_is("GET", "/v6", "[fe80::1]:8443", false, "http://[fe80::1]:8443/v6", "fe80::1", 8443);
	net_is("GET", "/v6", "[::1]", true, "https://[::1]/v6", "::1", 443);
	net_is("GET", "http://[2001:db8::2]:81/z", "", false, "http://[2001:db8::2]:81/z",
	       "2001:db8::2", 81);
	/* a bare v6 address (two colons) is all host */
	net_is("GET", "/", "fe80::1", false, "http://fe80::1/", "fe80::1", 80);
	/* a port out of range or not a number is dropped for server.port */
	net_is("GET", "/", "h:99999", false, "http://h:99999/", "h", 80);
	net_is("GET", "/", "h:x1", true, "https://h:x1/", "h", 443);
	/* CONNECT: url.full from the target, server.* from Host */
	net_is("CONNECT", "up.example.com:8443", "up.example.com:8443", false,
	       "http://up.example.com:8443", "up.example.com", 8443);
	net_is("connect", "a.example.com:443", "b.example.com:444", true,
	       "https://a.example.com:443", "b.example.com", 444);
}

Test(tools_blackbox, url_longer_than_the_small_buffer)
{
	char target[1200], want[1300];
	struct bx b;
	char *u;

	memset(target, 'a', sizeof(target) - 1);
	target[0] = '/';
	memcpy(target + 600, "?token=secret&x=", 16);
	target[sizeof(target) - 1] = '\0';
	snprintf(want, sizeof(want), "https://h%.*sREDACTED%s", 607, target,
		 target + 613);
	bx_init(&b, "GET", target, "h", "", "", "", 200);
	u = url__full(&b.x);
	cr_assert_str_eq(u, want);
	free(u);
	net_is("GET", target, "h", true, want, "h", 443);
	u = url__redact_query(target + 601, strlen(target + 601));
	cr_assert_str_eq(u, want + strlen("https://h") + 601);
	free(u);
}

Test(tools_blackbox, server_from_peer_without_host)
{
	struct tools *t = tools__new(NULL);
	struct span *s;
	struct bx b;

	bx_init(&b, "GET", "/x", "", "", "", "", 200);
	b.conn.is_tls = true;
	b.conn.has_tuple = true;
	b.conn.tuple.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::7", b.conn.tuple.daddr);
	b.conn.tuple.dport = 0;
	s = run(t, &b);
	cr_assert_str_eq(str(s, "url.full"), "https://[2001:db8::7]/x");
	cr_assert_str_eq(str(s, "server.address"), "2001:db8::7");
	cr_assert_eq(num(s, "server.port"), 443);
	span__free(s);
	tools__free(t);
}

Test(tools_blackbox, secret_keys)
{
	cr_assert(url__secret_key("KEY", 3));
	cr_assert(url__secret_key("x-amz-signature", 15));
	cr_assert(url__secret_key("api%5fkey", 9));
	cr_assert_not(url__secret_key("keys", 4));
	cr_assert_not(url__secret_key("city", 4));
	cr_assert_not(url__secret_key("monkey", 6));
}

static const char *const v1 = "{\"city\":\"Paris\",\"temp_c\":12,\"conditions\":\"sunny\","
			      "\"request_id\":\"wx1-3\"}";
static const char *const v2 = "{\"data\":{\"location\":{\"name\":\"Paris\"},\"temperature\":"
			      "{\"value\":12,\"unit\":\"C\"},\"summary\":\"sunny\"},\"meta\":"
			      "{\"request_id\":\"wx2-4\",\"version\":2}}";

Test(tools_blackbox, span_shape)
{
	struct tools *t = tools__new(NULL);
	struct span *s;
	struct bx b;

	bx_init(&b, "GET", "/tools/v1/weather?city=Paris&key=SECRETKEY", "127.0.0.1:8443", "", v1,
		"application/json", 200);
	s = run(t, &b);
	cr_assert_str_eq(s->name, "GET", "HTTP client spans are named by method");
	cr_assert_eq(s->kind, SPAN_KIND_CLIENT);
	cr_assert_eq(s->status, SPAN_STATUS_UNSET);
	cr_assert_eq(s->start_ns, 1100u);
	cr_assert_eq(s->end_ns, 1400u);
	cr_assert_eq(s->tid, 301u);
	cr_assert_eq(s->conn_id, 9u);
	cr_assert_eq(s->proc.pid, 300u);
	cr_assert_str_eq(str(s, "http.request.method"), "GET");
	cr_assert_str_eq(str(s, "url.full"),
			 "https://127.0.0.1:8443/tools/v1/weather?city=Paris&key=REDACTED");
	cr_assert_str_eq(str(s, "server.address"), "127.0.0.1");
	cr_assert_eq(num(s, "server.port"), 8443);
	cr_assert_eq(num(s, "http.response.status_code"), 200);
	cr_assert_null(span__get(s, "tool.input.hash"), "empty request body: no hash");
	/* XXH3-64 of the body, as 16 lowercase hex digits (libxxhash via python ctypes) */
	cr_assert_str_eq(str(s, "tool.output.hash"), "899f495004f91256");
	cr_assert_not_null(str(s, "tool.schema.hash"));
	cr_assert_eq(strlen(str(s, "tool.schema.hash")), 16);
	cr_assert_null(span__get(s, "error.type"));
	for (size_t i = 0; i < s->attrs.n; i++)
		if (s->attrs.v[i].type == ATTR_STR)
			cr_assert_null(strstr(s->attrs.v[i].s, "SECRETKEY"));
	span__free(s);
	tools__free(t);
}

Test(tools_blackbox, hashes_are_stable_and_tell_payloads_apart)
{
	struct tools *t1 = tools__new(NULL), *t2 = tools__new(NULL);
	struct span *a, *b2, *c, *d;
	struct bx b;

	bx_init(&b, "POST", "/t", "h", "{\"q\":1}", v1, "application/json", 200);
	a = run(t1, &b);
	b2 = run(t2, &b); /* another node: same values */
	cr_assert_str_eq(str(a, "tool.input.hash"), str(b2, "tool.input.hash"));
	cr_assert_str_eq(str(a, "tool.output.hash"), str(b2, "tool.output.hash"));
	cr_assert_str_eq(str(a, "tool.schema.hash"), str(b2, "tool.schema.hash"));
	/* other values, same shape: payload hashes differ, schema hash does not */
	bx_init(&b, "POST", "/t", "h", "{\"q\":2}",
		"{\"request_id\":\"wx1-9\",\"city\":\"Oslo\",\"temp_c\":-2.5,\"conditions\":\"snow\"}",
		"application/json", 200);
	c = run(t1, &b);
	cr_assert_str_neq(str(a, "tool.input.hash"), str(c, "tool.input.hash"));
	cr_assert_str_neq(str(a, "tool.output.hash"), str(c, "tool.output.hash"));
	cr_assert_str_eq(str(a, "tool.schema.hash"), str(c, "tool.schema.hash"));
	/* the v2 shape */
	bx_init(&b, "POST", "/t", "h", "{\"q\":1}", v2, "application/json", 200);
	d = run(t1, &b);
	cr_assert_str_eq(str(a, "tool.input.hash"), str(d, "tool.input.hash"));
	cr_assert_str_neq(str(a, "tool.schema.hash"), str(d, "tool.schema.hash"));
	span__free(a);
	span__free(b2);
	span__free(c);
	span__free(d);
	tools__free(t1);
	tools__free(t2);
}

Test(tools_blackbox, schema_hash_only_for_whole_json)
{
	struct tools *t = tools__new(NULL);
	struct tools_stats st;
	struct span *s;
	struct bx b;

	bx_init(&b, "GET", "/", "h", "", "<html><body>hi</body></html>", "text/html", 200);
	s = run(t, &b);
	cr_assert_not_null(span__get(s, "tool.output.hash"));
	cr_assert_null(span__get(s, "tool.schema.hash"));
	span__free(s);
	/* untyped JSON still counts; problem+json too */
	bx_init(&b, "GET", "/", "h", "", " {\"a\":1}", "", 200);
	s = run(t, &b);
	cr_assert_not_null(span__get(s, "tool.schema.hash"));
	span__free(s);
	bx_init(&b, "GET", "/", "h", "", "{\"a\":1}", "application/problem+json", 200);
	s = run(t, &b);
	cr_assert_not_null(span__get(s, "tool.schema.hash"));
	span__free(s);
	/* cut by the body cap: neither output hash nor schema */
	bx_init(&b, "GET", "/", "h", "", "{\"a\":1,\"b\"", "application/json", 200);
	b.x.resp.body_truncated = true;
	s = run(t, &b);
	cr_assert_null(span__get(s, "tool.output.hash"));
	cr_assert_null(span__get(s, "tool.schema.hash"));
	cr_assert_eq(s->status, SPAN_STATUS_UNSET, "our cap is not the call's error");
	span__free(s);
	/* request cut by a gap: no input hash either */
	bx_init(&b, "POST", "/", "h", "{\"q\":", "{}", "application/json", 200);
	b.x.gap = true;
	s = run(t, &b);
	cr_assert_null(span__get(s, "tool.input.hash"));
	cr_assert_null(span__get(s, "tool.output.hash"));
	span__free(s);
	tools__stats(t, &st);
	cr_assert_eq(st.schema_not_json, 1);
	cr_assert_eq(st.schema_hashes, 2);
	cr_assert_eq(st.hash_truncated, 3);
	tools__free(t);
}

Test(tools_blackbox, max_hash_bytes)
{
	struct tools_cfg cfg = { .max_hash_bytes = 8 };
	struct tools *t = tools__new(&cfg);
	struct tools_stats st;
	struct span *s;
	struct bx b;

	bx_init(&b, "POST", "/", "h", "1234567", v1, "application/json", 200);
	s = run(t, &b);
	cr_assert_not_null(span__get(s, "tool.input.hash"));
	cr_assert_null(span__get(s, "tool.output.hash"), "over the limit: no prefix hash");
	cr_assert_null(span__get(s, "tool.schema.hash"));
	span__free(s);
	tools__stats(t, &st);
	cr_assert_eq(st.hash_too_big, 1);
	tools__free(t);
}

static void status_case(struct tools *t, int status, int role, bool error, const char *type)
{
	struct span *s;
	struct bx b;

	bx_init(&b, "GET", "/", "h", "", "{}", "application/json", status);
	b.conn.role = role;
	b.conn.is_tls = false;
	s = run(t, &b);
	cr_assert_eq(s->status, error ? SPAN_STATUS_ERROR : SPAN_STATUS_UNSET, "status %d", status);
	if (type)
		cr_assert_str_eq(str(s, "error.type"), type, "status %d", status);
	else
		cr_assert_null(span__get(s, "error.type"), "status %d", status);
	cr_assert_eq(s->kind, role == AR_ROLE_SERVER ? SPAN_KIND_SERVER : SPAN_KIND_CLIENT);
	span__free(s);
}

Test(tools_blackbox, error_status_per_http_conventions)
{
	struct tools *t = tools__new(NULL);
	struct tools_stats st;

	status_case(t, 200, AR_ROLE_CLIENT, false, NULL);
	status_case(t, 302, AR_ROLE_CLIENT, false, NULL);
	status_case(t, 404, AR_ROLE_CLIENT, true, "404");
	status_case(t, 429, AR_ROLE_CLIENT, true, "429");
	status_case(t, 503, AR_ROLE_CLIENT, true, "503");
	/* a request we served: 4xx is the caller's problem, 5xx ours */
	status_case(t, 404, AR_ROLE_SERVER, false, NULL);
	status_case(t, 500, AR_ROLE_SERVER, true, "500");
	tools__stats(t, &st);
	cr_assert_eq(st.http_errors, 5);
	cr_assert_eq(st.server_spans, 2);
	tools__free(t);
}

Test(tools_blackbox, no_or_partial_response)
{
	struct tools *t = tools__new(NULL);
	struct span *s;
	struct bx b;

	bx_init(&b, "GET", "/", "h", "", "", "", 0);
	s = run(t, &b);
	cr_assert_str_eq(str(s, "error.type"), "no_response");
	cr_assert_null(span__get(s, "http.response.status_code"));
	cr_assert_eq(s->end_ns, 1400u);
	span__free(s);
	bx_init(&b, "GET", "/", "h", "", "{\"a\":", "application/json", 200);
	b.x.resp_complete = false; /* the peer closed mid-body */
	s = run(t, &b);
	cr_assert_str_eq(str(s, "error.type"), "response_incomplete");
	cr_assert_null(span__get(s, "tool.output.hash"));
	span__free(s);
	tools__free(t);
}

Test(tools_blackbox, unknown_method_is_other)
{
	struct tools *t = tools__new(NULL);
	struct span *s;
	struct bx b;

	bx_init(&b, "PROPFIND", "/dav", "h", "", "", "", 207);
	s = run(t, &b);
	cr_assert_str_eq(s->name, "HTTP");
	cr_assert_str_eq(str(s, "http.request.method"), "_OTHER");
	cr_assert_str_eq(str(s, "http.request.method_original"), "PROPFIND");
	span__free(s);
	tools__free(t);
}

Test(tools_blackbox, otlp_exports_make_no_span)
{
	struct tools *t = tools__new(NULL);
	struct tools_stats st;
	struct bx b;

	bx_init(&b, "POST", "/v1/traces", "collector:4318", "\x0a\x01", "", "", 200);
	cr_assert_null(tools__span_from_exchange(t, &b.x, 0));
	b.x.target = "/otlp/v1/logs?x=1";
	cr_assert_null(tools__span_from_exchange(t, &b.x, 0));
	b.x.method = "GET";
	b.x.target = "/v1/traces";
	struct span *s = run(t, &b);
	span__free(s);
	tools__stats(t, &st);
	cr_assert_eq(st.telemetry, 2);
	cr_assert_eq(st.nomem, 0);
	tools__free(t);
}
