// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "genai/semconv.h"
#include "tools/names.h"
#include "tools/tool_key.h"

/* An id-like path segment: all digits, a UUID, or 16+ hex digits. */
static bool id_like(const char *seg, size_t n)
{
	size_t digits = 0, hex = 0, dashes = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)seg[i];

		digits += isdigit(c) != 0;
		hex += isxdigit(c) != 0;
		dashes += c == '-';
	}
	if (n && digits == n)
		return true;
	if (n == 36 && dashes == 4 && hex == 32)
		return true;
	return n >= 16 && hex == n && digits;
}

void tool_key__path_template(const char *url, char *buf, size_t sz)
{
	const char *p = url, *end;
	size_t o = 0;

	if (!sz)
		return;
	buf[0] = '\0';
	/* skip scheme://authority */
	if ((end = strstr(p, "://")) != NULL) {
		p = end + 3;
		p += strcspn(p, "/?#");
	}
	end = p + strcspn(p, "?#");
	while (p < end && o + 1 < sz) {
		size_t n, m;
		const char *seg;

		if (*p == '/') {
			buf[o++] = *p++;
			continue;
		}
		n = strcspn(p, "/");
		if (p + n > end)
			n = (size_t)(end - p);
		seg = id_like(p, n) ? "{id}" : p;
		m = seg == p ? n : 4;
		for (size_t i = 0; i < m && o + 1 < sz; i++)
			buf[o++] = seg[i];
		p += n;
	}
	buf[o] = '\0';
}

static const char *str_attr(const struct span *s, const char *key)
{
	const struct attr *a = span__get(s, key);

	return a && a->type == ATTR_STR ? a->s : NULL;
}

enum tool_key_kind tool_key__of(const struct span *s, char *buf, size_t sz)
{
	const char *name = str_attr(s, SC_GEN_AI_TOOL_NAME);
	const char *host, *url;
	char path[TOOL_KEY_MAX];

	if (sz)
		buf[0] = '\0';
	if (name) {
		snprintf(buf, sz, "%s", name);
		return TOOL_KEY_NAME;
	}
	/* A black-box call: HTTP, no provider, no MCP method. */
	if (str_attr(s, SC_GEN_AI_PROVIDER_NAME) || str_attr(s, TN_MCP_METHOD_NAME) ||
	    !str_attr(s, TN_HTTP_REQUEST_METHOD) || !(url = str_attr(s, TN_URL_FULL)))
		return TOOL_KEY_NONE;
	host = str_attr(s, SC_SERVER_ADDRESS);
	tool_key__path_template(url, path, sizeof(path));
	snprintf(buf, sz, "%s%s", host ? host : "", path);
	return TOOL_KEY_HTTP;
}
