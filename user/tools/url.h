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
	char addr[256]; /* "" when unknown */
	int port;       /* 0 when unknown */
};

/* Returns a new string (caller frees), or NULL on -ENOMEM. */
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

#endif
