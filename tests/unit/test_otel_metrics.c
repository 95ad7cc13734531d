// SPDX-License-Identifier: MIT
/* Metrics: the store, span recording, the OTLP encodings (decoded with
 * stock protoc against the official field numbers) and the env config. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/config.h"
#include "metrics/encode.h"
#include "contracts/tool_drift.h"
#include "metrics/record.h"
#include "metrics/self.h"
#include "metrics/store.h"

static const double bounds3[] = { 1, 10, 100 };
static const struct minst h3 = { "test.hist", "s", "test", MINST_HISTOGRAM, bounds3, 3 };
static const struct minst c1 = { "test.count", "1", "test", MINST_SUM, NULL, 0 };

static struct span_process proc(uint32_t pid, const char *svc)
{
	struct span_process p = { .pid = pid };

	snprintf(p.service_name, sizeof(p.service_name), "%s", svc);
	snprintf(p.exe_name, sizeof(p.exe_name), "python3");
	return p;
}

static const struct mpoint *find_point(const struct mbatch *b, const char *name,
				       const char *key, const char *val)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct attr *a;

		if (strcmp(b->v[i].inst->name, name))
			continue;
		if (!key)
			return &b->v[i];
		a = attrs__get(&b->v[i].attrs, key);
		if (a && a->type == ATTR_STR && !strcmp(a->s, val))
			return &b->v[i];
	}
	return NULL;
}

Test(metrics_store, histogram_buckets_are_upper_inclusive)
{
	struct mstore *st = mstore__new(10, false, 5);
	struct span_process p = proc(7, "agent");
	struct mbatch b;
	double vals[] = { 0.5, 1, 1.5, 10, 99, 100, 1000 };

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		mstore__record(st, &h3, &p, NULL, vals[i]);
	cr_assert_eq(mstore__collect(st, 9, &b), 0);
	cr_assert_eq(b.n, 1);
	/* (-inf,1] (1,10] (10,100] (100,+inf) */
	cr_assert_eq(b.v[0].buckets[0], 2);
	cr_assert_eq(b.v[0].buckets[1], 2);
	cr_assert_eq(b.v[0].buckets[2], 2);
	cr_assert_eq(b.v[0].buckets[3], 1);
	cr_assert_eq(b.v[0].count, 7);
	cr_assert_float_eq(b.v[0].sum, 1212.0, 1e-9);
	cr_assert_float_eq(b.v[0].min, 0.5, 1e-9);
	cr_assert_float_eq(b.v[0].max, 1000.0, 1e-9);
	cr_assert_eq(b.v[0].start_ns, 5);
	cr_assert_eq(b.v[0].time_ns, 9);
	mbatch__release(&b);
	mstore__free(st);
}

Test(metrics_store, cardinality_cap_folds_into_overflow_series)
{
	struct mstore *st = mstore__new(3, false, 0);
	struct span_process p = proc(7, "agent");
	struct mstore_stats ss;
	struct mbatch b;
	const struct mpoint *ovf;

	for (int i = 0; i < 10; i++) {
		struct attr_list l = { 0 };
		char v[16];

		snprintf(v, sizeof(v), "m%d", i);
		attrs__set_str(&l, "model", v);
		mstore__add(st, &c1, &p, &l, 1);
		attrs__clear(&l);
	}
	mstore__stats(st, &ss);
	cr_assert_eq(ss.overflowed, 7);
	cr_assert_eq(ss.series, 4, "3 series plus one overflow series, got %lu",
		     (unsigned long)ss.series);
	cr_assert_eq(mstore__collect(st, 1, &b), 0);
	ovf = NULL;
	for (size_t i = 0; i < b.n; i++)
		if (attrs__get(&b.v[i].attrs, "otel.metric.overflow"))
			ovf = &b.v[i];
	cr_assert_not_null(ovf);
	cr_assert_eq(ovf->value, 7);
	mbatch__release(&b);
	mstore__free(st);
}

