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

/* Grows in place first: most URLs and queries fit in small (no malloc). */
#define buf url_str

static void buf__init(struct buf *b)
{
	b->s = b->small;
	b->cap = sizeof(b->small);
	b->n = 0;
	b->oom = false;
	b->s[0] = '\0';
}

static bool grow(struct buf *b, size_t need)
{
	size_t nc = need * 2;
	char *ns = b->s == b->small ? malloc(nc) : realloc(b->s, nc);

	if (!ns) {
		b->oom = true;
		return false;
	}
	if (b->s == b->small)
		memcpy(ns, b->small, b->n + 1);
	b->s = ns;
	b->cap = nc;
	return true;
}

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom || (b->n + n + 1 > b->cap && !grow(b, b->n + n + 1)))
		return;
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

void url_str__release(struct url_str *b)
{
	if (b->s != b->small)
		free(b->s);
	b->s = b->small;
}

/* A heap copy of b's string (b released), or NULL on -ENOMEM. */
static char *done(struct buf *b)
{
	char *s;

	if (b->oom) {
		url_str__release(b);
		return NULL;
	}
	if (b->s != b->small)
		return b->s;
	s = malloc(b->n + 1);
	if (s)
		memcpy(s, b->small, b->n + 1);
	return s;
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
	struct buf b;
	size_t i = 0;

	buf__init(&b);
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
	struct buf b;
	size_t alen = 0;

	buf__init(&b);
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
		url_str__release(&b);
		return NULL;
	}
	return done(&b);
}

static void split_authority(const char *a, size_t n, struct url_authority *out)
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

/* absolute-form "http[s]://authority/path": the scheme's length, else 0
 * (checked by prefix: an origin-form target is never scanned) */
static size_t absolute_form(const char *t)
{
	if ((t[0] | 0x20) != 'h')
		return 0;
	if (strncasecmp(t, "http://", 7) == 0)
		return 4;
	return strncasecmp(t, "https://", 8) == 0 ? 5 : 0;
}

void url__split(const struct http_exchange *x, struct url_req *u)
{
	const char *t = x->target ? x->target : "", *host = x->host ? x->host : "";
	size_t scheme = absolute_form(t), alen;

	u->x = x;
	u->absolute = scheme != 0;
	if (u->absolute) {
		const char *auth = t + scheme + 3;

		u->tls = scheme == 5;
		alen = strcspn(auth, "/?#");
		split_authority(auth, alen, &u->a);
		u->has_auth = true;
		u->rest = auth + alen;
		return;
	}
	u->tls = x->conn && x->conn->is_tls;
	alen = strlen(host);
	split_authority(host, alen, &u->a);
	u->has_auth = alen != 0;
	u->rest = t;
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

void url__server_of(const struct url_req *u, struct url_server *out)
{
	const struct url_authority *a = &u->a;

	out->addr[0] = '\0';
	out->addr_len = 0;
	if (a->host_len && a->host_len < sizeof(out->addr)) {
		memcpy(out->addr, a->host, a->host_len);
		out->addr[a->host_len] = '\0';
		out->addr_len = a->host_len;
	}
	out->port = parse_port(a->port, a->port_len);
	peer(u->x, out->addr, sizeof(out->addr), &out->port);
	if (!out->addr_len && out->addr[0])
		out->addr_len = strlen(out->addr);
	if (!out->port && out->addr[0])
		out->port = u->tls ? 443 : 80;
}

void url__server(const struct http_exchange *x, struct url_server *out)
{
	struct url_req u;

	url__split(x, &u);
	url__server_of(&u, out);
}

static void put_authority(struct buf *b, const struct url_authority *a)
{
	if (a->userinfo)
		puts_(b, TN_REDACTED ":" TN_REDACTED "@");
	if (a->v6)
		put(b, "[", 1);
	put(b, a->host, a->host_len);
	if (a->v6)
		put(b, "]", 1);
	if (a->port_len) {
		put(b, ":", 1);
		put(b, a->port, a->port_len);
	}
}

/* No Host: the connection's peer address and port. */
static void put_peer(struct buf *b, const struct http_exchange *x)
{
	char addr[INET6_ADDRSTRLEN + 1] = "";
	int port = 0;
	bool v6;

	peer(x, addr, sizeof(addr), &port);
	v6 = strchr(addr, ':') != NULL;
	if (v6)
		put(b, "[", 1);
	puts_(b, addr);
	if (v6)
		put(b, "]", 1);
	if (port) {
		char p[8];

		snprintf(p, sizeof(p), ":%d", port);
		puts_(b, p);
	}
}

static bool is_connect(const char *m)
{
	return m && (m[0] | 0x20) == 'c' && strcasecmp(m, "CONNECT") == 0;
}

int url__full_str(const struct url_req *u, struct url_str *out)
{
	const struct http_exchange *x = u->x;
	const struct url_authority *a = &u->a;
	struct url_authority ca;
	const char *rest = u->rest;
	size_t qpos;

	buf__init(out);
	if (u->tls)
		put(out, "https://", 8);
	else
		put(out, "http://", 7);
	if (!u->absolute && is_connect(x->method)) {
		/* authority-form */
		split_authority(rest, strlen(rest), &ca);
		a = &ca;
		rest = "";
	} else if (!u->has_auth) {
		a = NULL;
	}
	if (a)
		put_authority(out, a);
	else
		put_peer(out, x);
	if (rest[0] == '*' && !rest[1])
		rest = "";
	qpos = strcspn(rest, "?#");
	put_path(out, a ? a->host : "", a ? a->host_len : 0, rest, qpos);
	/* url.full carries no fragment (clients never send one anyway) */
	if (rest[qpos] && put_query(out, rest + qpos, false))
		out->oom = true;
	if (out->oom) {
		url_str__release(out);
		return -ENOMEM;
	}
	return 0;
}

char *url__full(const struct http_exchange *x)
{
	struct url_req u;
	struct url_str b;

	url__split(x, &u);
	if (url__full_str(&u, &b))
		return NULL;
	return done(&b);
}
