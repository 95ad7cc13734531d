// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "otlp_trace.pb-c.h"

#include "export/exporter.h"
#include "export/otlp_pb.h"
#include "export/retry.h"

#define MAX_POSTS 64

/* A scripted collector: the i-th post answers status[i] (200 past the
 * script, or always `fail_status` while it is set). */
struct fake {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	long status[16], retry_after[16];
	size_t n_script;
	long fail_status;
	size_t max_spans; /* answer 413 above this many spans (0: no limit) */
	bool block;
	uint8_t *resp;
	size_t resp_len;
	int posts, in_post;
	size_t spans[MAX_POSTS];
	uint64_t at_ms[MAX_POSTS];
	uint8_t ids[MAX_POSTS][64][8];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
}

static int fake_post(void *ctx, const void *body, size_t len, int timeout_ms,
		     struct http_response *res)
{
	struct fake *f = ctx;
	struct span **spans;
	size_t n = 0;
	int i;

	cr_assert_eq(otlp_pb__decode(body, len, &spans, &n), 0);
	pthread_mutex_lock(&f->mu);
	f->in_post = 1;
	pthread_cond_broadcast(&f->cv);
	while (f->block)
		pthread_cond_wait(&f->cv, &f->mu);
	i = f->posts++;
	if (i < MAX_POSTS) {
		f->spans[i] = n;
		f->at_ms[i] = now_ms();
		for (size_t k = 0; k < n && k < 64; k++)
			memcpy(f->ids[i][k], spans[k]->span_id, 8);
	}
	res->retry_after_ms = -1;
	if (f->fail_status >= 0 && f->fail_status != 200 && f->fail_status)
		res->status = f->fail_status;
	else if (f->max_spans && n > f->max_spans)
		res->status = 413;
	else if ((size_t)i < f->n_script) {
		res->status = f->status[i];
		res->retry_after_ms = f->retry_after[i] ? f->retry_after[i] : -1;
	} else {
		res->status = 200;
	}
	if (res->status == 200 && f->resp_len) {
		res->body = malloc(f->resp_len + 1);
		memcpy(res->body, f->resp, f->resp_len);
		res->body_len = f->resp_len;
	}
	f->in_post = 0;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	for (size_t k = 0; k < n; k++)
		span__free(spans[k]);
	free(spans);
	return res->status ? 0 : -EIO;
}

/* Waits until the fake saw n posts; false on timeout. */
static bool wait_posts(struct fake *f, int n, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	bool ok;

	for (;;) {
		pthread_mutex_lock(&f->mu);
		ok = f->posts >= n;
		pthread_mutex_unlock(&f->mu);
		if (ok || now_ms() > end)
			return ok;
		usleep(2000);
	}
}

static struct span *mk(uint32_t id)
{
	struct span *s = span__new("chat m", SPAN_KIND_CLIENT);

	s->trace_id[0] = 1;
	memcpy(s->span_id, &id, sizeof(id));
	s->span_id[7] = 0x5a;
	s->start_ns = 1700000000000000000ull;
	s->end_ns = s->start_ns + 1000;
	s->proc.pid = 7;
	return s;
}

static void otlp_cfg(struct export_config *cfg)
{
	export_config__init(cfg);
	cfg->kind = EXPORT_OTLP;
	cfg->endpoint = strdup("http://127.0.0.1:1/v1/traces");
	cfg->retry_initial_ms = 5;
	cfg->retry_max_ms = 20;
}

static struct exporter *start(struct export_config *cfg, struct fake *f)
{
	struct export_transport t = { .post = fake_post, .ctx = f };
	struct exporter *e = exporter__new_with_transport(cfg, &t);

	cr_assert_not_null(e);
	export_config__release(cfg);
	return e;
}

static struct export_stats stats(struct exporter *e)
{
	struct export_stats st;

	exporter__stats(e, &st);
	return st;
}

/* Polls until the exporter settled (nothing queued or in flight), so the
 * counters of the last delivery are final. */
static void settle(struct exporter *e)
{
	for (int i = 0; i < 400 && stats(e).queued; i++)
		usleep(5000);
}

