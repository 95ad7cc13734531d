// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "export/exporter_int.h"
#include "export/otlp_http.h"
#include "export/otlp_json.h"
#include "export/otlp_pb.h"
#include "export/otlp_sender.h"


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
 * Sends one batch over OTLP/HTTP with the shared retry policy (see
 * otlp_sender.h) until it is accepted, dropped by policy, past the retry
 * budget or the shutdown deadline. The batch is encoded once, so a retry
 * resends the same bytes: no duplicate or lost span within the exporter. A
 * 413 splits the batch in halves (recursion depth log2 n). Counts the
 * outcome; frees no span.
 */
void otlp_send__batch(struct exporter *e, struct span **batch, size_t n)
{
	const struct otlp_sender s = {
		.cfg = &e->cfg, .tr = e->tr, .mu = &e->mu, .cv = &e->cv,
		.stopping = &e->stopping, .deadline_ns = &e->deadline_ns, .seed = &e->seed,
		.url_log = e->url_log, .what = "spans", .json_rejected_key = "rejectedSpans",
		.requests_ok = &e->st.export_requests_ok,
		.requests_failed = &e->st.export_requests_failed, .retries = &e->st.retries,
		.partial_rejected = &e->st.partial_success_rejected,
	};
	uint8_t *body = NULL;
	size_t len = 0;
	int err;

	err = encode_batch(e, batch, n, &body, &len);
	if (err) {
		warn("otlp: cannot encode %zu spans: %s", n, strerror(-err));
		pthread_mutex_lock(&e->mu);
		e->st.dropped_failed += n;
		pthread_mutex_unlock(&e->mu);
		return;
	}
	switch (otlp_sender__send(&s, body, len, n)) {
	case OTLP_SEND_OK:
		pthread_mutex_lock(&e->mu);
		e->st.exported_spans += n;
		pthread_mutex_unlock(&e->mu);
		break;
	case OTLP_SEND_TOO_LARGE:
		/* Too large for this collector: halve the batch until it fits. */
		free(body);
		otlp_send__batch(e, batch, n / 2);
		otlp_send__batch(e, batch + n / 2, n - n / 2);
		return;
	case OTLP_SEND_SHUTDOWN:
		pthread_mutex_lock(&e->mu);
		e->st.dropped_shutdown += n;
		pthread_mutex_unlock(&e->mu);
		break;
	case OTLP_SEND_REJECTED:
	case OTLP_SEND_GAVE_UP:
		pthread_mutex_lock(&e->mu);
		e->st.dropped_failed += n;
		pthread_mutex_unlock(&e->mu);
		break;
	}
	free(body);
}
