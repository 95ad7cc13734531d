// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "metrics/config.h"

static const char *get1(export_getenv_fn get, void *ctx, const char *name)
{
	const char *v = get(ctx, name);

	return v && *v ? v : NULL;
}

char *metrics_config__url_from_traces(const char *url)
{
	size_t n = strlen(url);
	static const char tr[] = "/v1/traces";
	char *out;

	while (n && url[n - 1] == '/')
		n--;
	if (n >= sizeof(tr) - 1 && !strncmp(url + n - (sizeof(tr) - 1), tr, sizeof(tr) - 1))
		n -= sizeof(tr) - 1;
	out = malloc(n + sizeof("/v1/metrics"));
	if (!out)
		return NULL;
	memcpy(out, url, n);
	strcpy(out + n, "/v1/metrics");
	return out;
}

static int set_endpoint(struct metrics_config *cfg, export_getenv_fn get, void *ctx)
{
	const char *full = get1(get, ctx, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
	const char *base = get1(get, ctx, "OTEL_EXPORTER_OTLP_ENDPOINT");
	char *url;

	if (full)
		url = strdup(full);
	else if (base)
		url = metrics_config__url_from_traces(base);
	else if (cfg->http.endpoint)
		url = metrics_config__url_from_traces(cfg->http.endpoint);
	else
		url = strdup(METRICS_DEFAULT_ENDPOINT);
	if (!url)
		return -ENOMEM;
	free(cfg->http.endpoint);
	cfg->http.endpoint = url;
	return 0;
}

int metrics_config__from(struct metrics_config *cfg, const struct export_config *tr,
			 export_getenv_fn get, void *ctx)
{
	const char *v;
	char *end;
	long n;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	cfg->interval_ms = 60000;
	cfg->max_series = 2000;
	err = export_config__copy(&cfg->http, tr);
	if (err)
		return err;
	/* A file or console trace exporter gets the console summary. */
	if (cfg->http.kind == EXPORT_FILE)
		cfg->http.kind = EXPORT_CONSOLE;
	v = get1(get, ctx, "OTEL_METRICS_EXPORTER");
	if (v && !strcasecmp(v, "otlp"))
		cfg->http.kind = EXPORT_OTLP;
	else if (v && (!strcasecmp(v, "console") || !strcasecmp(v, "logging")))
		cfg->http.kind = EXPORT_CONSOLE;
	else if (v && !strcasecmp(v, "none"))
		cfg->http.kind = EXPORT_NONE;
	else if (v) {
		warn("unsupported OTEL_METRICS_EXPORTER=%s (supported: otlp, console, none)", v);
		return -EINVAL;
	}
	err = set_endpoint(cfg, get, ctx);
	if (err)
		return err;
	v = get1(get, ctx, "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL");
	if (v && !strcasecmp(v, "http/protobuf"))
		cfg->http.protocol = OTLP_HTTP_PROTOBUF;
	else if (v && !strcasecmp(v, "http/json"))
		cfg->http.protocol = OTLP_HTTP_JSON;
	else if (v)
		warn("unsupported metrics protocol %s, keeping the traces protocol", v);
	v = get1(get, ctx, "OTEL_EXPORTER_OTLP_METRICS_HEADERS");
	if (v) {
		attrs__clear(&cfg->http.headers);
		err = export_config__parse_kv(&cfg->http.headers, v);
		if (err < 0)
			return err;
		if (err > 0)
			warn("OTEL_EXPORTER_OTLP_METRICS_HEADERS: skipped %d malformed entries", err);
	}
	v = get1(get, ctx, "OTEL_METRIC_EXPORT_INTERVAL");
	if (v) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || *end || n < 1 || n > 86400000)
			warn("ignoring OTEL_METRIC_EXPORT_INTERVAL=%s: expected ms in [1, 86400000]",
			     v);
		else
			cfg->interval_ms = (int)n;
	}
	v = get1(get, ctx, "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE");
	if (v && (!strcasecmp(v, "delta") || !strcasecmp(v, "lowmemory")))
		cfg->delta = true;
	else if (v && strcasecmp(v, "cumulative"))
		warn("unsupported metrics temporality preference %s, using cumulative", v);
	return 0;
}

void metrics_config__release(struct metrics_config *cfg)
{
	export_config__release(&cfg->http);
}