Test(export_exporter, batches_by_size_and_flushes_on_shutdown)
{
	struct export_config cfg;
	struct fake f;
	struct exporter *e;

	fake_init(&f);
	otlp_cfg(&cfg);
	cfg.max_batch = 10;
	cfg.batch_timeout_ms = 60000;
	e = start(&cfg, &f);
	for (uint32_t i = 0; i < 25; i++)
		cr_assert_eq(exporter__submit(e, mk(i)), 0);
	cr_assert(wait_posts(&f, 2, 2000));
	usleep(20000);
	cr_assert_eq(f.posts, 2, "the last 5 spans wait for the timer");
	cr_assert_eq(f.spans[0], 10);
	cr_assert_eq(f.spans[1], 10);
	cr_assert_eq(stats(e).queued, 5);
	cr_assert_eq(exporter__shutdown(e, 2000), 0);
	cr_assert_eq(f.posts, 3);
	cr_assert_eq(f.spans[2], 5);
	/* Every span exactly once, in submission order. */
	for (uint32_t i = 0; i < 25; i++) {
		uint32_t id;

		memcpy(&id, f.ids[i / 10][i % 10], 4);
		cr_assert_eq(id, i);
	}
}

Test(export_exporter, batch_timeout)
{
	struct export_config cfg;
	struct fake f;
	struct exporter *e;
	uint64_t t0 = now_ms();

	fake_init(&f);
	otlp_cfg(&cfg);
	cfg.batch_timeout_ms = 50;
	e = start(&cfg, &f);
	for (uint32_t i = 0; i < 3; i++)
		exporter__submit(e, mk(i));
	cr_assert(wait_posts(&f, 1, 2000));
	cr_assert_geq(f.at_ms[0] - t0, 45);
	cr_assert_eq(f.spans[0], 3);
	settle(e);
	cr_assert_eq(stats(e).exported_spans, 3);
	cr_assert_eq(stats(e).export_requests_ok, 1);
	cr_assert_eq(stats(e).queued, 0);
	cr_assert_eq(exporter__shutdown(e, 1000), 0);
}

Test(export_exporter, queue_full_drops_and_counts)
{
	struct export_config cfg;
	struct fake f;
	struct exporter *e;
	struct export_stats st;

	fake_init(&f);
	f.block = true;
	otlp_cfg(&cfg);
	cfg.max_queue = 4;
	cfg.max_batch = 1;
	e = start(&cfg, &f);
	cr_assert_eq(exporter__submit(e, mk(0)), 0);
	pthread_mutex_lock(&f.mu);
	while (!f.in_post)
		pthread_cond_wait(&f.cv, &f.mu);
	pthread_mutex_unlock(&f.mu);
	for (uint32_t i = 1; i <= 4; i++)
		cr_assert_eq(exporter__submit(e, mk(i)), 0);
	for (uint32_t i = 5; i < 8; i++)
		cr_assert_eq(exporter__submit(e, mk(i)), -ENOSPC);
	st = stats(e);
	cr_assert_eq(st.dropped_queue_full, 3);
	cr_assert_eq(st.queued, 5);
	pthread_mutex_lock(&f.mu);
	f.block = false;
	pthread_cond_broadcast(&f.cv);
	pthread_mutex_unlock(&f.mu);
	cr_assert(wait_posts(&f, 5, 2000));
	settle(e);
	st = stats(e);
	cr_assert_eq(st.exported_spans, 5);
	cr_assert_eq(exporter__shutdown(e, 1000), 0);
}

/* analyze: a full queue makes submit wait for the exporter, so a file
 * read faster than a collector takes it loses nothing. */
Test(export_exporter, wait_for_room_loses_nothing)
{
	struct export_config cfg;
	struct fake f;
	struct exporter *e;
	struct export_stats st;

	fake_init(&f);
	otlp_cfg(&cfg);
	cfg.max_queue = 4;
	cfg.max_batch = 2;
	cfg.wait_for_room = true;
	e = start(&cfg, &f);
	for (uint32_t i = 0; i < 200; i++)
		cr_assert_eq(exporter__submit(e, mk(i)), 0);
	settle(e);
	st = stats(e);
	cr_assert_eq(st.dropped_queue_full, 0);
	cr_assert_eq(st.exported_spans, 200);
	cr_assert_eq(exporter__shutdown(e, 1000), 0);
}

