// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/mono_cond.h"
#include "export/otlp_grpc.h"
#include "export/otlp_http.h"
#include "export/otlp_sender.h"
#include "metrics/encode.h"
#include "metrics/metrics.h"
#include "metrics/record.h"
#include "metrics/self.h"

#define NS 1000000000ull
#define MS 1000000ull

struct metrics {
	struct metrics_config cfg;
	struct mstore *store;
	struct self_metrics *self;
	struct otlp_http *http;   /* http/protobuf and http/json */
	struct otlp_grpc *grpc;   /* grpc: the traces exporter's transport, MetricsService */
	_Atomic uint64_t abort_at_ns;
	pthread_t thread;
	bool has_thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	uint64_t deadline_ns;       /* monotonic, once stopping */
	struct metrics_stats st;    /* under mu */
	unsigned int seed;
	char url_log[256];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static int encode(struct metrics *m, const struct mbatch *b, uint8_t **body, size_t *len)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	int err;

	if (m->cfg.http.protocol == OTLP_HTTP_JSON) {
		char *s = metrics_json__encode(b, m->cfg.delta, &m->cfg.http.resource);

		if (!s)
			return -ENOMEM;
		raw = (uint8_t *)s;
		raw_len = strlen(s);
	} else {
		err = metrics_pb__encode(b, m->cfg.delta, &m->cfg.http.resource, &raw, &raw_len);
		if (err)
			return err;
	}
	if (!m->cfg.http.gzip) {
		*body = raw;
		*len = raw_len;
		return 0;
	}
	err = otlp_http__gzip(raw, raw_len, body, len);
	free(raw);
	return err;
}

/*
 * Sends one batch with the traces exporter's retry policy (otlp_sender.h),
 * but without its retry budget: while a batch waits out a collector
 * outage the store keeps aggregating (bounded by its series cap), so a
 * batch is only lost when the collector refuses it or the shutdown
 * deadline passes, and either is counted. Runs on the metrics thread.
 */
static void send_batch(struct metrics *m, const struct mbatch *b)
{
	const struct otlp_sender s = {
		.cfg = &m->cfg.http, .mu = &m->mu, .cv = &m->cv,
		.tr = otlp_sender__transport(m->http, m->grpc),
		.stopping = &m->stopping, .deadline_ns = &m->deadline_ns, .seed = &m->seed,
		.url_log = m->url_log, .what = "points", .json_rejected_key = "rejectedDataPoints",
		.until_shutdown = true, .requests_ok = &m->st.exports_ok,
		.requests_failed = &m->st.exports_failed,
		.partial_rejected = &m->st.points_rejected,
	};
	uint8_t *body = NULL;
	size_t len = 0;
	bool ok = false;

	if (encode(m, b, &body, &len))
		warn("metrics: cannot encode %zu points", b->n);
	else
		ok = otlp_sender__send(&s, body, len, b->n) == OTLP_SEND_OK;
	free(body);
	pthread_mutex_lock(&m->mu);
	if (ok)
		m->st.points_exported += b->n;
	else
		m->st.points_dropped += b->n;
	pthread_mutex_unlock(&m->mu);
}

static void export_once(struct metrics *m)
{
	struct mbatch b;

	if (mstore__collect(m->store, real_ns(), &b)) {
		warn("metrics: out of memory collecting points");
		return;
	}
	if (b.n)
		send_batch(m, &b);
	mbatch__release(&b);
}

static void *thread_main(void *arg)
{
	struct metrics *m = arg;
	uint64_t next = mono_ns() + (uint64_t)m->cfg.interval_ms * MS;

	pthread_mutex_lock(&m->mu);
	while (!m->stopping) {
		if (mono_ns() < next) {
			mono_cond__wait_until(&m->cv, &m->mu, next);
			continue;
		}
		pthread_mutex_unlock(&m->mu);
		export_once(m);
		next = mono_ns() + (uint64_t)m->cfg.interval_ms * MS;
		pthread_mutex_lock(&m->mu);
	}
	pthread_mutex_unlock(&m->mu);
	export_once(m); /* the last interval */
	return NULL;
}

