// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "conn/stream.h"
#include "genai/hint.h"
#include "genai/provider.h"

/* Splits a Host value into name and port; handles "[v6]:port". */
static void host_split(const char *host, const char **name, size_t *name_len,
		       const char **port)
{
	const char *colon;

	*port = NULL;
	*name = host;
	*name_len = strlen(host);
	if (host[0] == '[') {
		const char *rb = strchr(host, ']');

		if (rb) {
			*name = host + 1;
			*name_len = rb - host - 1;
			if (rb[1] == ':')
				*port = rb + 2;
		}
		return;
	}
	colon = strchr(host, ':');
	if (colon && !strchr(colon + 1, ':')) { /* one colon: name:port */
		*name_len = colon - host;
		*port = colon + 1;
	}
}

static bool name_is(const struct header_view *hv, const char *name)
{
	size_t n = strlen(name);

	return hv->name_len == n && strncasecmp(hv->name, name, n) == 0;
}

void genai_hint__init(struct genai_hint *h, const struct http_exchange *x)
{
	const char *t = x->target ? x->target : "", *name, *port;
	const char *ct = x->resp.content_type ? x->resp.content_type : "";
	size_t n, i;

	memset(h, 0, sizeof(*h));
	/* absolute-form (proxies): skip scheme and authority */
	if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
		const char *p = strchr(strstr(t, "//") + 2, '/');

		t = p ? p : "";
	}
	n = strcspn(t, "?#");
	while (n > 1 && t[n - 1] == '/')
		n--;
	h->path = t;
	h->path_len = n;

	host_split(x->host ? x->host : "", &name, &n, &port);
	if (n >= sizeof(h->host))
		n = 0;
	for (i = 0; i < n; i++)
		h->host[i] = (char)tolower((unsigned char)name[i]);
	h->host[n] = '\0';
	if (port && *port) {
		char *end;
		long v = strtol(port, &end, 10);

		if (*end == '\0' && v > 0 && v < 65536)
			h->port = (int)v;
	}
	if (!h->port && x->conn && x->conn->has_tuple)
		h->port = x->conn->tuple.dport;

	h->post = genai_registry__may_match(x);
	for (i = 0; i < x->req.n_headers; i++) {
		const struct header_view *hv = &x->req.headers[i];

		if (name_is(hv, "anthropic-version"))
			h->hdr_anthropic_version = true;
		else if (name_is(hv, "x-api-key"))
			h->hdr_x_api_key = true;
		else if (name_is(hv, "api-key"))
			h->hdr_api_key = true;
		else if (name_is(hv, "x-goog-api-key"))
			h->hdr_goog_api_key = true;
	}
	h->resp_sse = strcmp(ct, "text/event-stream") == 0;
	h->resp_ndjson = strcmp(ct, "application/x-ndjson") == 0 ||
			 strcmp(ct, "application/jsonl") == 0;
	h->resp_eventstream = strcmp(ct, "application/vnd.amazon.eventstream") == 0;
	if (!h->resp_sse && !h->resp_ndjson && x->resp.body_len >= 6 &&
	    (memcmp(x->resp.body, "data:", 5) == 0 || memcmp(x->resp.body, "event:", 6) == 0))
		h->resp_sse = true; /* servers that omit the media type */
}

void genai_hint__server(const struct http_exchange *x, char *addr, size_t addr_len,
			int *port)
{
	const struct conn_meta *cm = x->conn;
	const char *name, *p;
	size_t n;

	addr[0] = '\0';
	*port = 0;
	host_split(x->host ? x->host : "", &name, &n, &p);
	if (n && n < addr_len) {
		memcpy(addr, name, n);
		addr[n] = '\0';
	}
	if (p && *p) {
		char *end;
		long v = strtol(p, &end, 10);

		if (*end == '\0' && v > 0 && v < 65536)
			*port = (int)v;
	}
	if (!cm)
		return;
	if (cm->has_tuple) {
		if (!addr[0]) {
			int af = cm->tuple.family == AF_INET6 ? AF_INET6 : AF_INET;

			if (!addr__ntop(af, cm->tuple.daddr, addr, addr_len))
				addr[0] = '\0';
		}
		if (!*port && cm->tuple.dport)
			*port = cm->tuple.dport;
	}
	if (!*port && addr[0])
		*port = cm->is_tls ? 443 : 80;
}