Test(export_exporter, retries_same_batch_without_duplicates)
{
	struct export_config cfg;
	struct fake f;
	struct exporter *e;
	struct export_stats st;

	fake_init(&f);
	f.status[0] = 503;
	f.status[1] = 0; /* connection refused */
	f.status[2] = 502;
	f.status[3] = 504;
	f.n_script = 4;
	otlp_cfg(&cfg);
	cfg.batch_timeout_ms = 5;
	e = start(&cfg, &f);
	for (uint32_t i = 0; i < 7; i++)
		exporter__submit(e, mk(i));
	cr_assert(wait_posts(&f, 5, 3000));
	settle(e);
	st = stats(e);
	cr_assert_eq(st.retries, 4);
	cr_assert_eq(st.export_requests_failed, 4);
	cr_assert_eq(st.export_requests_ok, 1);
	cr_assert_eq(st.exported_spans, 7);
	cr_assert_eq(st.dropped_failed, 0);
	for (int p = 0; p < 5; p++) {
		cr_assert_eq(f.spans[p], 7);
		cr_assert_arr_eq(f.ids[p], f.ids[0], 7 * 8, "a retry resends the same batch");
	}
	cr_assert_eq(exporter__shutdown(e, 1000), 0);
	cr_assert_eq(f.posts, 5);
}

Test(export_exporter, no_retry_on_client_error)
{
	struct export_config cfg;
	struct fake f;
	struct exporter *e;
	struct export_stats st;

	fake_init(&f);
	f.status[0] = 400;
	f.n_script = 1;
	otlp_cfg(&cfg);
	cfg.batch_timeout_ms = 5;
	e = start(&cfg, &f);
	for (uint32_t i = 0; i < 3; i++)
		exporter__submit(e, mk(i));
	cr_assert(wait_posts(&f, 1, 2000));
	settle(e);
	usleep(20000);
	st = stats(e);
	cr_assert_eq(f.posts, 1);
	cr_assert_eq(st.retries, 0);
	cr_assert_eq(st.dropped_failed, 3);
	cr_assert_eq(st.exported_spans, 0);
	cr_assert_eq(exporter__shutdown(e, 1000), 0);
}

Test(export_exporter, retry_after_is_honoured)
{
	struct export_config cfg;
	struct fake f;
	struct exporter *e;

	fake_init(&f);
	f.status[0] = 429;
	f.retry_after[0] = 300;
	f.n_script = 1;
	otlp_cfg(&cfg);
	cfg.batch_timeout_ms = 1;
	cfg.retry_initial_ms = 1;
	e = start(&cfg, &f);
	exporter__submit(e, mk(1));
	cr_assert(wait_posts(&f, 2, 3000));
	cr_assert_geq(f.at_ms[1] - f.at_ms[0], 290);
	cr_assert_eq(exporter__shutdown(e, 1000), 0);
}

Test(export_exporter, queue_bound_holds_while_retrying)
{
	struct export_config cfg;
	struct fake f;
	struct exporter *e;
	struct export_stats st;

	fake_init(&f);
	f.fail_status = 503;
	otlp_cfg(&cfg);
	cfg.max_queue = 5;
	cfg.max_batch = 5;
	cfg.retry_initial_ms = 20;
	e = start(&cfg, &f);
	for (uint32_t i = 0; i < 5; i++)
		cr_assert_eq(exporter__submit(e, mk(i)), 0);
	cr_assert(wait_posts(&f, 2, 2000), "the batch is being retried");
	for (uint32_t i = 5; i < 10; i++)
		cr_assert_eq(exporter__submit(e, mk(i)), 0);
	cr_assert_eq(exporter__submit(e, mk(10)), -ENOSPC);
	st = stats(e);
	cr_assert_eq(st.queued, 10);
	cr_assert_eq(st.dropped_queue_full, 1);
	/* The collector comes back: nothing queued is lost. */
	pthread_mutex_lock(&f.mu);
	f.fail_status = 0;
	pthread_mutex_unlock(&f.mu);
	for (int i = 0; i < 200 && stats(e).exported_spans < 10; i++)
		usleep(10000);
	st = stats(e);
	cr_assert_eq(st.exported_spans, 10);
	cr_assert_eq(st.dropped_failed, 0);
	cr_assert_eq(exporter__shutdown(e, 1000), 0);
}

