// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* memrchr */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "conn/stream.h"
#include "tools/names.h"
#include "tools/url.h"

/* Query keys whose values are credentials, compared case-insensitively
 * with '-' and '_' ignored (so api_key, api-key, apiKey and APIKEY are one
 * entry). The HTTP conventions name AWSAccessKeyId, Signature, sig and
 * X-Goog-Signature; the rest are the usual API-key, token, session, OAuth
 * and presigned-URL parameters. docs/security.md lists them; more come
 * from --redact-query-key. */
static const char *const secret_keys[] = {
	"key", "apikey", "xapikey", "apitoken", "apisecret", "accesskey", "accesstoken",
	"token", "idtoken", "refreshtoken", "authtoken", "privatetoken", "sessiontoken",
	"securitytoken", "bearer", "jwt", "auth", "authorization", "sig", "signature",
	"password", "passwd", "pwd", "pass", "secret", "secretkey", "clientsecret",
	"privatekey", "credential", "credentials", "xamzsignature", "xamzcredential",
	"xamzsecuritytoken", "awsaccesskeyid", "xgoogsignature", "xgoogcredential",
	"code", "sessionid", "sid",
};

#define URL_EXTRA_KEYS_MAX 64
#define URL_KEY_MAX 64
static char extra_keys[URL_EXTRA_KEYS_MAX][URL_KEY_MAX];
static size_t n_extra_keys;

/* Lowercases k into out without '-' and '_'. Returns false if too long. */
static bool norm_key(const char *k, size_t n, char *out, size_t size)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (k[i] == '-' || k[i] == '_')
			continue;
		if (m + 1 >= size)
			return false;
		out[m++] = (char)tolower((unsigned char)k[i]);
	}
	out[m] = '\0';
	return true;
}

int url__add_secret_key(const char *k)
{
	if (n_extra_keys == URL_EXTRA_KEYS_MAX)
		return -E2BIG;
	if (!k[0] || !norm_key(k, strlen(k), extra_keys[n_extra_keys], URL_KEY_MAX))
		return -EINVAL;
	n_extra_keys++;
	return 0;
}