Test(metrics_store, delta_reports_increments_and_restarts)
{
	struct mstore *st = mstore__new(10, true, 100);
	struct span_process p = proc(7, "agent");
	struct mbatch b;

	mstore__record(st, &h3, &p, NULL, 5);
	mstore__observe(st, &c1, NULL, 40);
	cr_assert_eq(mstore__collect(st, 200, &b), 0);
	cr_assert_eq(b.n, 2);
	cr_assert_eq(find_point(&b, "test.count", NULL, NULL)->value, 40);
	mbatch__release(&b);
	/* nothing new: a delta collection is empty */
	cr_assert_eq(mstore__collect(st, 300, &b), 0);
	cr_assert_eq(b.n, 0);
	mbatch__release(&b);
	mstore__record(st, &h3, &p, NULL, 50);
	mstore__observe(st, &c1, NULL, 45);
	cr_assert_eq(mstore__collect(st, 400, &b), 0);
	cr_assert_eq(b.n, 2);
	cr_assert_eq(find_point(&b, "test.count", NULL, NULL)->value, 5);
	cr_assert_eq(find_point(&b, "test.hist", NULL, NULL)->count, 1, "reset after collection");
	cr_assert_eq(find_point(&b, "test.hist", NULL, NULL)->start_ns, 200,
		     "the interval starts at the last report");
	mbatch__release(&b);
	mstore__free(st);
}

Test(metrics_store, cumulative_keeps_totals)
{
	struct mstore *st = mstore__new(10, false, 100);
	struct span_process p = proc(7, "agent");
	struct mbatch b;

	mstore__record(st, &h3, &p, NULL, 5);
	cr_assert_eq(mstore__collect(st, 200, &b), 0);
	mbatch__release(&b);
	mstore__record(st, &h3, &p, NULL, 6);
	cr_assert_eq(mstore__collect(st, 300, &b), 0);
	cr_assert_eq(b.v[0].count, 2);
	cr_assert_eq(b.v[0].start_ns, 100);
	mbatch__release(&b);
	mstore__free(st);
}

static struct span *llm_span(const char *model, const char *tenant, int in, int out)
{
	struct span *s = span__new("chat", SPAN_KIND_CLIENT);

	s->proc = proc(42, "agent");
	s->start_ns = 1000000000;
	s->end_ns = 1250000000;
	span__set_str(s, "gen_ai.operation.name", "chat");
	span__set_str(s, "gen_ai.provider.name", "openai");
	span__set_str(s, "gen_ai.request.model", model);
	span__set_str(s, "gen_ai.response.model", model);
	span__set_str(s, "server.address", "api.openai.com");
	span__set_int(s, "server.port", 443);
	span__set_str(s, "gen_ai.response.id", "chatcmpl-123"); /* not a metric attribute */
	if (tenant)
		span__set_str(s, "tenant.id", tenant);
	span__set_int(s, "gen_ai.usage.input_tokens", in);
	span__set_int(s, "gen_ai.usage.output_tokens", out);
	return s;
}

