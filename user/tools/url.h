/* SPDX-License-Identifier: MIT */
/*
 * url.full and server.address/port for an HTTP/1.x request as captured:
 * scheme from the connection (https for TLS plaintext), authority from the
 * Host header (or the absolute-form target, or the connection's peer),
 * then path and query. Secrets never survive: userinfo becomes
 * REDACTED:REDACTED, credential path segments become REDACTED, and the values of secret-looking query keys (key,
 * api_key, token, sig, X-Amz-Signature, ... see url.c) become REDACTED
 * while the keys stay, as the HTTP semantic conventions ask.
 */
#ifndef AR_TOOLS_URL_H
#define AR_TOOLS_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/http_types.h"

struct url_server {
	char addr[256];  /* "" when unknown */
	size_t addr_len;
	int port;        /* 0 when unknown */
};

/* An authority's parts ("user:pw@host:port", "[v6]:port"), pointing into
 * the string split. */
struct url_authority {
	const char *host;
	size_t host_len;
	const char *port;
	size_t port_len;
	bool userinfo;
	bool v6;
};

/* A request's scheme and authority, split once (url__split) for url.full
 * and server.*: from an absolute-form target, else from Host. Points into
 * x, which must outlive it. */
struct url_req {
	const struct http_exchange *x;
	struct url_authority a;
	const char *rest;  /* the target after any scheme and authority */
	bool has_auth;     /* absolute-form, or a non-empty Host */
	bool absolute;
	bool tls;          /* https */
};

void url__split(const struct http_exchange *x, struct url_req *u);

/* A string built in place, on the heap only once it outgrows small. */
struct url_str {
	char *s; /* NUL-terminated; small or the heap */
	size_t n, cap;
	bool oom;
	char small[256];
};

/* Frees what a url_str holds on the heap; it must not be copied. */
void url_str__release(struct url_str *b);

/* url.full of u into out (release it after use). Returns 0, or -ENOMEM
 * with out released. */
int url__full_str(const struct url_req *u, struct url_str *out);

/* The same as a new string (caller frees), or NULL on -ENOMEM. */
char *url__full(const struct http_exchange *x);

/* Query string redaction alone: returns a new copy of q[0..n) (no '?')
 * with secret values replaced, or NULL on -ENOMEM. */
char *url__redact_query(const char *q, size_t n);

/* Any URI (mcp.resource.uri: postgres://, file:, https:, ...) with its
 * userinfo, credential path segments (Telegram /bot<token>/, Slack and
 * Discord webhook paths) and secret query/fragment values redacted.
 * Returns a new string, or NULL on -ENOMEM. */
char *url__redact_uri(const char *uri);

/* Adds a query key to redact (process-wide, e.g. --redact-query-key).
 * Returns 0, -EINVAL (empty or over 63 bytes) or -E2BIG (64 already). */
int url__add_secret_key(const char *k);

/* true when a query key (compared case-insensitively, percent-decoded)
 * names a secret. */
bool url__secret_key(const char *k, size_t n);

/* server.address/port: absolute-form target, then Host, then the peer
 * address; the port falls back to the peer port, then to the scheme's. */
void url__server(const struct http_exchange *x, struct url_server *out);
void url__server_of(const struct url_req *u, struct url_server *out);

#endif