struct metrics *metrics__new(const struct metrics_config *cfg)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	pthread_mutex_init(&m->mu, NULL);
	mono_cond__init(&m->cv);
	m->seed = (unsigned int)mono_ns();
	if (export_config__copy(&m->cfg.http, &cfg->http))
		goto fail;
	m->cfg.interval_ms = cfg->interval_ms;
	m->cfg.delta = cfg->delta;
	m->cfg.max_series = cfg->max_series;
	m->store = mstore__new(cfg->max_series, cfg->delta, real_ns());
	m->self = self_metrics__new();
	if (!m->store || !m->self)
		goto fail;
	if (m->cfg.http.kind != EXPORT_OTLP)
		return m;
	otlp_http__redact_url(m->cfg.http.endpoint, m->url_log, sizeof(m->url_log));
	/* gRPC: the same endpoint's MetricsService (its path is not used) */
	if (m->cfg.http.protocol == OTLP_GRPC)
		m->grpc = otlp_grpc__new(&m->cfg.http, OTLP_GRPC_METRICS_METHOD, &m->abort_at_ns);
	else
		m->http = otlp_http__new(&m->cfg.http, &m->abort_at_ns);
	if (!m->http && !m->grpc)
		goto fail;
	if (pthread_create(&m->thread, NULL, thread_main, m))
		goto fail;
	m->has_thread = true;
	info("metrics: exporting %s to %s every %d ms (%s)", otlp_protocol__name(m->cfg.http.protocol),
	     m->url_log, m->cfg.interval_ms, m->cfg.delta ? "delta" : "cumulative");
	return m;
fail:
	warn("metrics: cannot start the metrics exporter");
	metrics__shutdown(m, 0, NULL);
	return NULL;
}

void metrics__span(struct metrics *m, const struct span *s)
{
	if (m && m->cfg.http.kind != EXPORT_NONE)
		metrics_record__span(m->store, s);
}

void metrics__observe_stats(struct metrics *m, const char *text)
{
	if (m && m->cfg.http.kind == EXPORT_OTLP)
		self_metrics__observe(m->self, m->store, text);
}

/* The console summary: one line per series of the gen_ai, MCP and tool
 * instruments (self-metrics are on the stats lines already). */
static void print_summary(struct metrics *m, FILE *f)
{
	struct mbatch b;
	size_t shown = 0;

	if (mstore__collect(m->store, real_ns(), &b))
		return;
	for (size_t i = 0; i < b.n && shown < 100; i++) {
		const struct mpoint *p = &b.v[i];

		if (p->inst->kind != MINST_HISTOGRAM && p->inst->kind != MINST_SUM)
			continue;
		fprintf(f, "metric: %s", p->inst->name);
		for (size_t j = 0; j < p->attrs.n; j++) {
			const struct attr *a = &p->attrs.v[j];

			if (a->type == ATTR_STR)
				fprintf(f, " %s=%s", a->key, a->s);
			else if (a->type == ATTR_INT)
				fprintf(f, " %s=%" PRId64, a->key, a->i);
		}
		if (p->inst->kind == MINST_HISTOGRAM)
			fprintf(f, " count=%" PRIu64 " sum=%g %s\n", p->count, p->sum, p->inst->unit);
		else
			fprintf(f, " value=%" PRId64 "\n", p->value);
		shown++;
	}
	mbatch__release(&b);
}

void metrics__stop(struct metrics *m, int deadline_ms)
{
	if (!m || !m->has_thread)
		return;
	pthread_mutex_lock(&m->mu);
	if (!m->stopping) {
		m->stopping = true;
		m->deadline_ns = mono_ns() + (uint64_t)deadline_ms * MS;
		m->abort_at_ns = m->deadline_ns;
		pthread_cond_broadcast(&m->cv);
	}
	pthread_mutex_unlock(&m->mu);
}

int metrics__shutdown(struct metrics *m, int deadline_ms, FILE *f)
{
	int err = 0;

	if (!m)
		return 0;
	if (m->has_thread) {
		metrics__stop(m, deadline_ms);
		pthread_join(m->thread, NULL);
		if (m->st.points_dropped)
			err = -ETIMEDOUT;
	} else if (f && m->store && m->cfg.http.kind == EXPORT_CONSOLE) {
		print_summary(m, f);
	}
	otlp_http__free(m->http);
	otlp_grpc__free(m->grpc);
	mstore__free(m->store);
	self_metrics__free(m->self);
	export_config__release(&m->cfg.http);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
	return err;
}

void metrics__stats(struct metrics *m, struct metrics_stats *out)
{
	struct mstore_stats ss = { 0 };

	memset(out, 0, sizeof(*out));
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	*out = m->st;
	pthread_mutex_unlock(&m->mu);
	mstore__stats(m->store, &ss);
	out->series = ss.series;
	out->series_overflowed = ss.overflowed;
}
