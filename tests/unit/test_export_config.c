// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

#include "export/config.h"

/* A fake environment: NULL-terminated name/value pairs. */
static const char *fake_env(void *ctx, const char *name)
{
	const char *const *kv = ctx;

	for (; kv[0]; kv += 2)
		if (strcmp(kv[0], name) == 0)
			return kv[1];
	return NULL;
}

static int load(struct export_config *cfg, const char *const *env)
{
	export_config__init(cfg);
	return export_config__from_env(cfg, fake_env, (void *)env);
}

static const char *hdr(const struct export_config *cfg, const char *k)
{
	const struct attr *a = attrs__get(&cfg->headers, k);

	return a ? a->s : NULL;
}

Test(export_config, defaults_to_console)
{
	const char *env[] = { NULL };
	struct export_config cfg;

	cr_assert_eq(load(&cfg, env), 0);
	cr_assert_eq(cfg.kind, EXPORT_CONSOLE);
	cr_assert_null(cfg.endpoint);
	cr_assert_eq(cfg.protocol, OTLP_HTTP_PROTOBUF);
	cr_assert_eq(cfg.timeout_ms, 10000);
	cr_assert_eq(cfg.max_batch, 512);
	cr_assert_eq(cfg.max_queue, 8192);
	cr_assert_eq(cfg.batch_timeout_ms, 1000);
	cr_assert_not(cfg.gzip);
	export_config__release(&cfg);
}