Test(metrics_record, llm_spans_feed_token_usage_per_type_and_tenant)
{
	struct mstore *st = mstore__new(100, false, 0);
	struct span *a = llm_span("gpt-4o", "acme", 10, 3);
	struct span *b2 = llm_span("gpt-4o", "acme", 20, 4);
	struct span *c = llm_span("gpt-4o", "globex", 7, 1);
	struct mbatch b;
	int64_t sum_in_acme = 0, n_dur = 0;

	span__set_double(a, "gen_ai.response.time_to_first_chunk", 0.05);
	metrics_record__span(st, a);
	metrics_record__span(st, b2);
	metrics_record__span(st, c);
	cr_assert_eq(mstore__collect(st, 1, &b), 0);
	for (size_t i = 0; i < b.n; i++) {
		const struct mpoint *p = &b.v[i];
		const struct attr *t = attrs__get(&p->attrs, "gen_ai.token.type");
		const struct attr *ten = attrs__get(&p->attrs, "tenant.id");

		cr_assert_null(attrs__get(&p->attrs, "gen_ai.response.id"));
		if (!strcmp(p->inst->name, "gen_ai.client.token.usage") && t &&
		    !strcmp(t->s, "input") && ten && !strcmp(ten->s, "acme"))
			sum_in_acme += (int64_t)p->sum;
		if (!strcmp(p->inst->name, "gen_ai.client.operation.duration"))
			n_dur += (int64_t)p->count;
	}
	cr_assert_eq(sum_in_acme, 30);
	cr_assert_eq(n_dur, 3);
	cr_assert_not_null(find_point(&b, "gen_ai.client.operation.time_to_first_chunk", NULL, NULL));
	mbatch__release(&b);
	mstore__free(st);
	span__free(a);
	span__free(b2);
	span__free(c);
}

Test(metrics_record, mcp_and_blackbox_tools)
{
	struct mstore *st = mstore__new(100, false, 0);
	struct span *m = span__new("tools/call weather", SPAN_KIND_CLIENT);
	struct span *t = span__new("GET", SPAN_KIND_CLIENT);
	struct mbatch b;
	const struct mpoint *p;

	m->end_ns = 2000000;
	span__set_str(m, "mcp.method.name", "tools/call");
	span__set_str(m, "gen_ai.tool.name", "weather");
	t->end_ns = 30000000;
	span__set_str(t, "http.request.method", "GET");
	span__set_str(t, "url.full", "https://api.weather.test/v1/city/12345?key=REDACTED");
	span__set_str(t, "server.address", "api.weather.test");
	span__set_bool(t, "tool.schema.drift", true);
	attrs__set_str(&span__add_event(t, "tool.schema.drift", 0)->attrs, "tool.schema.drift.kind",
		       "output");
	metrics_record__span(st, m);
	metrics_record__span(st, t);
	cr_assert_eq(mstore__collect(st, 1, &b), 0);
	p = find_point(&b, "mcp.client.operation.duration", "gen_ai.tool.name", "weather");
	cr_assert_not_null(p);
	cr_assert_float_eq(p->sum, 0.002, 1e-12);
	p = find_point(&b, "agentrace.tool.duration", "agentrace.tool.key",
		       "api.weather.test/v1/city/{id}");
	cr_assert_not_null(p, "black-box tool keyed by host and path template");
	p = find_point(&b, "agentrace.tool.schema.drift", "agentrace.tool.key",
		       "api.weather.test/v1/city/{id}");
	cr_assert_not_null(p);
	cr_assert_eq(p->value, 1);
	cr_assert_str_eq(attrs__get(&p->attrs, "tool.schema.drift.kind")->s, "output");
	mbatch__release(&b);
	mstore__free(st);
	span__free(m);
	span__free(t);
}

/* The drift counter of a series with these attributes (0 if none). */
static int64_t drift_count(const struct mbatch *b, const char *tool, const char *kind)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct attr *t = attrs__get(&b->v[i].attrs, "agentrace.tool.key");
		const struct attr *k = attrs__get(&b->v[i].attrs, "tool.schema.drift.kind");

		if (!strcmp(b->v[i].inst->name, "agentrace.tool.schema.drift") && t && k &&
		    !strcmp(t->s, tool) && !strcmp(k->s, kind))
			return b->v[i].value;
	}
	return 0;
}

