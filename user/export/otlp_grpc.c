// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "export/grpc_wire.h"
#include "export/otlp_grpc.h"

#define GRPC_RESPONSE_MAX (HTTP_RESPONSE_BODY_MAX + GRPC_PREFIX_LEN)

struct otlp_grpc {
	CURL *curl;
	struct curl_slist *headers;
	const _Atomic uint64_t *abort_at_ns;
	bool gzip;
	bool fresh;             /* next call on a new connection */
	/* the call in flight */
	uint8_t *rbuf;          /* framed response, at most GRPC_RESPONSE_MAX */
	size_t rlen;
	int status;             /* grpc-status, -1 until seen */
	long retry_ms;          /* RetryInfo delay, -1 if none */
	char message[256];      /* grpc-message, decoded */
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct otlp_grpc *g = ud;
	size_t n = size * nmemb, take = n;
	uint8_t *b;

	if (take > GRPC_RESPONSE_MAX - g->rlen)
		take = GRPC_RESPONSE_MAX - g->rlen; /* a bounded prefix is enough */
	if (!take)
		return n;
	b = realloc(g->rbuf, g->rlen + take);
	if (!b)
		return 0;
	memcpy(b + g->rlen, p, take);
	g->rbuf = b;
	g->rlen += take;
	return n;
}

/* Value of "name: value\r\n" if line is that header, else NULL. */
static const char *header_value(const char *line, size_t n, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *v;

	if (n <= nl || strncasecmp(line, name, nl) || line[nl] != ':')
		return NULL;
	v = line + nl + 1;
	while (v < line + n && *v == ' ')
		v++;
	*vlen = line + n - v;
	while (*vlen && (v[*vlen - 1] == '\r' || v[*vlen - 1] == '\n' || v[*vlen - 1] == ' '))
		(*vlen)--;
	return v;
}

/* Headers and trailers alike (a trailers-only answer has them in the
 * header block). */
static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct otlp_grpc *g = ud;
	size_t n = size * nmemb, vl;
	const char *v;

	if ((v = header_value(p, n, "grpc-status", &vl))) {
		char num[8];

		snprintf(num, sizeof(num), "%.*s", (int)(vl < 7 ? vl : 7), v);
		g->status = isdigit((unsigned char)num[0]) ? atoi(num) : GRPC_UNKNOWN;
	} else if ((v = header_value(p, n, "grpc-message", &vl))) {
		grpc_wire__message(v, vl, g->message, sizeof(g->message));
	} else if ((v = header_value(p, n, "grpc-status-details-bin", &vl))) {
		g->retry_ms = grpc_wire__retry_delay_ms(v, vl);
	}
	return n;
}

void otlp_grpc__free(struct otlp_grpc *g)
{
	if (!g)
		return;
	if (g->curl)
		curl_easy_cleanup(g->curl);
	curl_slist_free_all(g->headers);
	free(g->rbuf);
	free(g);
}

