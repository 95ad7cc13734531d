// SPDX-License-Identifier: MIT
#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include "export/otlp_http.h"
#include "export/retry.h"

struct otlp_http {
	CURL *curl;
	struct curl_slist *headers;
	const _Atomic uint64_t *abort_at_ns;
	struct http_response *cur; /* response being filled */
};

void http_response__release(struct http_response *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
	r->retry_after_ms = -1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct http_response *r = ((struct otlp_http *)ud)->cur;
	size_t n = size * nmemb, room = HTTP_RESPONSE_BODY_MAX - r->body_len;
	char *b;

	if (n > room)
		n = room; /* keep a bounded prefix, swallow the rest */
	if (!n)
		return size * nmemb;
	b = realloc(r->body, r->body_len + n + 1);
	if (!b)
		return 0; /* aborts the transfer */
	memcpy(b + r->body_len, p, n);
	r->body = b;
	r->body_len += n;
	b[r->body_len] = '\0';
	return size * nmemb;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct http_response *r = ((struct otlp_http *)ud)->cur;
	size_t n = size * nmemb;
	char val[128];
	size_t vl;

	if (n > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		vl = n - 12 < sizeof(val) - 1 ? n - 12 : sizeof(val) - 1;
		memcpy(val, p + 12, vl);
		val[vl] = '\0';
		val[strcspn(val, "\r\n")] = '\0';
		r->retry_after_ms = retry__parse_after(val, time(NULL));
	} else if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		r->retry_after_ms = -1; /* a new response (after 100-continue) */
	}
	return n;
}

int otlp_http__abort_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
			      curl_off_t un)
{
	const _Atomic uint64_t *abort_at_ns = ud;
	uint64_t at = abort_at_ns ? atomic_load(abort_at_ns) : 0;

	return at && mono_ns() >= at;
}

void otlp_http__free(struct otlp_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	free(h);
}

int otlp_http__append_header(struct curl_slist **list, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *line = malloc(n);
	struct curl_slist *l;

	if (!line)
		return -ENOMEM;
	snprintf(line, n, "%s: %s", name, value);
	l = curl_slist_append(*list, line);
	free(line);
	if (!l)
		return -ENOMEM;
	*list = l;
	return 0;
}

static int add_header(struct otlp_http *h, const char *name, const char *value)
{
	return otlp_http__append_header(&h->headers, name, value);
}

struct otlp_http *otlp_http__new(const struct export_config *cfg,
				 const _Atomic uint64_t *abort_at_ns)
{
	struct otlp_http *h = calloc(1, sizeof(*h));
	bool json = cfg->protocol == OTLP_HTTP_JSON;
	int err = 0;

	if (!h)
		return NULL;
	h->abort_at_ns = abort_at_ns;
	h->curl = curl_easy_init();
	if (!h->curl)
		goto fail;
	err = add_header(h, "Content-Type", json ? "application/json" : "application/x-protobuf");
	if (!err && cfg->gzip)
		err = add_header(h, "Content-Encoding", "gzip");
	/* No "Expect: 100-continue" round trip for large bodies. */
	if (!err)
		err = add_header(h, "Expect", "");
	for (size_t i = 0; !err && i < cfg->headers.n; i++)
		if (cfg->headers.v[i].type == ATTR_STR)
			err = add_header(h, cfg->headers.v[i].key, cfg->headers.v[i].s);
	if (err)
		goto fail;
	curl_easy_setopt(h->curl, CURLOPT_URL, cfg->endpoint ? cfg->endpoint
							     : OTLP_DEFAULT_ENDPOINT);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "agentrace/" AGENTRACE_VERSION);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, otlp_http__abort_progress);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, (void *)h->abort_at_ns);
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	/* A collector never redirects; following one could leak headers. */
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (cfg->ca_file)
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->client_cert)
		curl_easy_setopt(h->curl, CURLOPT_SSLCERT, cfg->client_cert);
	if (cfg->client_key)
		curl_easy_setopt(h->curl, CURLOPT_SSLKEY, cfg->client_key);
	return h;
fail:
	otlp_http__free(h);
	return NULL;
}

int otlp_http__post(struct otlp_http *h, const void *body, size_t len, int timeout_ms,
		    struct http_response *res)
{
	CURLcode rc;

	memset(res, 0, sizeof(*res));
	res->retry_after_ms = -1;
	h->cur = res;
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 1));
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(timeout_ms > 0 ? timeout_ms : 1));
	rc = curl_easy_perform(h->curl);
	h->cur = NULL;
	if (rc != CURLE_OK) {
		res->status = 0;
		snprintf(res->error, sizeof(res->error), "%s", curl_easy_strerror(rc));
		return rc == CURLE_WRITE_ERROR || rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &res->status);
	if (res->status == 0) {
		snprintf(res->error, sizeof(res->error), "no http status");
		return -EIO;
	}
	return 0;
}

int otlp_http__gzip(const void *in, size_t n, uint8_t **out, size_t *out_len)
{
	z_stream zs;
	uLong bound;
	int rc;

	*out = NULL;
	*out_len = 0;
	memset(&zs, 0, sizeof(zs));
	/* windowBits 15 + 16 selects the gzip wrapper. */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	/* zlib counts in uInt: a 4 GiB body would be cut silently */
	if (n > UINT32_MAX / 2) {
		deflateEnd(&zs);
		return -EFBIG;
	}
	bound = deflateBound(&zs, n) + 32;
	*out = malloc(bound);
	if (!*out) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = *out;
	zs.avail_out = (uInt)bound;
	rc = deflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		*out_len = 0;
		return -EIO;
	}
	return 0;
}

void otlp_http__redact_url(const char *url, char *buf, size_t sz)
{
	const char *scheme_end = strstr(url, "://"), *host = url, *at, *end;
	size_t pre = 0;

	if (scheme_end) {
		host = scheme_end + 3;
		pre = host - url;
	}
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', end - host);
	if (at)
		host = at + 1;
	end = host + strcspn(host, "?#");
	snprintf(buf, sz, "%.*s%.*s", (int)pre, url, (int)(end - host), host);
}