Test(export_exporter, shutdown_deadline_bounds_retries)
{
	struct export_config cfg;
	struct fake f;
	struct exporter *e;
	uint64_t t0;

	fake_init(&f);
	f.fail_status = 503;
	otlp_cfg(&cfg);
	cfg.batch_timeout_ms = 1;
	cfg.retry_initial_ms = 10000;
	cfg.retry_max_ms = 10000;
	e = start(&cfg, &f);
	for (uint32_t i = 0; i < 4; i++)
		exporter__submit(e, mk(i));
	cr_assert(wait_posts(&f, 1, 2000));
	t0 = now_ms();
	cr_assert_eq(exporter__shutdown(e, 200), -ETIMEDOUT);
	cr_assert_lt(now_ms() - t0, 1500, "shutdown must respect its deadline");
}

Test(export_exporter, gives_up_after_max_elapsed)
{
	struct export_config cfg;
	struct fake f;
	struct exporter *e;
	struct export_stats st;

	fake_init(&f);
	f.fail_status = 503;
	otlp_cfg(&cfg);
	cfg.batch_timeout_ms = 1;
	cfg.retry_max_elapsed_ms = 60;
	e = start(&cfg, &f);
	for (uint32_t i = 0; i < 3; i++)
		exporter__submit(e, mk(i));
	for (int i = 0; i < 200 && stats(e).dropped_failed == 0; i++)
		usleep(5000);
	st = stats(e);
	cr_assert_eq(st.dropped_failed, 3);
	cr_assert_gt(st.retries, 0);
	cr_assert_eq(exporter__shutdown(e, 500), 0);
}

Test(export_exporter, partial_success_counted)
{
	Otlp__ExportTraceServiceResponse resp;
	Otlp__ExportTracePartialSuccess ps;
	struct export_config cfg;
	struct fake f;
	struct exporter *e;
	uint8_t buf[64];

	fake_init(&f);
	otlp__export_trace_service_response__init(&resp);
	otlp__export_trace_partial_success__init(&ps);
	ps.rejected_spans = 2;
	ps.error_message = "too old";
	resp.partial_success = &ps;
	f.resp_len = otlp__export_trace_service_response__pack(&resp, buf);
	f.resp = buf;
	otlp_cfg(&cfg);
	cfg.batch_timeout_ms = 1;
	e = start(&cfg, &f);
	for (uint32_t i = 0; i < 3; i++)
		exporter__submit(e, mk(i));
	cr_assert(wait_posts(&f, 1, 2000));
	settle(e);
	cr_assert_eq(stats(e).partial_success_rejected, 2);
	cr_assert_eq(exporter__shutdown(e, 500), 0);
}

Test(export_exporter, too_large_batches_are_split)
{
	struct export_config cfg;
	struct fake f;
	struct exporter *e;
	size_t total = 0;

	fake_init(&f);
	f.max_spans = 3;
	otlp_cfg(&cfg);
	cfg.batch_timeout_ms = 60000;
	e = start(&cfg, &f);
	for (uint32_t i = 0; i < 10; i++)
		exporter__submit(e, mk(i));
	cr_assert_eq(exporter__shutdown(e, 2000), 0);
	for (int p = 0; p < f.posts; p++)
		if (f.spans[p] <= 3)
			total += f.spans[p];
	cr_assert_eq(total, 10, "every span delivered once after splitting");
}

Test(export_exporter, file_backend_writes_json_lines)
{
	char path[] = "/tmp/agentrace-export-XXXXXX", line[65536];
	struct export_config cfg;
	struct exporter *e;
	size_t lines = 0, spans = 0;
	FILE *f;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	export_config__init(&cfg);
	cfg.kind = EXPORT_FILE;
	cfg.output_path = strdup(path);
	cfg.max_batch = 2;
	e = exporter__new(&cfg);
	export_config__release(&cfg);
	cr_assert_not_null(e);
	for (uint32_t i = 0; i < 3; i++)
		cr_assert_eq(exporter__submit(e, mk(i)), 0);
	cr_assert_eq(exporter__shutdown(e, 1000), 0);
	f = fopen(path, "r");
	while (fgets(line, sizeof(line), f)) {
		json_t *root = json_loads(line, 0, NULL), *rs, *ss;

		cr_assert_not_null(root);
		rs = json_array_get(json_object_get(root, "resourceSpans"), 0);
		ss = json_array_get(json_object_get(rs, "scopeSpans"), 0);
		spans += json_array_size(json_object_get(ss, "spans"));
		lines++;
		json_decref(root);
	}
	fclose(f);
	unlink(path);
	cr_assert_eq(lines, 2);
	cr_assert_eq(spans, 3);
}

