/* SPDX-License-Identifier: MIT */
/*
 * The export stage: a bounded span queue drained by one thread that
 * batches spans (by size and time) and hands them to a backend: OTLP/HTTP
 * (protobuf or JSON, optional gzip, retries with backoff), console, file
 * (OTLP/JSON lines) or none. Submitting never blocks.
 */
#ifndef AR_EXPORT_EXPORTER_H
#define AR_EXPORT_EXPORTER_H

#include <stdint.h>

#include "export/config.h"
#include "export/otlp_http.h"
#include "trace/span.h"

struct exporter;

struct export_stats {
	uint64_t queued;                 /* waiting or in flight now */
	uint64_t exported_spans;         /* accepted by the backend */
	uint64_t export_requests_ok;
	uint64_t export_requests_failed; /* HTTP attempts that did not succeed */
	uint64_t retries;
	uint64_t dropped_queue_full;
	uint64_t dropped_queue_bytes;    /* the queue's byte bound was reached */
	uint64_t attrs_truncated;        /* spans with a value cut at the cap */
	uint64_t queued_bytes;           /* span__bytes waiting now */
	uint64_t dropped_failed;         /* non-retryable error or retries exhausted */
	uint64_t dropped_shutdown;       /* still unsent at the shutdown deadline */
	uint64_t partial_success_rejected;
};

/*
 * The HTTP step, injectable so tests can script collector answers. post
 * sends one encoded body; see otlp_http__post() for the contract.
 */
struct export_transport {
	int (*post)(void *ctx, const void *body, size_t len, int timeout_ms,
		    struct http_response *res);
	void *ctx;
};

/*
 * Starts an exporter for a copy of cfg. The file backend opens
 * cfg->output_path (append) now. Returns NULL on failure (-ENOMEM, the
 * file cannot be opened, libcurl or thread creation failed), after a warn().
 */
struct exporter *exporter__new(const struct export_config *cfg);

/* Same, with the OTLP HTTP step replaced by t (tests). */
struct exporter *exporter__new_with_transport(const struct export_config *cfg,
					      const struct export_transport *t);

/*
 * Queues s; takes ownership always and never blocks. Returns 0, -ENOSPC
 * when the queue is full (s freed, counted in dropped_queue_full), or
 * -ESHUTDOWN once shutdown began (s freed, counted in dropped_shutdown).
 */
int exporter__submit(struct exporter *e, struct span *s);

/*
 * Flushes what it can within deadline_ms (retries included), stops the
 * thread and frees e. Submitters must have stopped before it returns
 * (during it, submit answers -ESHUTDOWN). Returns 0, or -ETIMEDOUT if spans were left unsent
 * (counted in dropped_shutdown; the final stats are logged). e may be NULL.
 */
int exporter__shutdown(struct exporter *e, int deadline_ms);

/* Snapshot of the counters. */
void exporter__stats(const struct exporter *e, struct export_stats *out);

#endif
