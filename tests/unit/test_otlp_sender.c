// SPDX-License-Identifier: MIT
/* The retrying sender both exporters share: the traces' retry budget, the
 * metrics' retry-through-an-outage, and partial_success per signal. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/mono_cond.h"
#include "export/otlp_sender.h"

struct script {
	int fail_first;   /* answer 503 this many times, then 200 */
	const char *ok_body;
	int calls;
};

static int scripted(void *ctx, const void *body, size_t len, int timeout_ms,
		    struct http_response *res)
{
	struct script *s = ctx;

	(void)body;
	(void)len;
	(void)timeout_ms;
	res->status = s->calls++ < s->fail_first ? 503 : 200;
	if (res->status == 200 && s->ok_body) {
		res->body = strdup(s->ok_body);
		res->body_len = strlen(s->ok_body);
	}
	return 0;
}

struct fixture {
	struct export_config cfg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	uint64_t deadline_ns;
	unsigned int seed;
	uint64_t ok, failed, retries, rejected;
	struct script sc;
	struct otlp_sender s;
};

static void setup(struct fixture *f, bool until_shutdown, bool json, const char *key)
{
	memset(f, 0, sizeof(*f));
	export_config__init(&f->cfg);
	f->cfg.protocol = json ? OTLP_HTTP_JSON : OTLP_HTTP_PROTOBUF;
	f->cfg.retry_initial_ms = 1;
	f->cfg.retry_max_ms = 2;
	f->cfg.retry_max_elapsed_ms = 20; /* about 10 retries */
	pthread_mutex_init(&f->mu, NULL);
	mono_cond__init(&f->cv);
	f->s = (struct otlp_sender){
		.cfg = &f->cfg, .tr = { scripted, &f->sc }, .mu = &f->mu, .cv = &f->cv,
		.stopping = &f->stopping, .deadline_ns = &f->deadline_ns, .seed = &f->seed,
		.url_log = "test", .what = "points", .json_rejected_key = key,
		.until_shutdown = until_shutdown, .requests_ok = &f->ok,
		.requests_failed = &f->failed, .retries = &f->retries,
		.partial_rejected = &f->rejected,
	};
}

static void teardown(struct fixture *f)
{
	export_config__release(&f->cfg);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
}

Test(otlp_sender, traces_give_up_after_their_retry_budget)
{
	struct fixture f;

	setup(&f, false, false, "rejectedSpans");
	f.sc.fail_first = 1000;
	cr_assert_eq(otlp_sender__send(&f.s, "x", 1, 1), OTLP_SEND_GAVE_UP);
	cr_assert_lt(f.sc.calls, 1000);
	cr_assert_eq(f.ok, 0);
	cr_assert_eq(f.failed, (uint64_t)f.sc.calls);
	teardown(&f);
}

Test(otlp_sender, metrics_retry_through_an_outage_past_the_budget)
{
	struct fixture f;

	setup(&f, true, false, "rejectedDataPoints");
	f.sc.fail_first = 100; /* several times the budget's retries */
	cr_assert_eq(otlp_sender__send(&f.s, "x", 1, 1), OTLP_SEND_OK);
	cr_assert_eq(f.sc.calls, 101);
	cr_assert_eq(f.failed, 100);
	cr_assert_eq(f.retries, 100);
	cr_assert_eq(f.ok, 1);
	teardown(&f);
}

Test(otlp_sender, shutdown_deadline_ends_an_endless_retry)
{
	struct fixture f;

	setup(&f, true, false, "rejectedDataPoints");
	f.sc.fail_first = 1 << 30;
	f.stopping = true;
	f.deadline_ns = 1; /* long past */
	cr_assert_eq(otlp_sender__send(&f.s, "x", 1, 1), OTLP_SEND_SHUTDOWN);
	cr_assert_eq(f.sc.calls, 0);
	teardown(&f);
}

Test(otlp_sender, json_partial_success_is_counted_per_signal)
{
	struct fixture f;

	setup(&f, true, true, "rejectedDataPoints");
	f.sc.ok_body = "{\"partialSuccess\":{\"rejectedDataPoints\":\"4\",\"errorMessage\":\"nan\"}}";
	cr_assert_eq(otlp_sender__send(&f.s, "x", 1, 10), OTLP_SEND_OK);
	cr_assert_eq(f.rejected, 4);
	/* a traces answer's key is not a metrics rejection */
	f.sc.ok_body = "{\"partialSuccess\":{\"rejectedSpans\":\"4\"}}";
	cr_assert_eq(otlp_sender__send(&f.s, "x", 1, 10), OTLP_SEND_OK);
	cr_assert_eq(f.rejected, 4);
	cr_assert_eq(f.ok, 2);
	teardown(&f);
}

Test(otlp_sender, protobuf_partial_success_is_counted)
{
	struct fixture f;
	/* ExportMetricsServiceResponse{partial_success{rejected_data_points: 3}} */
	static const char pb[] = { 0x0a, 0x02, 0x08, 0x03, 0 };

	setup(&f, true, false, "rejectedDataPoints");
	f.sc.ok_body = pb;
	cr_assert_eq(otlp_sender__send(&f.s, "x", 1, 10), OTLP_SEND_OK);
	cr_assert_eq(f.rejected, 3);
	teardown(&f);
}
