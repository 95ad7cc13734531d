// SPDX-License-Identifier: MIT
/* Header lookups over an http_message (names compare case-insensitively). */
#include <string.h>
#include <strings.h>

#include "proto/http_types.h"

static bool name_eq(const struct header_view *h, const char *name, size_t len)
{
	return h->name_len == len && strncasecmp(h->name, name, len) == 0;
}

const struct header_view *http_message__header(const struct http_message *m,
						 const char *name, size_t idx)
{
	size_t len;

	if (!m || !name)
		return NULL;
	len = strlen(name);
	for (size_t i = 0; i < m->n_headers; i++) {
		if (!name_eq(&m->headers[i], name, len))
			continue;
		if (idx-- == 0)
			return &m->headers[i];
	}
	return NULL;
}

size_t http_message__header_count(const struct http_message *m, const char *name)
{
	size_t len, n = 0;

	if (!m || !name)
		return 0;
	len = strlen(name);
	for (size_t i = 0; i < m->n_headers; i++)
		n += name_eq(&m->headers[i], name, len);
	return n;
}

bool http_method__known(const char *method)
{
	static const char *const known[] = {
		"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
	};

	for (size_t i = 0; method && i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(method, known[i]) == 0)
			return true;
	return false;
}