Test(export_exporter, real_http_connection_refused_is_retried)
{
	struct export_config cfg;
	struct exporter *e;

	otlp_cfg(&cfg); /* port 1: nothing listens */
	cfg.batch_timeout_ms = 1;
	cfg.timeout_ms = 500;
	e = exporter__new(&cfg);
	export_config__release(&cfg);
	cr_assert_not_null(e);
	exporter__submit(e, mk(1));
	for (int i = 0; i < 200 && stats(e).retries == 0; i++)
		usleep(5000);
	cr_assert_gt(stats(e).retries, 0);
	cr_assert_gt(stats(e).export_requests_failed, 0);
	cr_assert_eq(exporter__shutdown(e, 100), -ETIMEDOUT);
}

Test(export_retry, classify)
{
	cr_assert_eq(retry__classify(200), RETRY_DONE);
	cr_assert_eq(retry__classify(204), RETRY_DONE);
	cr_assert_eq(retry__classify(0), RETRY_AGAIN);
	cr_assert_eq(retry__classify(429), RETRY_AGAIN);
	cr_assert_eq(retry__classify(502), RETRY_AGAIN);
	cr_assert_eq(retry__classify(503), RETRY_AGAIN);
	cr_assert_eq(retry__classify(504), RETRY_AGAIN);
	cr_assert_eq(retry__classify(400), RETRY_DROP);
	cr_assert_eq(retry__classify(401), RETRY_DROP);
	cr_assert_eq(retry__classify(404), RETRY_DROP);
	cr_assert_eq(retry__classify(413), RETRY_DROP);
	cr_assert_eq(retry__classify(500), RETRY_DROP);
	cr_assert_eq(retry__classify(301), RETRY_DROP);
}