Test(metrics_record, definition_and_listing_drift_count_by_tool_and_kind)
{
	const char *v1[] = { "get_weather=00000000000000a1", "search=00000000000000b1" };
	const char *v2[] = { "get_weather=00000000000000a2", "search=00000000000000b2" };
	struct tool_drift *d = tool_drift__new(NULL, 5, 16);
	struct mstore *st = mstore__new(100, false, 0);
	struct mbatch b;

	for (int i = 0; i < 4; i++) {
		struct span *l = span__new("tools/list", SPAN_KIND_CLIENT);
		struct span *c = llm_span("gpt-4o", NULL, 1, 1);

		/* listing: both tools change at call 2; definitions: one changes at 3 */
		attrs__set_str_array(&l->attrs, "mcp.tool.schema_hashes", i >= 2 ? v2 : v1, 2);
		span__set_str(l, "mcp.method.name", "tools/list");
		attrs__set_str_array(&c->attrs, "tool.definition.hashes", i >= 3 ? v2 : v1, 1);
		tool_drift__check(d, l);
		tool_drift__check(d, c);
		metrics_record__span(st, l);
		metrics_record__span(st, c);
		span__free(l);
		span__free(c);
	}
	cr_assert_eq(mstore__collect(st, 1, &b), 0);
	cr_assert_eq(drift_count(&b, "get_weather", "listed"), 2);
	cr_assert_eq(drift_count(&b, "search", "listed"), 2);
	cr_assert_eq(drift_count(&b, "get_weather", "definition"), 1);
	cr_assert_eq(drift_count(&b, "search", "definition"), 0);
	mbatch__release(&b);
	mstore__free(st);
	tool_drift__free(d);
}

/* A batch with a histogram and a sum from two processes. */
static void sample_batch(struct mstore **st, struct mbatch *b)
{
	struct span_process p1 = proc(42, "agent"), p2 = proc(43, "other");
	struct attr_list l = { 0 };

	*st = mstore__new(100, false, 1700000000000000000ull);
	attrs__set_str(&l, "gen_ai.request.model", "gpt-4o");
	mstore__record(*st, &minst_token_usage, &p1, &l, 12);
	mstore__record(*st, &minst_token_usage, &p1, &l, 300);
	mstore__add(*st, &minst_tool_drift, &p2, &l, 3);
	attrs__clear(&l);
	cr_assert_eq(mstore__collect(*st, 1700000000500000000ull, b), 0);
}

/* Runs protoc --decode with the official field numbers over buf. */
static char *protoc_decode(const uint8_t *buf, size_t len)
{
	char in[] = "/tmp/ar-metrics-XXXXXX", cmd[1024], dir[512];
	const char *me = __FILE__, *slash = strrchr(me, '/');
	FILE *p;
	char *out = calloc(1, 1 << 16);
	size_t n;
	int fd = mkstemp(in);

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
	/* the upstream files, as the e2e receiver uses them */
	snprintf(dir, sizeof(dir), "%.*s/../e2e/opentelemetry-proto", (int)(slash ? slash - me : 1),
		 slash ? me : ".");
	snprintf(cmd, sizeof(cmd),
		 "protoc --decode=opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest "
		 "--proto_path=%s opentelemetry/proto/collector/metrics/v1/metrics_service.proto "
		 "< %s 2>&1", dir, in);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, (1 << 16) - 1, p);
	out[n] = '\0';
	cr_assert_eq(pclose(p), 0, "protoc failed: %s", out);
	unlink(in);
	return out;
}

/* The sample batch encoded as protobuf, as protoc decodes it. */
static char *decoded_sample(bool delta)
{
	struct mstore *st;
	struct mbatch b;
	uint8_t *buf;
	size_t len;
	char *txt;

	sample_batch(&st, &b);
	cr_assert_eq(metrics_pb__encode(&b, delta, NULL, &buf, &len), 0);
	txt = protoc_decode(buf, len);
	free(buf);
	mbatch__release(&b);
	mstore__free(st);
	return txt;
}

