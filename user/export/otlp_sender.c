// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mono_cond.h"
#include "export/exporter_int.h"
#include "export/grpc_wire.h"
#include "export/otlp_grpc.h"
#include "export/otlp_http.h"
#include "export/otlp_json.h"
#include "export/otlp_pb.h"
#include "export/otlp_sender.h"
#include "export/retry.h"

static int post_http(void *ctx, const void *body, size_t len, int timeout_ms,
		     struct http_response *res)
{
	return otlp_http__post(ctx, body, len, timeout_ms, res);
}

static int post_grpc(void *ctx, const void *body, size_t len, int timeout_ms,
		     struct http_response *res)
{
	return otlp_grpc__call(ctx, body, len, timeout_ms, res);
}

struct export_transport otlp_sender__transport(struct otlp_http *http, struct otlp_grpc *grpc)
{
	if (grpc)
		return (struct export_transport){ post_grpc, grpc };
	return (struct export_transport){ post_http, http };
}

static void bump(const struct otlp_sender *s, uint64_t *counter, uint64_t n)
{
	if (!counter)
		return;
	pthread_mutex_lock(s->mu);
	*counter += n;
	pthread_mutex_unlock(s->mu);
}

/* A printable, bounded excerpt of a collector's error body for logs. */
static void body_excerpt(const struct http_response *r, char *buf, size_t sz)
{
	size_t n = 0;

	for (size_t i = 0; i < r->body_len && n + 1 < sz; i++) {
		unsigned char ch = (unsigned char)r->body[i];

		buf[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
	}
	buf[n] = '\0';
}

int otlp_sender__parse_partial(const void *body, size_t len, bool json, const char *json_key,
			       int64_t *rejected, char *msg, size_t msgsz)
{
	if (json)
		return otlp_json__parse_partial(body, len, json_key, rejected, msg, msgsz);
	/* ExportPartialSuccess has the same field numbers in every signal */
	return otlp_pb__parse_response(body, len, rejected, msg, msgsz);
}

/* Reads partial_success from a 2xx response, logs and counts it. */
static void note_partial_success(const struct otlp_sender *s, const struct http_response *r)
{
	char msg[256];
	int64_t rejected = 0;

	if (!r->body_len)
		return;
	if (otlp_sender__parse_partial(r->body, r->body_len, s->cfg->protocol == OTLP_HTTP_JSON,
				       s->json_rejected_key, &rejected, msg, sizeof(msg))) {
		debug("otlp: unreadable export response (%zu bytes)", r->body_len);
		return;
	}
	if (rejected > 0 || msg[0]) {
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = '.';
		warn("otlp partial success: %lld %s rejected: %s", (long long)rejected, s->what,
		     msg[0] ? msg : "(no message)");
	}
	if (rejected > 0)
		bump(s, s->partial_rejected, (uint64_t)rejected);
}

/* The timeout for the next attempt, or -1 once the shutdown deadline passed. */
static int attempt_timeout(const struct otlp_sender *s)
{
	uint64_t now = exporter__mono_ns();
	int timeout = s->cfg->timeout_ms;

	pthread_mutex_lock(s->mu);
	if (*s->stopping) {
		if (now >= *s->deadline_ns)
			timeout = -1;
		else if ((*s->deadline_ns - now) / NS_PER_MS < (uint64_t)timeout)
			timeout = (int)((*s->deadline_ns - now) / NS_PER_MS) + 1;
	}
	pthread_mutex_unlock(s->mu);
	return timeout;
}

/* Backs off until the monotonic time until; a shutdown wakes us and
 * shortens the wait to its deadline. */
static void back_off(const struct otlp_sender *s, uint64_t until)
{
	pthread_mutex_lock(s->mu);
	if (s->retries)
		(*s->retries)++;
	for (;;) {
		uint64_t t = *s->stopping && *s->deadline_ns < until ? *s->deadline_ns : until;

		if (exporter__mono_ns() >= t)
			break;
		mono_cond__wait_until(s->cv, s->mu, t);
	}
	pthread_mutex_unlock(s->mu);
}

enum otlp_send_result otlp_sender__send(const struct otlp_sender *s, const void *body,
					size_t len, size_t n)
{
	uint64_t start = exporter__mono_ns();
	int attempt = 0;

	for (;;) {
		struct http_response res;
		enum retry_verdict v;
		int timeout = attempt_timeout(s);
		uint64_t now;
		long delay;
		char why[160];

		if (timeout < 0)
			return OTLP_SEND_SHUTDOWN;
		memset(&res, 0, sizeof(res));
		res.retry_after_ms = -1;
		s->tr.post(s->tr.ctx, body, len, timeout, &res);
		v = retry__classify(res.status);
		if (v == RETRY_DONE) {
			if (attempt)
				info("otlp: %s export to %s recovered after %d retries", s->what,
				     s->url_log, attempt);
			note_partial_success(s, &res);
			bump(s, s->requests_ok, 1);
			http_response__release(&res);
			return OTLP_SEND_OK;
		}
		if (res.grpc_status > 0)
			snprintf(why, sizeof(why), "grpc %s", grpc_code__name(res.grpc_status));
		else if (res.status)
			snprintf(why, sizeof(why), "http %ld", res.status);
		else
			snprintf(why, sizeof(why), "%s", res.error[0] ? res.error : "no response");
		bump(s, s->requests_failed, 1);
		if (v == RETRY_DROP && res.status == 413 && n > 1) {
			debug("otlp: %zu %s too large (http 413)", n, s->what);
			http_response__release(&res);
			return OTLP_SEND_TOO_LARGE;
		}
		if (v == RETRY_DROP) {
			char ex[200];

			body_excerpt(&res, ex, sizeof(ex));
			warn("otlp: %s rejected %zu %s (%s), not retrying: %s", s->url_log, n, s->what,
			     why, ex);
			http_response__release(&res);
			return OTLP_SEND_REJECTED;
		}
		delay = res.retry_after_ms >= 0
				? res.retry_after_ms
				: retry__backoff_ms(attempt, s->cfg->retry_initial_ms,
						    s->cfg->retry_max_ms,
						    (double)rand_r(s->seed) / ((double)RAND_MAX + 1));
		http_response__release(&res);
		now = exporter__mono_ns();
		if (!s->until_shutdown && s->cfg->retry_max_elapsed_ms > 0 &&
		    now + (uint64_t)delay * NS_PER_MS - start >
			    (uint64_t)s->cfg->retry_max_elapsed_ms * NS_PER_MS) {
			warn("otlp: giving up on %zu %s after %d retries (%s)", n, s->what, attempt,
			     why);
			return OTLP_SEND_GAVE_UP;
		}
		if (attempt == 0)
			warn("otlp: %s export to %s failed (%s), retrying", s->what, s->url_log, why);
		else
			debug("otlp: retry %d failed (%s), next in %ld ms", attempt, why, delay);
		attempt++;
		back_off(s, now + (uint64_t)delay * NS_PER_MS);
	}
}
