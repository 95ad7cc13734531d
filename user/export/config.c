// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/log.h"
#include "export/config.h"
#include "export/otlp_http.h"

const char *export_config__process_env(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

void export_config__init(struct export_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kind = EXPORT_CONSOLE;
	cfg->protocol = OTLP_HTTP_PROTOBUF;
	cfg->timeout_ms = 10000;
	cfg->max_queue = 8192;
	cfg->max_batch = 512;
	cfg->batch_timeout_ms = 1000;
	cfg->retry_initial_ms = 1000;
	cfg->retry_max_ms = 30000;
	cfg->retry_max_elapsed_ms = 300000;
}

void export_config__release(struct export_config *cfg)
{
	free(cfg->endpoint);
	free(cfg->output_path);
	free(cfg->ca_file);
	free(cfg->client_cert);
	free(cfg->client_key);
	attrs__clear(&cfg->headers);
	attrs__clear(&cfg->resource);
	export_config__init(cfg);
}

static int copy_strings(struct attr_list *dst, const struct attr_list *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (src->v[i].type == ATTR_STR &&
		    attrs__set_str(dst, src->v[i].key, src->v[i].s))
			return -ENOMEM;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int export_config__copy(struct export_config *dst, const struct export_config *src)
{
	*dst = *src;
	dst->endpoint = dup_or_null(src->endpoint);
	dst->output_path = dup_or_null(src->output_path);
	dst->ca_file = dup_or_null(src->ca_file);
	dst->client_cert = dup_or_null(src->client_cert);
	dst->client_key = dup_or_null(src->client_key);
	memset(&dst->headers, 0, sizeof(dst->headers));
	memset(&dst->resource, 0, sizeof(dst->resource));
	if ((src->endpoint && !dst->endpoint) || (src->output_path && !dst->output_path) ||
	    (src->ca_file && !dst->ca_file) || (src->client_cert && !dst->client_cert) ||
	    (src->client_key && !dst->client_key) ||
	    copy_strings(&dst->headers, &src->headers) ||
	    copy_strings(&dst->resource, &src->resource)) {
		export_config__release(dst);
		return -ENOMEM;
	}
	return 0;
}

const char *export_kind__name(enum export_kind k)
{
	switch (k) {
	case EXPORT_CONSOLE:
		return "console";
	case EXPORT_OTLP:
		return "otlp";
	case EXPORT_FILE:
		return "file";
	case EXPORT_NONE:
		return "none";
	}
	return "?";
}

const char *otlp_protocol__name(enum otlp_protocol p)
{
	return p == OTLP_GRPC ? "grpc" : p == OTLP_HTTP_JSON ? "http/json" : "http/protobuf";
}

const char *export_config__default_endpoint(enum otlp_protocol p)
{
	return p == OTLP_GRPC ? OTLP_GRPC_DEFAULT_ENDPOINT : OTLP_DEFAULT_ENDPOINT;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Trims s[0..n), percent-decodes it into a malloc'd string; NULL on
 * -ENOMEM. Malformed escapes are kept literally. */
static char *decode_part(const char *s, size_t n)
{
	char *out, *o;

	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	out = o = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n &&
		    (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

int export_config__parse_kv(struct attr_list *l, const char *list)
{
	const char *p = list;
	int skipped = 0;

	while (p && *p) {
		const char *end = strchr(p, ','), *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *k = NULL, *v = NULL;
		int err = 0;

		eq = memchr(p, '=', len);
		if (eq) {
			k = decode_part(p, eq - p);
			v = decode_part(eq + 1, len - (eq - p) - 1);
			if (!k || !v)
				err = -ENOMEM;
			else if (!k[0] || has_ctl(k) || has_ctl(v))
				skipped++;
			else
				err = attrs__set_str(l, k, v);
		} else if (strspn(p, " \t") < len) {
			skipped++;
		}
		free(k);
		free(v);
		if (err)
			return err;
		p = end ? end + 1 : NULL;
	}
	return skipped;
}

char *export_config__traces_url(const char *base)
{
	size_t n = strlen(base);
	char *url;

	while (n && base[n - 1] == '/')
		n--;
	url = malloc(n + sizeof("/v1/traces"));
	if (!url)
		return NULL;
	memcpy(url, base, n);
	strcpy(url + n, "/v1/traces");
	return url;
}

int export_config__check_url(const char *url, const char **why)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int err = -EINVAL;

	*why = "not a URL";
	if (!u)
		return -ENOMEM;
	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) {
		*why = "needs an http:// or https:// scheme";
		goto cleanup;
	}
	/* libcurl reads "https:///x" as host "x": refuse it first */
	if (!url[strcspn(url, ":") + 3] || url[strcspn(url, ":") + 3] == '/') {
		*why = "has no host";
		goto cleanup;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0))
		goto cleanup;
	if (!host[0]) {
		*why = "has no host";
		goto cleanup;
	}
	err = 0;
cleanup:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return err;
}

/* Returns the first set, non-empty variable of the two (a wins), and its
 * name in *which if which is not NULL. */
static const char *get2w(export_getenv_fn get, void *ctx, const char *a, const char *b,
			 const char **which)
{
	const char *v = get(ctx, a);

	if (which)
		*which = a;
	if (v && *v)
		return v;
	if (which)
		*which = b;
	v = b ? get(ctx, b) : NULL;
	return v && *v ? v : NULL;
}

static const char *get2(export_getenv_fn get, void *ctx, const char *a, const char *b)
{
	return get2w(get, ctx, a, b, NULL);
}

/* Parses an integer variable into *out if set and within [lo, hi]. */
static void get_int(export_getenv_fn get, void *ctx, const char *a, const char *b,
		    int lo, int hi, int *out)
{
	const char *name, *v = get2w(get, ctx, a, b, &name);
	char *end;
	long n;

	if (!v)
		return;
	errno = 0;
	n = strtol(v, &end, 10);
	while (*end == ' ')
		end++;
	if (errno || end == v || *end || n < lo || n > hi) {
		warn("ignoring %s=%s: expected an integer in [%d, %d]", name, v, lo, hi);
		return;
	}
	*out = (int)n;
}

/* Reads OTEL_TRACES_EXPORTER into *kind. Returns 0, 1 if unset, or
 * -EINVAL for an exporter agentrace does not have. */
static int parse_exporter(const char *v, enum export_kind *kind)
{
	size_t n;

	if (!v)
		return 1;
	while (*v == ' ')
		v++;
	n = strcspn(v, ", ");
	if (v[n] && v[n + strspn(v + n, ", ")])
		warn("OTEL_TRACES_EXPORTER: only the first exporter is used");
	if (n == 4 && strncasecmp(v, "otlp", 4) == 0)
		*kind = EXPORT_OTLP;
	else if ((n == 7 && strncasecmp(v, "console", 7) == 0) ||
		 (n == 7 && strncasecmp(v, "logging", 7) == 0))
		*kind = EXPORT_CONSOLE;
	else if (n == 4 && strncasecmp(v, "none", 4) == 0)
		*kind = EXPORT_NONE;
	else if (n == 0)
		return 1;
	else
		return -EINVAL;
	return 0;
}

static int parse_headers(struct export_config *cfg, const char *v, const char *name)
{
	int r;

	attrs__clear(&cfg->headers);
	r = export_config__parse_kv(&cfg->headers, v);
	if (r > 0)
		warn("%s: skipped %d malformed entries", name, r); /* never echo values */
	return r < 0 ? r : 0;
}

/* Reads OTEL_EXPORTER_OTLP_[TRACES_]<what> into *out. Returns 0 or
 * -ENOMEM. */
static int get_path(export_getenv_fn get, void *ctx, const char *what, char **out)
{
	char a[80], b[80];
	const char *v;

	snprintf(a, sizeof(a), "OTEL_EXPORTER_OTLP_TRACES_%s", what);
	snprintf(b, sizeof(b), "OTEL_EXPORTER_OTLP_%s", what);
	v = get2(get, ctx, a, b);
	if (!v)
		return 0;
	free(*out);
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
}

int export_config__from_env(struct export_config *cfg, export_getenv_fn get, void *ctx)
{
	const char *tep = get2(get, ctx, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", NULL);
	const char *bep = get2(get, ctx, "OTEL_EXPORTER_OTLP_ENDPOINT", NULL);
	const char *v;
	int err;

	/* The protocol first: it decides the endpoint's path and port. */
	v = get2(get, ctx, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL");
	if (v && strcasecmp(v, "http/protobuf") == 0)
		cfg->protocol = OTLP_HTTP_PROTOBUF;
	else if (v && strcasecmp(v, "http/json") == 0)
		cfg->protocol = OTLP_HTTP_JSON;
	else if (v && strcasecmp(v, "grpc") == 0)
		cfg->protocol = OTLP_GRPC;
	else if (v)
		warn("unsupported otlp protocol %s, using http/protobuf", v);

	if (tep || bep) {
		/* gRPC endpoints are used as given: the method names the path */
		char *url = tep || cfg->protocol == OTLP_GRPC ? strdup(tep ? tep : bep)
							      : export_config__traces_url(bep);
		const char *why;
		char shown[256];

		if (!url)
			return -ENOMEM;
		/* A URL that can never work stops the start, rather than a
		 * batch retrying it for minutes. */
		err = export_config__check_url(url, &why);
		if (err) {
			otlp_http__redact_url(tep ? tep : bep, shown, sizeof(shown));
			warn("%s=%s %s", tep ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" :
			     "OTEL_EXPORTER_OTLP_ENDPOINT", shown, why);
			free(url);
			return err;
		}
		free(cfg->endpoint);
		cfg->endpoint = url;
		cfg->kind = EXPORT_OTLP;
	}
	v = get2(get, ctx, "OTEL_TRACES_EXPORTER", NULL);
	err = parse_exporter(v, &cfg->kind);
	if (err < 0) {
		warn("unsupported OTEL_TRACES_EXPORTER=%s (supported: otlp, console, none)", v);
		return err;
	}
	if (cfg->kind == EXPORT_OTLP && !cfg->endpoint) {
		cfg->endpoint = strdup(export_config__default_endpoint(cfg->protocol));
		if (!cfg->endpoint)
			return -ENOMEM;
	}

	v = get2(get, ctx, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
		 "OTEL_EXPORTER_OTLP_COMPRESSION");
	if (v && strcasecmp(v, "gzip") == 0)
		cfg->gzip = true;
	else if (v && strcasecmp(v, "none") == 0)
		cfg->gzip = false;
	else if (v)
		warn("unsupported otlp compression %s, sending uncompressed", v);

	get_int(get, ctx, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT",
		1, 600000, &cfg->timeout_ms);
	get_int(get, ctx, "OTEL_BSP_MAX_QUEUE_SIZE", NULL, 1, 1 << 20, &cfg->max_queue);
	get_int(get, ctx, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", NULL, 1, 1 << 16, &cfg->max_batch);
	get_int(get, ctx, "OTEL_BSP_SCHEDULE_DELAY", NULL, 0, 3600000, &cfg->batch_timeout_ms);
	get_int(get, ctx, "AGENTRACE_EXPORT_RETRY_INITIAL_MS", NULL, 1, 3600000,
		&cfg->retry_initial_ms);
	get_int(get, ctx, "AGENTRACE_EXPORT_RETRY_MAX_MS", NULL, 1, 3600000, &cfg->retry_max_ms);
	get_int(get, ctx, "AGENTRACE_EXPORT_RETRY_MAX_ELAPSED_MS", NULL, 0, 86400000,
		&cfg->retry_max_elapsed_ms);
	if (cfg->max_batch > cfg->max_queue)
		cfg->max_batch = cfg->max_queue;

	if ((err = get_path(get, ctx, "CERTIFICATE", &cfg->ca_file)) ||
	    (err = get_path(get, ctx, "CLIENT_CERTIFICATE", &cfg->client_cert)) ||
	    (err = get_path(get, ctx, "CLIENT_KEY", &cfg->client_key)))
		return err;

	v = get2(get, ctx, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS");
	if (v && (err = parse_headers(cfg, v, "otlp headers")))
		return err;

	v = get2(get, ctx, "OTEL_RESOURCE_ATTRIBUTES", NULL);
	if (v) {
		err = export_config__parse_kv(&cfg->resource, v);
		if (err < 0)
			return err;
		if (err > 0)
			warn("OTEL_RESOURCE_ATTRIBUTES: skipped %d malformed entries", err);
	}
	/* The DaemonSet passes spec.nodeName down as NODE_NAME; an explicit
	 * k8s.node.name in OTEL_RESOURCE_ATTRIBUTES wins. */
	v = get2(get, ctx, "NODE_NAME", NULL);
	if (v && *v && !attrs__get(&cfg->resource, "k8s.node.name") &&
	    attrs__set_str(&cfg->resource, "k8s.node.name", v))
		return -ENOMEM;
	return 0;
}