Test(metrics_encode, protobuf_decodes_with_official_field_numbers)
{
	char *txt = decoded_sample(false);

	/* every field lands under its official name: none is unknown */
	cr_assert_null(strstr(txt, "\n1000:"), "%s", txt);
	cr_assert_not_null(strstr(txt, "name: \"gen_ai.client.token.usage\""), "%s", txt);
	cr_assert_not_null(strstr(txt, "unit: \"{token}\""), "%s", txt);
	cr_assert_not_null(strstr(txt, "aggregation_temporality: AGGREGATION_TEMPORALITY_CUMULATIVE"),
			   "%s", txt);
	cr_assert_not_null(strstr(txt, "count: 2"), "%s", txt);
	cr_assert_not_null(strstr(txt, "sum: 312"), "%s", txt);
	cr_assert_not_null(strstr(txt, "min: 12"), "%s", txt);
	cr_assert_not_null(strstr(txt, "max: 300"), "%s", txt);
	cr_assert_not_null(strstr(txt, "explicit_bounds: 67108864"), "%s", txt);
	cr_assert_not_null(strstr(txt, "bucket_counts: 1"), "%s", txt);
	cr_assert_not_null(strstr(txt, "start_time_unix_nano: 1700000000000000000"), "%s", txt);
	cr_assert_not_null(strstr(txt, "time_unix_nano: 1700000000500000000"), "%s", txt);
	cr_assert_not_null(strstr(txt, "is_monotonic: true"), "%s", txt);
	cr_assert_not_null(strstr(txt, "as_int: 3"), "%s", txt);
	cr_assert_not_null(strstr(txt, "key: \"service.name\""), "%s", txt);
	cr_assert_not_null(strstr(txt, "string_value: \"other\""), "%s", txt);
	cr_assert_not_null(strstr(txt, "name: \"agentrace\""), "scope: %s", txt);
	/* no field number protoc could not name */
	for (const char *p = txt; (p = strchr(p, '\n')); p++) {
		const char *q = p + 1;

		while (*q == ' ')
			q++;
		cr_assert(!(*q >= '0' && *q <= '9'), "unknown field in: %s", txt);
	}
	free(txt);
}

Test(metrics_encode, delta_temporality_on_the_wire)
{
	char *txt = decoded_sample(true);

	cr_assert_not_null(strstr(txt, "AGGREGATION_TEMPORALITY_DELTA"), "%s", txt);
	cr_assert_null(strstr(txt, "AGGREGATION_TEMPORALITY_CUMULATIVE"), "%s", txt);
	free(txt);
}

Test(metrics_encode, json_follows_the_otlp_json_mapping)
{
	struct mstore *st;
	struct mbatch b;
	json_t *root, *rms, *m, *dp;
	char *s;
	size_t i;
	bool seen_hist = false;

	sample_batch(&st, &b);
	s = metrics_json__encode(&b, false, NULL);
	cr_assert_not_null(s);
	root = json_loads(s, 0, NULL);
	cr_assert_not_null(root, "%s", s);
	rms = json_object_get(root, "resourceMetrics");
	cr_assert_eq(json_array_size(rms), 2, "one resource per process: %s", s);
	json_array_foreach(rms, i, m) {
		json_t *ms = json_object_get(json_array_get(json_object_get(m, "scopeMetrics"), 0),
					     "metrics");
		json_t *met = json_array_get(ms, 0);
		json_t *h = json_object_get(met, "histogram");

		if (!h)
			continue;
		seen_hist = true;
		cr_assert_eq(json_integer_value(json_object_get(h, "aggregationTemporality")), 2);
		dp = json_array_get(json_object_get(h, "dataPoints"), 0);
		cr_assert_str_eq(json_string_value(json_object_get(dp, "count")), "2");
		cr_assert_str_eq(json_string_value(json_object_get(dp, "startTimeUnixNano")),
				 "1700000000000000000");
		cr_assert_eq(json_array_size(json_object_get(dp, "bucketCounts")), 15);
		cr_assert_eq(json_array_size(json_object_get(dp, "explicitBounds")), 14);
		cr_assert_float_eq(json_real_value(json_object_get(dp, "sum")), 312.0, 1e-9);
	}
	cr_assert(seen_hist);
	json_decref(root);
	free(s);
	mbatch__release(&b);
	mstore__free(st);
}

