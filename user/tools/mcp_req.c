// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* memmem */
/* Recognising an MCP request among HTTP exchanges. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/mcp.h"

/* Method families of the MCP schema (all revisions); other JSON-RPC
 * traffic (e.g. blockchain nodes) stays a black-box call unless an MCP
 * header says otherwise. */
static const char *const mcp_exact[] = { "initialize", "ping" };
static const char *const mcp_prefix[] = {
	"notifications/", "tools/", "resources/", "prompts/", "completion/", "logging/",
	"sampling/", "elicitation/", "roots/", "server/", "subscriptions/", "tasks/",
};

static bool is_mcp_method(const char *m)
{
	size_t i;

	for (i = 0; i < sizeof(mcp_exact) / sizeof(mcp_exact[0]); i++)
		if (strcmp(m, mcp_exact[i]) == 0)
			return true;
	for (i = 0; i < sizeof(mcp_prefix) / sizeof(mcp_prefix[0]); i++)
		if (strncmp(m, mcp_prefix[i], strlen(mcp_prefix[i])) == 0)
			return true;
	return false;
}

bool mcp__id_key(const json_t *id, char *key, size_t size)
{
	int n;

	if (json_is_string(id)) {
		if (json_string_length(id) + 2 > size || memchr(json_string_value(id), 0, json_string_length(id)))
			return false;
		key[0] = 's';
		memcpy(key + 1, json_string_value(id), json_string_length(id) + 1);
		return true;
	}
	if (json_is_integer(id))
		n = snprintf(key, size, "i%" JSON_INTEGER_FORMAT, json_integer_value(id));
	else if (json_is_real(id))
		n = snprintf(key, size, "r%.17g", json_real_value(id));
	else
		return false;
	return n > 0 && (size_t)n < size;
}

static bool is_rpc_message(const json_t *m)
{
	const char *v = json_string_value(json_object_get(m, "jsonrpc"));

	return json_is_object(m) && json_is_string(json_object_get(m, "method")) && v &&
	       strcmp(v, "2.0") == 0;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

char *mcp__header_value(const char *v, size_t n)
{
	static const char pre[] = "=?base64?", post[] = "?=";
	size_t np = sizeof(pre) - 1, ns = sizeof(post) - 1, i, k = 0;
	uint32_t acc = 0;
	int bits = 0;
	char *out;

	if (n >= np + ns && strncasecmp(v, pre, np) == 0 && memcmp(v + n - ns, post, ns) == 0) {
		v += np;
		n -= np + ns;
		out = malloc(n + 1);
		if (!out)
			return NULL;
		for (i = 0; i < n && v[i] != '='; i++) {
			int d = b64val((unsigned char)v[i]);

			if (d < 0)
				goto bad;
			acc = acc << 6 | (uint32_t)d;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[k] = (char)(acc >> bits & 0xff);
				if (!out[k++])
					goto bad; /* no NUL inside a name */
			}
		}
		out[k] = '\0';
		return out;
bad:
		free(out);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return NULL;
	return strndup(v, n);
}

static char *header_str(const struct http_message *m, const char *name, bool decode)
{
	const struct header_view *h = http_message__header(m, name, 0);

	if (!h || !h->value_len)
		return NULL;
	return decode ? mcp__header_value(h->value, h->value_len) : strndup(h->value, h->value_len);
}

void mcp_req__release(struct mcp_req *r)
{
	json_decref(r->body);
	json_decref(r->ids);
	free(r->method);
	free(r->name);
	memset(r, 0, sizeof(*r));
}

/* The message the span describes: the first request (it has an id),
 * else the first notification. Collects every request id. */
static int pick_primary(struct mcp_req *r)
{
	json_t *m, *id;
	size_t i;

	if (is_rpc_message(r->body)) {
		r->primary = r->body;
	} else if (json_is_array(r->body)) {
		json_array_foreach(r->body, i, m) {
			if (!is_rpc_message(m))
				continue;
			id = json_object_get(m, "id");
			if (!r->primary || (!r->id && id && !json_is_null(id)))
				r->primary = m;
			if (id && !json_is_null(id) && !r->id)
				r->id = id;
		}
		if (r->primary)
			r->batch = json_array_size(r->body);
	}
	if (!r->primary)
		return 0;
	if (json_is_array(r->body)) {
		json_array_foreach(r->body, i, m) {
			id = json_object_get(m, "id");
			if (!is_rpc_message(m) || !id || json_is_null(id))
				continue;
			if (json_array_size(r->ids) >= MCP_MAX_IDS) {
				r->ids_dropped++;
				continue;
			}
			if (json_array_append(r->ids, id))
				return -ENOMEM;
		}
	} else {
		id = json_object_get(r->body, "id");
		if (id && !json_is_null(id)) {
			r->id = id;
			if (json_array_append(r->ids, id))
				return -ENOMEM;
		}
	}
	return 1;
}

static char *params_name(const json_t *primary)
{
	const json_t *p = json_object_get(primary, "params");
	const char *v = json_string_value(json_object_get(p, "name"));

	if (!v)
		v = json_string_value(json_object_get(p, "uri"));
	return v ? strdup(v) : NULL;
}

int mcp_req__parse(struct mcp_req *r, const struct http_exchange *x, uint64_t *json_errors)
{
	const struct http_message *rq = &x->req;
	bool hdr_mcp;
	int err;

	memset(r, 0, sizeof(*r));
	if (!x->method || strcmp(x->method, "POST") != 0)
		return 0;
	r->ids = json_array();
	if (!r->ids)
		return -ENOMEM;
	r->method = header_str(rq, "mcp-method", false);
	hdr_mcp = r->method || http_message__header(rq, "mcp-session-id", 0) ||
		  http_message__header(rq, "mcp-protocol-version", 0);
	/* only bodies that mention jsonrpc are worth a parse */
	if (rq->body_len && memmem(rq->body, rq->body_len, "\"jsonrpc\"", 9)) {
		r->body = json_loadb((const char *)rq->body, rq->body_len, 0, NULL);
		if (!r->body)
			(*json_errors)++;
	}
	if (r->body) {
		err = pick_primary(r);
		if (err < 0)
			goto fail;
	}
	if (!r->method && r->primary)
		r->method = strdup(json_string_value(json_object_get(r->primary, "method")));
	if (!r->method || (!hdr_mcp && !is_mcp_method(r->method))) {
		err = r->method || !r->primary ? 0 : -ENOMEM;
		goto fail;
	}
	r->name = header_str(rq, "mcp-name", true);
	if (!r->name && r->primary)
		r->name = params_name(r->primary);
	return 1;
fail:
	mcp_req__release(r);
	return err;
}