struct buf {
	char *s;
	size_t n, cap;
	bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t nc = (b->n + n + 1) * 2;
		char *ns = realloc(b->s, nc);

		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = nc;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static char *done(struct buf *b)
{
	if (b->oom || !b->s) {
		free(b->s);
		return b->oom ? NULL : strdup("");
	}
	return b->s;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool url__secret_key(const char *k, size_t n)
{
	char dec[URL_KEY_MAX], key[URL_KEY_MAX];
	size_t i, m = 0;

	/* percent-decode, so api%5Fkey is still api_key */
	for (i = 0; i < n; i++) {
		int c = (unsigned char)k[i];

		if (c == '%' && i + 2 < n && hexval(k[i + 1]) >= 0 && hexval(k[i + 2]) >= 0) {
			c = hexval(k[i + 1]) * 16 + hexval(k[i + 2]);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (m + 1 >= sizeof(dec))
			return false; /* no secret key is this long */
		dec[m++] = (char)c;
	}
	if (!norm_key(dec, m, key, sizeof(key)))
		return false;
	for (i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++)
		if (strcmp(key, secret_keys[i]) == 0)
			return true;
	for (i = 0; i < n_extra_keys; i++)
		if (strcmp(key, extra_keys[i]) == 0)
			return true;
	return false;
}

char *url__redact_query(const char *q, size_t n)
{
	struct buf b = { 0 };
	size_t i = 0;

	put(&b, "", 0);
	while (i <= n) {
		size_t end = i, eq;

		while (end < n && q[end] != '&' && q[end] != ';')
			end++;
		for (eq = i; eq < end && q[eq] != '='; eq++)
			;
		if (eq < end && url__secret_key(q + i, eq - i)) {
			put(&b, q + i, eq - i + 1);
			puts_(&b, TN_REDACTED);
		} else {
			put(&b, q + i, end - i);
		}
		if (end < n)
			put(&b, q + end, 1);
		i = end + 1;
	}
	return done(&b);
}

static bool seg_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(p, w, n) == 0;
}

static bool all_digits(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		;
	return n && i == n;
}

static bool host_is(const char *h, size_t n, const char *domain)
{
	size_t d = strlen(domain);

	return n >= d && strncasecmp(h + n - d, domain, d) == 0 &&
	       (n == d || h[n - d - 1] == '.');
}

/* Appends path p[0..n), with segments that are credentials replaced:
 * Telegram's /bot<id>:<token>/, a Slack webhook's whole path after
 * /services/ (or /workflows/, /triggers/), Discord's /webhooks/<id>/<token>. */
static void put_path(struct buf *b, const char *host, size_t host_len, const char *p, size_t n)
{
	bool slack = host_is(host, host_len, "hooks.slack.com"), after_hook_id = false;
	const char *prev = NULL;
	size_t prev_n = 0, i = 0, segs = 0;

	while (i < n) {
		size_t s = i, e;

		if (p[i] == '/') {
			put(b, "/", 1);
			i++;
			continue;
		}
		for (e = s; e < n && p[e] != '/'; e++)
			;
		segs++;
		if (slack && segs == 2) {
			puts_(b, TN_REDACTED);
			return; /* the rest of a webhook path is the secret */
		} else if (e - s > 4 && strncmp(p + s, "bot", 3) == 0 && memchr(p + s, ':', e - s) &&
			   all_digits(p + s + 3, (size_t)((const char *)memchr(p + s, ':', e - s) - (p + s + 3)))) {
			puts_(b, "bot" TN_REDACTED);
		} else if (after_hook_id) {
			puts_(b, TN_REDACTED);
		} else {
			put(b, p + s, e - s);
		}
		after_hook_id = prev && seg_is(prev, prev_n, "webhooks") && all_digits(p + s, e - s);
		prev = p + s;
		prev_n = e - s;
		i = e;
	}
}

/* Appends "?query" and, with fragment, "#fragment" of rest, with secret
 * values redacted (a fragment can carry an OAuth access_token too).
 * Returns -ENOMEM. */
static int put_query(struct buf *b, const char *rest, bool fragment)
{
	while (*rest == '?' || (fragment && *rest == '#')) {
		char sep = *rest;
		const char *qs = rest + 1;
		size_t qn = sep == '?' ? strcspn(qs, "#") : strlen(qs);
		char *q = url__redact_query(qs, qn);

		if (!q)
			return -ENOMEM;
		put(b, &sep, 1);
		puts_(b, q);
		free(q);
		rest = qs + qn;
	}
	return 0;
}

char *url__redact_uri(const char *uri)
{
	const char *se = strstr(uri, "://"), *auth = uri, *rest, *at;
	struct buf b = { 0 };
	size_t alen = 0;

	put(&b, "", 0);
	if (se && (size_t)(se - uri) == strcspn(uri, ":/?#")) {
		auth = se + 3;
		alen = strcspn(auth, "/?#");
		put(&b, uri, (size_t)(auth - uri));
		at = memrchr(auth, '@', alen);
		if (at) {
			puts_(&b, TN_REDACTED ":" TN_REDACTED "@");
			alen -= (size_t)(at + 1 - auth);
			auth = at + 1;
		}
		put(&b, auth, alen);
		rest = auth + alen;
	} else {
		rest = uri;
	}
	put_path(&b, auth, alen, rest, strcspn(rest, "?#"));
	if (put_query(&b, rest + strcspn(rest, "?#"), true)) {
		free(b.s);
		return NULL;
	}
	return done(&b);
}

static bool is_tls(const struct http_exchange *x)
{
	return x->conn && x->conn->is_tls;
}

/* Splits an authority ("user:pw@host:port", "[v6]:port") into parts. */
struct authority {
	const char *host;
	size_t host_len;
	const char *port;
	size_t port_len;
	bool userinfo;
	bool v6;
};

static void split_authority(const char *a, size_t n, struct authority *out)
{
	const char *at = memrchr(a, '@', n), *colon;

	memset(out, 0, sizeof(*out));
	if (at) {
		out->userinfo = true;
		n -= at + 1 - a;
		a = at + 1;
	}
	out->host = a;
	out->host_len = n;
	if (n && a[0] == '[') {
		const char *rb = memchr(a, ']', n);

		if (rb) {
			out->v6 = true;
			out->host = a + 1;
			out->host_len = rb - a - 1;
			if ((size_t)(rb - a) + 1 < n && rb[1] == ':') {
				out->port = rb + 2;
				out->port_len = n - (rb + 2 - a);
			}
		}
		return;
	}
	colon = memchr(a, ':', n);
	if (colon && !memchr(colon + 1, ':', n - (colon + 1 - a))) {
		out->host_len = colon - a;
		out->port = colon + 1;
		out->port_len = n - (colon + 1 - a);
	}
}

/* absolute-form "scheme://authority/path": the authority and the rest */
static bool absolute_form(const char *t, const char **auth, size_t *auth_len,
			  const char **rest, const char **scheme_end)
{
	const char *p = strstr(t, "://"), *r;

	if (!p || (strncasecmp(t, "http://", 7) && strncasecmp(t, "https://", 8)))
		return false;
	*scheme_end = p;
	*auth = p + 3;
	r = *auth + strcspn(*auth, "/?#");
	*auth_len = r - *auth;
	*rest = r;
	return true;
}

static int parse_port(const char *p, size_t n)
{
	int v = 0;
	size_t i;

	if (!p || !n || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	return v > 0 && v < 65536 ? v : 0;
}

static void peer(const struct http_exchange *x, char *addr, size_t len, int *port)
{
	const struct conn_meta *c = x->conn;

	if (!c || !c->has_tuple)
		return;
	if (addr && !addr[0]) {
		int af = c->tuple.family == AF_INET6 ? AF_INET6 : AF_INET;

		if (!addr__ntop(af, c->tuple.daddr, addr, len))
			addr[0] = '\0';
	}
	if (!*port && c->tuple.dport)
		*port = c->tuple.dport;
}

void url__server(const struct http_exchange *x, struct url_server *out)
{
	const char *t = x->target ? x->target : "", *auth, *rest, *se;
	const char *host = x->host ? x->host : "";
	struct authority a;
	size_t alen;
	bool tls = is_tls(x);

	memset(out, 0, sizeof(*out));
	if (absolute_form(t, &auth, &alen, &rest, &se)) {
		tls = (size_t)(se - t) == 5; /* "https" */
		split_authority(auth, alen, &a);
	} else {
		split_authority(host, strlen(host), &a);
	}
	if (a.host_len && a.host_len < sizeof(out->addr)) {
		memcpy(out->addr, a.host, a.host_len);
		out->addr[a.host_len] = '\0';
	}
	out->port = parse_port(a.port, a.port_len);
	peer(x, out->addr, sizeof(out->addr), &out->port);
	if (!out->port && out->addr[0])
		out->port = tls ? 443 : 80;
}

char *url__full(const struct http_exchange *x)
{
	const char *t = x->target ? x->target : "", *auth = NULL, *rest = t, *se;
	const char *scheme = is_tls(x) ? "https" : "http";
	struct buf b = { 0 };
	struct authority a;
	size_t alen = 0, qpos;

	if (absolute_form(t, &auth, &alen, &rest, &se)) {
		scheme = (size_t)(se - t) == 5 ? "https" : "http";
	} else if (x->method && strcasecmp(x->method, "CONNECT") == 0) {
		auth = t; /* authority-form */
		alen = strlen(t);
		rest = "";
	} else if (x->host && x->host[0]) {
		auth = x->host;
		alen = strlen(x->host);
	}
	puts_(&b, scheme);
	puts_(&b, "://");
	if (auth) {
		split_authority(auth, alen, &a);
		if (a.userinfo)
			puts_(&b, TN_REDACTED ":" TN_REDACTED "@");
		if (a.v6)
			put(&b, "[", 1);
		put(&b, a.host, a.host_len);
		if (a.v6)
			put(&b, "]", 1);
		if (a.port_len) {
			put(&b, ":", 1);
			put(&b, a.port, a.port_len);
		}
	} else {
		char addr[INET6_ADDRSTRLEN + 1] = "";
		int port = 0;

		peer(x, addr, sizeof(addr), &port);
		if (strchr(addr, ':'))
			put(&b, "[", 1);
		puts_(&b, addr);
		if (strchr(addr, ':'))
			put(&b, "]", 1);
		if (port) {
			char p[8];

			snprintf(p, sizeof(p), ":%d", port);
			puts_(&b, p);
		}
	}
	if (strcmp(rest, "*") == 0)
		rest = "";
	qpos = strcspn(rest, "?#");
	put_path(&b, auth ? a.host : "", auth ? a.host_len : 0, rest, qpos);
	/* url.full carries no fragment (clients never send one anyway) */
	if (put_query(&b, rest + qpos, false)) {
		free(b.s);
		return NULL;
	}
	return done(&b);
}