Test(export_config, base_endpoint_gets_path)
{
	const char *a[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", NULL };
	const char *b[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/", NULL };
	const char *c[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "https://h/otlp//", NULL };
	struct export_config cfg;

	cr_assert_eq(load(&cfg, a), 0);
	cr_assert_eq(cfg.kind, EXPORT_OTLP, "an endpoint selects otlp");
	cr_assert_str_eq(cfg.endpoint, "http://collector:4318/v1/traces");
	export_config__release(&cfg);
	cr_assert_eq(load(&cfg, b), 0);
	cr_assert_str_eq(cfg.endpoint, "http://collector:4318/v1/traces");
	export_config__release(&cfg);
	cr_assert_eq(load(&cfg, c), 0);
	cr_assert_str_eq(cfg.endpoint, "https://h/otlp/v1/traces");
	export_config__release(&cfg);
}

Test(export_config, traces_endpoint_used_as_is_and_wins)
{
	const char *env[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318",
			      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:9999/custom/",
			      NULL };
	const char *only[] = { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:1/x", NULL };
	struct export_config cfg;

	cr_assert_eq(load(&cfg, env), 0);
	cr_assert_str_eq(cfg.endpoint, "http://t:9999/custom/");
	export_config__release(&cfg);
	cr_assert_eq(load(&cfg, only), 0);
	cr_assert_eq(cfg.kind, EXPORT_OTLP);
	cr_assert_str_eq(cfg.endpoint, "http://t:1/x");
	export_config__release(&cfg);
}

Test(export_config, traces_exporter_wins)
{
	const char *console[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318",
				  "OTEL_TRACES_EXPORTER", "console", NULL };
	const char *none[] = { "OTEL_TRACES_EXPORTER", "none", NULL };
	const char *otlp[] = { "OTEL_TRACES_EXPORTER", "otlp", NULL };
	const char *list[] = { "OTEL_TRACES_EXPORTER", "otlp,console", NULL };
	const char *bad[] = { "OTEL_TRACES_EXPORTER", "zipkin", NULL };
	const char *empty[] = { "OTEL_TRACES_EXPORTER", "", NULL };
	struct export_config cfg;

	cr_assert_eq(load(&cfg, console), 0);
	cr_assert_eq(cfg.kind, EXPORT_CONSOLE);
	export_config__release(&cfg);
	cr_assert_eq(load(&cfg, none), 0);
	cr_assert_eq(cfg.kind, EXPORT_NONE);
	export_config__release(&cfg);
	cr_assert_eq(load(&cfg, otlp), 0);
	cr_assert_eq(cfg.kind, EXPORT_OTLP);
	cr_assert_str_eq(cfg.endpoint, "http://localhost:4318/v1/traces");
	export_config__release(&cfg);
	cr_assert_eq(load(&cfg, list), 0);
	cr_assert_eq(cfg.kind, EXPORT_OTLP);
	export_config__release(&cfg);
	cr_assert_eq(load(&cfg, bad), -EINVAL);
	export_config__release(&cfg);
	cr_assert_eq(load(&cfg, empty), 0);
	cr_assert_eq(cfg.kind, EXPORT_CONSOLE);
	export_config__release(&cfg);
}

Test(export_config, headers_parsed_and_decoded)
{
	const char *env[] = {
		"OTEL_EXPORTER_OTLP_HEADERS",
		"api-key=s3cr%3Dt, x-team = a%20b ,broken,=novalue,x-crlf=a%0d%0ab,", NULL
	};
	const char *pref[] = { "OTEL_EXPORTER_OTLP_HEADERS", "a=1",
			       "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2", NULL };
	struct export_config cfg;

	cr_assert_eq(load(&cfg, env), 0);
	cr_assert_eq(cfg.headers.n, 2);
	cr_assert_str_eq(hdr(&cfg, "api-key"), "s3cr=t");
	cr_assert_str_eq(hdr(&cfg, "x-team"), "a b");
	cr_assert_null(hdr(&cfg, "x-crlf"), "header injection must be refused");
	export_config__release(&cfg);

	cr_assert_eq(load(&cfg, pref), 0);
	cr_assert_null(hdr(&cfg, "a"), "signal-specific headers replace the generic ones");
	cr_assert_str_eq(hdr(&cfg, "b"), "2");
	export_config__release(&cfg);
}

Test(export_config, parse_kv_counts_skips)
{
	struct attr_list l = { 0 };

	cr_assert_eq(export_config__parse_kv(&l, "a=1,b,c=%zz,=x, ,d=%41"), 2);
	cr_assert_eq(l.n, 3);
	cr_assert_str_eq(attrs__get(&l, "a")->s, "1");
	cr_assert_str_eq(attrs__get(&l, "c")->s, "%zz");
	cr_assert_str_eq(attrs__get(&l, "d")->s, "A");
	attrs__clear(&l);
}

Test(export_config, protocol_compression_timeout_resource)
{
	const char *env[] = {
		"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json",
		"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip",
		"OTEL_EXPORTER_OTLP_TIMEOUT", "2500",
		"OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,k8s.cluster.name=c%2C1",
		"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64",
		"OTEL_BSP_SCHEDULE_DELAY", "200",
		"AGENTRACE_EXPORT_RETRY_INITIAL_MS", "10",
		"OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem",
		"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/etc/traces-ca.pem",
		NULL
	};
	const char *bad[] = {
		"OTEL_EXPORTER_OTLP_PROTOCOL", "thrift",
		"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "zstd",
		"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "10s",
		"OTEL_BSP_MAX_QUEUE_SIZE", "-5",
		NULL
	};
	struct export_config cfg, copy;

	cr_assert_eq(load(&cfg, env), 0);
	cr_assert_eq(cfg.protocol, OTLP_HTTP_JSON);
	cr_assert(cfg.gzip);
	cr_assert_eq(cfg.timeout_ms, 2500);
	cr_assert_eq(cfg.max_batch, 64);
	cr_assert_eq(cfg.batch_timeout_ms, 200);
	cr_assert_eq(cfg.retry_initial_ms, 10);
	cr_assert_str_eq(attrs__get(&cfg.resource, "deployment.environment")->s, "prod");
	cr_assert_str_eq(attrs__get(&cfg.resource, "k8s.cluster.name")->s, "c,1");
	cr_assert_str_eq(cfg.ca_file, "/etc/traces-ca.pem");
	cr_assert_null(cfg.client_key);
	cr_assert_eq(export_config__copy(&copy, &cfg), 0);
	export_config__release(&cfg);
	cr_assert_str_eq(copy.ca_file, "/etc/traces-ca.pem");
	cr_assert_str_eq(attrs__get(&copy.resource, "k8s.cluster.name")->s, "c,1");
	export_config__release(&copy);

	cr_assert_eq(load(&cfg, bad), 0);
	cr_assert_eq(cfg.protocol, OTLP_HTTP_PROTOBUF);
	cr_assert_not(cfg.gzip);
	cr_assert_eq(cfg.timeout_ms, 10000);
	cr_assert_eq(cfg.max_queue, 8192);
	export_config__release(&cfg);
}

Test(export_config, traces_url_helper)
{
	char *u = export_config__traces_url("http://a");

	cr_assert_str_eq(u, "http://a/v1/traces");
	free(u);
	u = export_config__traces_url("http://a:1/p/");
	cr_assert_str_eq(u, "http://a:1/p/v1/traces");
	free(u);
}

/* The endpoint warning names the collector, never its credentials. */
Test(export_config, endpoint_warning_has_no_userinfo, .init = cr_redirect_stderr)
{
	const char *env[] = { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
			      "alice:hunter2@collector:4318/v1/traces?token=tok3n", NULL };
	struct export_config cfg;
	char got[1024] = "";
	FILE *f;

	/* No scheme: refused at start (issue #16), and the refusal is redacted. */
	cr_assert_eq(load(&cfg, env), -EINVAL);
	export_config__release(&cfg);
	fflush(stderr);
	f = cr_get_redirected_stderr();
	cr_assert_gt(fread(got, 1, sizeof(got) - 1, f), 0);
	cr_assert(strstr(got, "collector:4318"), "%s", got);
	cr_assert_null(strstr(got, "hunter2"), "%s", got);
	cr_assert_null(strstr(got, "alice"), "%s", got);
	cr_assert_null(strstr(got, "tok3n"), "%s", got);
}

/* An endpoint that can never work is an error at start (issue #16), not a
 * warning followed by minutes of retries per batch. */
Test(export_config, unusable_endpoint_is_an_error)
{
	static const char *const bad[] = { "notaurl", "collector:4318", "ftp://c:21/x",
					   "http://", "http://[::1/x", "https:///v1/traces" };
	struct export_config cfg;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *base[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", bad[i], NULL };
		const char *traces[] = { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", bad[i], NULL };

		cr_assert_eq(load(&cfg, base), -EINVAL, "%s accepted", bad[i]);
		export_config__release(&cfg);
		cr_assert_eq(load(&cfg, traces), -EINVAL, "%s accepted", bad[i]);
		export_config__release(&cfg);
	}
	{
		const char *ok[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "HTTPS://[::1]:4318", NULL };

		cr_assert_eq(load(&cfg, ok), 0);
		export_config__release(&cfg);
	}
}

/* OTLP/gRPC: the endpoint is used as given (no /v1/traces) and defaults to
 * port 4317, as the OTLP exporter spec says. */
Test(export_config, grpc_endpoint_and_default_port)
{
	const char *base[] = { "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
			       "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317", NULL };
	const char *traces[] = { "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc",
				 "OTEL_EXPORTER_OTLP_PROTOCOL", "http/json",
				 "OTEL_TRACES_EXPORTER", "otlp", NULL };
	struct export_config cfg;

	cr_assert_eq(load(&cfg, base), 0);
	cr_assert_eq(cfg.protocol, OTLP_GRPC);
	cr_assert_str_eq(cfg.endpoint, "http://collector:4317");
	export_config__release(&cfg);
	cr_assert_eq(load(&cfg, traces), 0);
	cr_assert_eq(cfg.protocol, OTLP_GRPC);
	cr_assert_str_eq(cfg.endpoint, "http://localhost:4317");
	cr_assert_str_eq(export_config__default_endpoint(OTLP_HTTP_PROTOBUF),
			 "http://localhost:4318/v1/traces");
	export_config__release(&cfg);
}