Test(export_retry, retry_after)
{
	/* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
	time_t now = 784111777;

	cr_assert_eq(retry__parse_after("120", now), 120000);
	cr_assert_eq(retry__parse_after(" 0 ", now), 0);
	cr_assert_eq(retry__parse_after("Sun, 06 Nov 1994 08:49:47 GMT", now), 10000);
	cr_assert_eq(retry__parse_after("Sun, 06 Nov 1994 08:49:00 GMT", now), 0);
	cr_assert_eq(retry__parse_after("99999999999999999999", now), 3600000);
	cr_assert_eq(retry__parse_after("-5", now), -1);
	cr_assert_eq(retry__parse_after("soon", now), -1);
	cr_assert_eq(retry__parse_after("12abc", now), -1);
	cr_assert_eq(retry__parse_after(NULL, now), -1);
}

Test(export_retry, backoff_grows_capped_with_jitter)
{
	cr_assert_eq(retry__backoff_ms(0, 1000, 30000, 0.0), 500);
	cr_assert_eq(retry__backoff_ms(0, 1000, 30000, 0.999999), 999);
	cr_assert_eq(retry__backoff_ms(3, 1000, 30000, 0.0), 4000);
	cr_assert_eq(retry__backoff_ms(10, 1000, 30000, 0.0), 15000);
	cr_assert_leq(retry__backoff_ms(60, 1000, 30000, 0.99), 30000);
	cr_assert_geq(retry__backoff_ms(60, 1000, 30000, 0.0), 15000);
}

Test(export_http, gzip_round_trip)
{
	const char *msg = "hello hello hello hello otlp";
	uint8_t *gz, out[128];
	size_t gz_len;
	z_stream zs = { 0 };

	cr_assert_eq(otlp_http__gzip(msg, strlen(msg), &gz, &gz_len), 0);
	cr_assert_eq(gz[0], 0x1f);
	cr_assert_eq(gz[1], 0x8b);
	cr_assert_eq(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = gz;
	zs.avail_in = gz_len;
	zs.next_out = out;
	zs.avail_out = sizeof(out);
	cr_assert_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
	cr_assert_eq(zs.total_out, strlen(msg));
	cr_assert_arr_eq(out, msg, strlen(msg));
	inflateEnd(&zs);
	free(gz);
}

Test(export_http, redact_url)
{
	char b[128];

	otlp_http__redact_url("https://user:pw@c.example:4318/v1/traces?key=abc", b, sizeof(b));
	cr_assert_str_eq(b, "https://c.example:4318/v1/traces");
	otlp_http__redact_url("http://c/v1/traces", b, sizeof(b));
	cr_assert_str_eq(b, "http://c/v1/traces");
}

/* zlib lengths are 32-bit: a body of 4 GiB + 10 bytes used to be
 * compressed as its first 10 bytes, silently. It is refused before a byte
 * is read (so a short buffer suffices here). */
Test(otlp_http, gzip_refuses_lengths_zlib_cannot_count)
{
	static const char msg[16] = "0123456789";
	uint8_t *gz = NULL;
	size_t gz_len = 1;

	cr_assert_eq(otlp_http__gzip(msg, (4ull << 30) + 10, &gz, &gz_len), -EFBIG);
	cr_assert_null(gz);
	cr_assert_eq(gz_len, 0);
}

/* The queue is bounded in bytes too: a few huge spans cannot grow the
 * daemon past its memory limit while 8192 slots are free. */
Test(export_exporter, queue_bound_in_bytes)
{
	struct export_config cfg;
	struct fake f;
	struct exporter *e;
	struct export_stats st;
	char *big = malloc(6000);
	int ok = 0;

	cr_assert_not_null(big);
	memset(big, 'x', 5999);
	big[5999] = 0;
	fake_init(&f);
	f.block = true;
	otlp_cfg(&cfg);
	cfg.max_queue = 1000;
	cfg.max_batch = 1;
	cfg.max_queue_bytes = 64 << 10;
	e = start(&cfg, &f);
	cr_assert_eq(exporter__submit(e, mk(0)), 0);
	pthread_mutex_lock(&f.mu);
	while (!f.in_post)
		pthread_cond_wait(&f.cv, &f.mu);
	pthread_mutex_unlock(&f.mu);
	for (uint32_t i = 1; i <= 40; i++) {
		struct span *s = mk(i);

		span__set_str(s, "big", big);
		ok += exporter__submit(e, s) == 0;
	}
	st = stats(e);
	cr_assert_lt(ok, 40, "64 KiB cannot hold 40 spans of 6 KB");
	cr_assert_geq(ok, 8);
	cr_assert_eq(st.dropped_queue_bytes, 40 - ok);
	cr_assert_leq(st.queued_bytes, 64 << 10);
	pthread_mutex_lock(&f.mu);
	f.block = false;
	pthread_cond_broadcast(&f.cv);
	pthread_mutex_unlock(&f.mu);
	cr_assert(wait_posts(&f, ok + 1, 4000));
	settle(e);
	cr_assert_eq(stats(e).queued_bytes, 0, "bytes are given back as spans leave");
	cr_assert_eq(exporter__shutdown(e, 1000), 0);
	free(big);
}

/* Values are capped (a 4 MiB JSON-RPC id or session header), cut on a
 * UTF-8 boundary, counted on the list and marked on the exported span. */
Test(export_exporter, attribute_values_are_capped_and_marked)
{
	size_t n = 5u << 20;
	char *v = malloc(n + 1);
	struct span *s = span__new("x", SPAN_KIND_CLIENT);
	const struct attr *a;

	cr_assert(v && s);
	memset(v, 'a', n);
	memcpy(v + 8190, "\xc3\xa9", 2); /* é across the 8192 cut */
	v[n] = 0;
	cr_assert_eq(span__set_str(s, "jsonrpc.request.id", v), 0);
	a = span__get(s, "jsonrpc.request.id");
	cr_assert_eq(strlen(a->s), 8192);
	cr_assert_eq(s->attrs.truncated, 1);
	span__set_str(s, "small", "ok");
	cr_assert_eq(s->attrs.truncated, 1);
	attrs__set_value_max(100);
	cr_assert_eq(span__set_str(s, "k", v + 8000), 0);
	cr_assert_eq(strlen(span__get(s, "k")->s), 100);
	attrs__set_value_max(ATTR_VALUE_MAX_DEFAULT);
	cr_assert_eq(s->attrs.truncated, 2);
	span__free(s);
	free(v);
}
