// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* asprintf */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "conn/stream.h"
#include "server/http_server.h"
#include "tools/url.h"
#include "trace/semconv.h"
#include "trace/span_exchange.h"

/* The path of an origin-form or absolute-form target, without query or
 * fragment: [*path, *path + *n). */
static void target_path(const char *t, const char **path, size_t *n)
{
	const char *p = t, *scheme_end = strstr(t, "://");

	if (t[0] != '/' && scheme_end) {
		p = strchr(scheme_end + 3, '/');
		if (!p)
			p = "/";
	}
	*path = p;
	*n = strcspn(p, "?#");
}

/* server.address/port from the Host header; the port falls back to the
 * local port of the accepted socket. */
static int set_server(struct span *s, const struct http_exchange *x)
{
	const char *h = x->host ? x->host : "", *colon;
	size_t hn = strlen(h);
	int port = 0, err = 0;

	if (h[0] == '[') {
		const char *rb = strchr(h, ']');

		colon = rb && rb[1] == ':' ? rb + 1 : NULL;
		if (rb)
			err |= attrs__set_strn(&s->attrs, TS_SERVER_ADDRESS, h + 1, (size_t)(rb - h - 1));
	} else {
		colon = memchr(h, ':', hn);
		if (hn)
			err |= attrs__set_strn(&s->attrs, TS_SERVER_ADDRESS, h,
					       colon ? (size_t)(colon - h) : hn);
	}
	if (colon)
		port = atoi(colon + 1);
	if ((port <= 0 || port > 65535) && x->conn && x->conn->has_tuple)
		port = x->conn->tuple.sport;
	if (port > 0 && port <= 65535)
		err |= span__set_int(s, TS_SERVER_PORT, port);
	return err;
}

/* client.address/port: the peer of the accepted socket. */
static int set_client(struct span *s, const struct http_exchange *x)
{
	const struct conn_meta *c = x->conn;
	char a[INET6_ADDRSTRLEN];
	int err = 0;

	if (!c || !c->has_tuple)
		return 0;
	if (addr__ntop(c->tuple.family == AF_INET6 ? AF_INET6 : AF_INET, c->tuple.daddr, a,
		      sizeof(a)))
		err |= span__set_str(s, TS_CLIENT_ADDRESS, a);
	if (c->tuple.dport)
		err |= span__set_int(s, TS_CLIENT_PORT, c->tuple.dport);
	return err;
}

static int set_url(struct span *s, const struct http_exchange *x, const char *path, size_t n)
{
	const char *t = x->target ? x->target : "", *q = strchr(t, '?');
	int err = attrs__set_strn(&s->attrs, TS_URL_PATH, path, n);

	err |= span__set_str(s, TS_URL_SCHEME, x->conn && x->conn->is_tls ? "https" : "http");
	if (q) {
		char *red = url__redact_query(q + 1, strcspn(q + 1, "#"));

		err |= red ? span__set_str(s, TS_URL_QUERY, red) : -ENOMEM;
		free(red);
	}
	return err;
}

static int set_misc(struct span *s, const struct http_exchange *x)
{
	const struct header_view *ua = http_message__header(&x->req, "user-agent", 0);
	char ver[8];
	int err = 0;

	if (x->req.ver_major) {
		/* "1.1", "2": by hand, snprintf was ~900 instructions a span */
		if (x->req.ver_major < 10 && x->req.ver_minor < 10) {
			ver[0] = (char)('0' + x->req.ver_major);
			ver[1] = x->req.ver_major >= 2 ? '\0' : '.';
			ver[2] = (char)('0' + x->req.ver_minor);
			ver[3] = '\0';
		} else if (x->req.ver_major >= 2) {
			snprintf(ver, sizeof(ver), "%u", x->req.ver_major);
		} else {
			snprintf(ver, sizeof(ver), "%u.%u", x->req.ver_major, x->req.ver_minor);
		}
		err |= span__set_str(s, TS_NETWORK_PROTOCOL_VERSION, ver);
	}
	if (ua)
		err |= attrs__set_strn(&s->attrs, TS_USER_AGENT_ORIGINAL, ua->value, ua->value_len);
	if (x->status > 0)
		err |= span__set_int(s, TS_HTTP_RESPONSE_STATUS_CODE, x->status);
	/* Server spans: 5xx is an error, 4xx is the caller's (HTTP semconv). */
	if (x->status >= 500) {
		snprintf(ver, sizeof(ver), "%d", x->status);
		s->status = SPAN_STATUS_ERROR;
		err |= span__set_str(s, TS_ERROR_TYPE, ver);
	}
	return err;
}

struct span *http_server__span(const struct http_exchange *x, uint64_t mono_to_real_ns)
{
	const char *m = x->method && x->method[0] ? x->method : "_OTHER", *path, *verb;
	bool known = http_method__known(m);
	char buf[256], *name = buf;
	struct span *s;
	size_t n, vn;
	int err;

	target_path(x->target ? x->target : "", &path, &n);
	/* "METHOD path" in a stack buffer; asprintf only for a long path */
	verb = known ? m : "HTTP";
	vn = strlen(verb);
	if (vn + 1 + n < sizeof(buf)) {
		memcpy(buf, verb, vn);
		buf[vn] = ' ';
		memcpy(buf + vn + 1, path, n);
		buf[vn + 1 + n] = '\0';
	} else if (asprintf(&name, "%s %.*s", verb, (int)n, path) < 0) {
		return NULL;
	}
	s = span__from_exchange(x, name, SPAN_KIND_SERVER, mono_to_real_ns);
	if (name != buf)
		free(name);
	if (!s)
		return NULL;
	err = span__set_str(s, TS_HTTP_REQUEST_METHOD, known ? m : "_OTHER");
	if (!known)
		err |= span__set_str(s, TS_HTTP_REQUEST_METHOD_ORIG, m);
	err |= set_url(s, x, path, n);
	err |= set_server(s, x);
	err |= set_client(s, x);
	err |= set_misc(s, x);
	if (err) {
		span__free(s);
		return NULL;
	}
	return s;
}

static bool call_attr(const char *key)
{
	static const char *const prefixes[] = { "gen_ai.", "mcp.", "jsonrpc.", "rpc.", "tool." };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(key, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

int http_server__add_call(struct span *s, const struct span *call)
{
	int err = 0;

	for (size_t i = 0; i < call->attrs.n; i++) {
		const struct attr *a = &call->attrs.v[i];

		if (!call_attr(a->key))
			continue;
		switch (a->type) {
		case ATTR_STR:
			err |= attrs__set_str(&s->attrs, a->key, a->s);
			break;
		case ATTR_INT:
			err |= attrs__set_int(&s->attrs, a->key, a->i);
			break;
		case ATTR_DOUBLE:
			err |= attrs__set_double(&s->attrs, a->key, a->d);
			break;
		case ATTR_BOOL:
			err |= attrs__set_bool(&s->attrs, a->key, a->b);
			break;
		case ATTR_STR_ARRAY:
			err |= attrs__set_str_array(&s->attrs, a->key,
						    (const char *const *)a->arr.v, a->arr.n);
			break;
		}
	}
	return err ? -ENOMEM : 0;
}