/* Appends "name: value", the name lowercased as HTTP/2 requires. */
static int add_header(struct otlp_grpc *g, const char *name, const char *value)
{
	char lower[128];
	size_t i;

	for (i = 0; name[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	lower[i] = 0;
	if (name[i])
		return -EINVAL; /* no metadata key is this long */
	return otlp_http__append_header(&g->headers, lower, value);
}

/* scheme://host:port of the endpoint with method as the path. */
static char *method_url(const char *endpoint, const char *method)
{
	CURLU *u = curl_url();
	char *s = NULL, *out = NULL;

	if (u && !curl_url_set(u, CURLUPART_URL, endpoint, 0) &&
	    !curl_url_set(u, CURLUPART_PATH, method, 0) &&
	    !curl_url_set(u, CURLUPART_QUERY, NULL, 0) &&
	    !curl_url_get(u, CURLUPART_URL, &s, 0))
		out = strdup(s);
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

struct otlp_grpc *otlp_grpc__new(const struct export_config *cfg, const char *method,
				 const _Atomic uint64_t *abort_at_ns)
{
	struct otlp_grpc *g = calloc(1, sizeof(*g));
	const char *ep = cfg->endpoint ? cfg->endpoint : OTLP_GRPC_DEFAULT_ENDPOINT;
	bool tls = !strncasecmp(ep, "https://", 8);
	char *url = NULL;
	int err = 0;

	if (!g)
		return NULL;
	if (!(curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_HTTP2))
		goto fail;
	g->abort_at_ns = abort_at_ns;
	g->gzip = cfg->gzip;
	g->curl = curl_easy_init();
	url = method_url(ep, method);
	if (!g->curl || !url)
		goto fail;
	err = add_header(g, "Content-Type", "application/grpc+proto");
	if (!err)
		err = add_header(g, "TE", "trailers");
	if (!err && cfg->gzip)
		err = add_header(g, "grpc-encoding", "gzip");
	if (!err)
		err = add_header(g, "grpc-accept-encoding", "identity");
	if (!err)
		err = add_header(g, "Expect", "");
	/* OTEL_EXPORTER_OTLP_HEADERS are the call's metadata; never logged */
	for (size_t i = 0; !err && i < cfg->headers.n; i++)
		if (cfg->headers.v[i].type == ATTR_STR)
			err = add_header(g, cfg->headers.v[i].key, cfg->headers.v[i].s);
	if (err)
		goto fail;
	curl_easy_setopt(g->curl, CURLOPT_URL, url);
	curl_easy_setopt(g->curl, CURLOPT_HTTP_VERSION,
			 tls ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	curl_easy_setopt(g->curl, CURLOPT_HTTPHEADER, g->headers);
	curl_easy_setopt(g->curl, CURLOPT_USERAGENT, "agentrace/" AGENTRACE_VERSION " grpc-c/curl");
	curl_easy_setopt(g->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(g->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(g->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(g->curl, CURLOPT_WRITEDATA, g);
	curl_easy_setopt(g->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(g->curl, CURLOPT_HEADERDATA, g);
	curl_easy_setopt(g->curl, CURLOPT_XFERINFOFUNCTION, otlp_http__abort_progress);
	curl_easy_setopt(g->curl, CURLOPT_XFERINFODATA, (void *)g->abort_at_ns);
	curl_easy_setopt(g->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(g->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(g->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (cfg->ca_file)
		curl_easy_setopt(g->curl, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->client_cert)
		curl_easy_setopt(g->curl, CURLOPT_SSLCERT, cfg->client_cert);
	if (cfg->client_key)
		curl_easy_setopt(g->curl, CURLOPT_SSLKEY, cfg->client_key);
	free(url);
	return g;
fail:
	free(url);
	otlp_grpc__free(g);
	return NULL;
}

/* Fills res from a finished exchange. */
static int finish(struct otlp_grpc *g, struct http_response *res)
{
	long http = 0, ver = 0;
	const uint8_t *msg;
	size_t mlen;
	bool compressed;

	curl_easy_getinfo(g->curl, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_getinfo(g->curl, CURLINFO_HTTP_VERSION, &ver);
	if (ver != CURL_HTTP_VERSION_2_0) {
		snprintf(res->error, sizeof(res->error), "the server did not speak HTTP/2");
		return -EIO;
	}
	if (http != 200) {
		/* a proxy or a non-gRPC server: its HTTP status decides */
		res->status = http;
		return 0;
	}
	if (g->status < 0) {
		snprintf(res->error, sizeof(res->error), "no grpc-status trailer");
		return -EIO;
	}
	res->grpc_status = g->status;
	res->status = grpc_wire__as_http(g->status, g->retry_ms >= 0);
	if (res->status == 429)
		res->retry_after_ms = g->retry_ms;
	if (g->status != GRPC_OK) {
		res->body = strdup(g->message);
		res->body_len = res->body ? strlen(res->body) : 0;
		return 0;
	}
	/* the response message, for partial success */
	if (!grpc_wire__unframe(g->rbuf, g->rlen, &msg, &mlen, &compressed) && !compressed &&
	    mlen <= HTTP_RESPONSE_BODY_MAX && (res->body = malloc(mlen + 1))) {
		memcpy(res->body, msg, mlen);
		res->body[mlen] = 0;
		res->body_len = mlen;
	}
	return 0;
}

int otlp_grpc__call(struct otlp_grpc *g, const void *msg, size_t len, int timeout_ms,
		    struct http_response *res)
{
	char timeout_hdr[40];
	struct curl_slist *extra = NULL, *tail;
	long conns = 0;
	uint8_t *frame;
	CURLcode rc;
	int err;

	memset(res, 0, sizeof(*res));
	res->retry_after_ms = -1;
	if (len > UINT32_MAX)
		return -EMSGSIZE;
	frame = malloc(GRPC_PREFIX_LEN + len);
	if (!frame)
		return -ENOMEM;
	grpc_wire__prefix(frame, g->gzip, (uint32_t)len);
	memcpy(frame + GRPC_PREFIX_LEN, msg, len);
	g->rlen = 0;
	g->status = -1;
	g->retry_ms = -1;
	g->message[0] = 0;
	if (timeout_ms <= 0)
		timeout_ms = 1;
	/* the deadline travels with the call, so the server gives up too */
	snprintf(timeout_hdr, sizeof(timeout_hdr), "grpc-timeout: %dm", timeout_ms);
	for (tail = g->headers; tail->next; tail = tail->next)
		;
	extra = curl_slist_append(NULL, timeout_hdr);
	if (!extra) {
		free(frame);
		return -ENOMEM;
	}
	tail->next = extra;
	curl_easy_setopt(g->curl, CURLOPT_POSTFIELDS, frame);
	curl_easy_setopt(g->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(len + GRPC_PREFIX_LEN));
	curl_easy_setopt(g->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(g->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(g->curl, CURLOPT_FRESH_CONNECT, g->fresh ? 1L : 0L);
	rc = curl_easy_perform(g->curl);
	/* libcurl 7.88 fails a new stream on an idle h2 connection that a
	 * grpcio server kept open with a framing error before sending
	 * anything; the call then simply goes again on a new connection. */
	if (rc == CURLE_HTTP2 && !g->fresh && !curl_easy_getinfo(g->curl, CURLINFO_NUM_CONNECTS,
								 &conns) && conns == 0) {
		g->rlen = 0;
		curl_easy_setopt(g->curl, CURLOPT_FRESH_CONNECT, 1L);
		rc = curl_easy_perform(g->curl);
	}
	tail->next = NULL;
	curl_slist_free_all(extra);
	free(frame);
	if (rc != CURLE_OK) {
		g->fresh = true;
		snprintf(res->error, sizeof(res->error), "%s", curl_easy_strerror(rc));
		return rc == CURLE_WRITE_ERROR || rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	}
	err = finish(g, res);
	if (err)
		res->status = 0;
	g->fresh = err || res->grpc_status != GRPC_OK || res->status != 200;
	return err;
}
