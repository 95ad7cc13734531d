// SPDX-License-Identifier: MIT
/* What a tool call answered, for drift: an MCP tools/call's result content
 * (JSON, or the event stream's message holding a result), else the body. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "graph/internal.h"
#include "graph/norm.h"
#include "tools/names.h"

/* The first JSON-RPC message with a "result" in a JSON body or in the
 * "data:" lines of an event stream (one line per event, as MCP servers
 * send them). */
static json_t *rpc_result(const char *b, size_t n)
{
	json_t *v = json_loadb(b, n, 0, NULL);
	const char *p = b, *end = b + n;

	if (v || !n)
		goto done;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;

		if (le - p > 5 && !strncmp(p, "data:", 5)) {
			v = json_loadb(p + 5, (size_t)(le - p - 5), 0, NULL);
			if (json_object_get(v, "result"))
				break;
			json_decref(v);
			v = NULL;
		}
		p = le + 1;
	}
done:
	if (v && !json_object_get(v, "result")) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

char *output__of(const struct span *s, const struct http_exchange *x, size_t *len)
{
	const char *b = (const char *)x->resp.body;
	const struct attr *m = span__get(s, TN_MCP_METHOD_NAME);
	json_t *v;
	char *o;

	if (!b || !x->resp.body_len)
		return NULL;
	if (m && m->type == ATTR_STR && !strcmp(m->s, "tools/call") &&
	    (v = rpc_result(b, x->resp.body_len))) {
		o = norm__result_text(json_object_get(json_object_get(v, "result"), "content"),
				      len);
		json_decref(v);
		return o;
	}
	o = malloc(x->resp.body_len + 1);
	if (!o)
		return NULL;
	memcpy(o, b, x->resp.body_len);
	o[x->resp.body_len] = '\0';
	*len = x->resp.body_len;
	return o;
}