static const char *env_get(void *ctx, const char *name)
{
	const char *const *kv = ctx;

	for (; kv[0]; kv += 2)
		if (!strcmp(kv[0], name))
			return kv[1];
	return NULL;
}

Test(metrics_config, endpoint_interval_and_temporality)
{
	struct export_config tr;
	struct metrics_config mc;
	const char *env1[] = { "OTEL_METRIC_EXPORT_INTERVAL", "250",
			       "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Delta", NULL };
	const char *env2[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/",
			       "OTEL_METRICS_EXPORTER", "otlp", NULL };
	const char *env3[] = { "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:1/x", NULL };
	const char *env4[] = { "OTEL_METRICS_EXPORTER", "prometheus", NULL };
	const char *env5[] = { "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc", NULL };

	export_config__init(&tr);
	tr.kind = EXPORT_OTLP;
	tr.endpoint = strdup("http://collector:4318/v1/traces");
	cr_assert_eq(metrics_config__from(&mc, &tr, env_get, env1), 0);
	cr_assert_str_eq(mc.http.endpoint, "http://collector:4318/v1/metrics");
	cr_assert_eq(mc.interval_ms, 250);
	cr_assert(mc.delta);
	cr_assert_eq(mc.http.kind, EXPORT_OTLP);
	metrics_config__release(&mc);
	cr_assert_eq(metrics_config__from(&mc, &tr, env_get, env2), 0);
	cr_assert_str_eq(mc.http.endpoint, "http://c:4318/v1/metrics");
	cr_assert(!mc.delta);
	cr_assert_eq(mc.interval_ms, 60000);
	metrics_config__release(&mc);
	cr_assert_eq(metrics_config__from(&mc, &tr, env_get, env3), 0);
	cr_assert_str_eq(mc.http.endpoint, "http://m:1/x");
	metrics_config__release(&mc);
	cr_assert_eq(metrics_config__from(&mc, &tr, env_get, env4), -EINVAL);
	metrics_config__release(&mc);
	cr_assert_eq(metrics_config__from(&mc, &tr, env_get, env5), 0);
	cr_assert_eq(mc.http.protocol, OTLP_GRPC);
	metrics_config__release(&mc);
	export_config__release(&tr);
}

/* Self-metrics from the stats lines: a level (files probed now) is a
 * gauge, so a delta exporter reports its value, not its change (a sum
 * going down is no sum), and a count since start is a sum. */
Test(metrics_self, levels_are_gauges_and_counts_are_sums)
{
	struct mstore *st = mstore__new(10, true, 100);
	struct self_metrics *sm = self_metrics__new();
	struct mbatch b;
	const struct mpoint *att, *unl;

	self_metrics__observe(sm, st, "discover: tls_files_attached=3 tls_unlocated=1\n");
	cr_assert_eq(mstore__collect(st, 200, &b), 0);
	mbatch__release(&b);
	self_metrics__observe(sm, st, "discover: tls_files_attached=2 tls_unlocated=2\n");
	cr_assert_eq(mstore__collect(st, 300, &b), 0);
	att = find_point(&b, "agentrace.discover.tls_files_attached", NULL, NULL);
	unl = find_point(&b, "agentrace.discover.tls_unlocated", NULL, NULL);
	cr_assert_not_null(att);
	cr_assert_eq(att->inst->kind, MINST_GAUGE);
	cr_assert_eq(att->value, 2, "a level's value, not its change (a file was detached)");
	cr_assert_not_null(unl);
	cr_assert_eq(unl->inst->kind, MINST_SUM);
	cr_assert_eq(unl->value, 1, "a count's delta");
	mbatch__release(&b);
	self_metrics__free(sm);
	mstore__free(st);
}
