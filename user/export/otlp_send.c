// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "export/exporter_int.h"
#include "export/grpc_wire.h"
#include "export/otlp_http.h"
#include "export/otlp_json.h"
#include "export/otlp_pb.h"
#include "export/retry.h"


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

/* Reads partial_success from a 2xx response and counts it. */
static void note_partial_success(struct exporter *e, const struct http_response *r)
{
	char msg[256];
	int64_t rejected = 0;
	int err;

	if (!r->body_len)
		return;
	if (e->cfg.protocol == OTLP_HTTP_JSON)
		err = otlp_json__parse_response(r->body, r->body_len, &rejected, msg, sizeof(msg));
	else
		err = otlp_pb__parse_response((const uint8_t *)r->body, r->body_len, &rejected,
					      msg, sizeof(msg));
	if (err) {
		debug("otlp: unreadable export response (%zu bytes)", r->body_len);
		return;
	}
	if (rejected > 0 || msg[0]) {
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = '.';
		warn("otlp partial success: %lld spans rejected: %s", (long long)rejected,
		     msg[0] ? msg : "(no message)");
	}
	if (rejected > 0) {
		pthread_mutex_lock(&e->mu);
		e->st.partial_success_rejected += (uint64_t)rejected;
		pthread_mutex_unlock(&e->mu);
	}
}

/* Encodes a batch for the configured protocol (and gzips it). Returns 0
 * or a negative errno with *body NULL. */
static int encode_batch(struct exporter *e, struct span **batch, size_t n, uint8_t **body,
			size_t *len)
{
	uint8_t *raw = NULL, *gz = NULL;
	size_t raw_len = 0;
	int err;

	*body = NULL;
	if (e->cfg.protocol == OTLP_HTTP_JSON) {
		char *s = otlp_json__encode(batch, n, &e->cfg.resource);

		if (!s)
			return -ENOMEM;
		raw = (uint8_t *)s;
		raw_len = strlen(s);
	} else {
		err = otlp_pb__encode(batch, n, &e->cfg.resource, &raw, &raw_len);
		if (err)
			return err;
	}
	if (!e->cfg.gzip) {
		*body = raw;
		*len = raw_len;
		return 0;
	}
	err = otlp_http__gzip(raw, raw_len, &gz, len);
	free(raw);
	*body = gz;
	return err;
}

/*
 * Sends one batch over OTLP/HTTP, retrying retryable failures with backoff
 * until it is accepted, dropped by policy, or the shutdown deadline. The
 * batch is encoded once, so a retry resends the same bytes: no duplicate
 * or lost span within the exporter. A 413 splits the batch in halves
 * (recursion depth log2 n). Counts the outcome; frees no span.
 */
void otlp_send__batch(struct exporter *e, struct span **batch, size_t n)
{
	uint64_t start = exporter__mono_ns();
	uint8_t *body = NULL;
	size_t len = 0;
	int attempt = 0, err;

	err = encode_batch(e, batch, n, &body, &len);
	if (err) {
		warn("otlp: cannot encode %zu spans: %s", n, strerror(-err));
		pthread_mutex_lock(&e->mu);
		e->st.dropped_failed += n;
		pthread_mutex_unlock(&e->mu);
		return;
	}
	for (;;) {
		struct http_response res;
		enum retry_verdict v;
		int timeout = e->cfg.timeout_ms;
		uint64_t now = exporter__mono_ns(), until;
		long delay;
		char why[160];

		pthread_mutex_lock(&e->mu);
		if (e->stopping) {
			if (now >= e->deadline_ns) {
				e->st.dropped_shutdown += n;
				pthread_mutex_unlock(&e->mu);
				break;
			}
			if ((e->deadline_ns - now) / NS_PER_MS < (uint64_t)timeout)
				timeout = (int)((e->deadline_ns - now) / NS_PER_MS) + 1;
		}
		pthread_mutex_unlock(&e->mu);

		memset(&res, 0, sizeof(res));
		res.retry_after_ms = -1;
		e->tr.post(e->tr.ctx, body, len, timeout, &res);
		v = retry__classify(res.status);
		if (v == RETRY_DONE) {
			if (attempt)
				info("otlp: export to %s recovered after %d retries", e->url_log,
				     attempt);
			note_partial_success(e, &res);
			pthread_mutex_lock(&e->mu);
			e->st.export_requests_ok++;
			e->st.exported_spans += n;
			pthread_mutex_unlock(&e->mu);
			http_response__release(&res);
			break;
		}
		if (res.grpc_status > 0)
			snprintf(why, sizeof(why), "grpc %s", grpc_code__name(res.grpc_status));
		else if (res.status)
			snprintf(why, sizeof(why), "http %ld", res.status);
		else
			snprintf(why, sizeof(why), "%s", res.error[0] ? res.error : "no response");
		pthread_mutex_lock(&e->mu);
		e->st.export_requests_failed++;
		pthread_mutex_unlock(&e->mu);
		if (v == RETRY_DROP && res.status == 413 && n > 1) {
			/* Too large for this collector: halve the batch until it fits. */
			debug("otlp: %zu spans too large (http 413), splitting", n);
			http_response__release(&res);
			free(body);
			otlp_send__batch(e, batch, n / 2);
			otlp_send__batch(e, batch + n / 2, n - n / 2);
			return;
		}
		if (v == RETRY_DROP) {
			char ex[200];

			body_excerpt(&res, ex, sizeof(ex));
			warn("otlp: %s rejected %zu spans (%s), not retrying: %s", e->url_log, n, why,
			     ex);
			pthread_mutex_lock(&e->mu);
			e->st.dropped_failed += n;
			pthread_mutex_unlock(&e->mu);
			http_response__release(&res);
			break;
		}
		delay = res.retry_after_ms >= 0
				? res.retry_after_ms
				: retry__backoff_ms(attempt, e->cfg.retry_initial_ms,
						    e->cfg.retry_max_ms,
						    (double)rand_r(&e->seed) / ((double)RAND_MAX + 1));
		http_response__release(&res);
		now = exporter__mono_ns();
		if (e->cfg.retry_max_elapsed_ms > 0 &&
		    now + (uint64_t)delay * NS_PER_MS - start >
			    (uint64_t)e->cfg.retry_max_elapsed_ms * NS_PER_MS) {
			warn("otlp: giving up on %zu spans after %d retries (%s)", n, attempt, why);
			pthread_mutex_lock(&e->mu);
			e->st.dropped_failed += n;
			pthread_mutex_unlock(&e->mu);
			break;
		}
		if (attempt == 0)
			warn("otlp: export to %s failed (%s), retrying", e->url_log, why);
		else
			debug("otlp: retry %d failed (%s), next in %ld ms", attempt, why, delay);
		attempt++;

		/* Back off; a shutdown wakes us and shortens the wait to its deadline. */
		until = now + (uint64_t)delay * NS_PER_MS;
		pthread_mutex_lock(&e->mu);
		e->st.retries++;
		for (;;) {
			uint64_t t = e->stopping && e->deadline_ns < until ? e->deadline_ns : until;

			if (exporter__mono_ns() >= t)
				break;
			exporter__wait_until(e, t);
		}
		pthread_mutex_unlock(&e->mu);
	}
	free(body);
}
