/* SPDX-License-Identifier: MIT */
/*
 * The retrying send of one encoded OTLP request, shared by the traces
 * exporter (otlp_send.c) and the metrics exporter (metrics/metrics.c) so
 * both follow one policy: retryable failures (see retry.h) back off with
 * jitter or Retry-After, a shutdown shortens the wait to its deadline, and
 * a 2xx answer's partial_success is read, logged and counted.
 *
 * The owner keeps its own mutex, condvar and shutdown flag; the sender
 * reads them and updates the owner's counters under that mutex. It runs on
 * the owner's export thread and never frees the body.
 */
#ifndef AR_EXPORT_OTLP_SENDER_H
#define AR_EXPORT_OTLP_SENDER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export/config.h"
#include "export/exporter.h"

struct otlp_sender {
	const struct export_config *cfg;  /* protocol, timeout, retry settings */
	struct export_transport tr;
	pthread_mutex_t *mu;              /* guards what follows and the counters */
	pthread_cond_t *cv;               /* CLOCK_MONOTONIC; broadcast on shutdown:
					   * ends a backoff */
	const bool *stopping;
	const uint64_t *deadline_ns;      /* monotonic, valid once *stopping */
	unsigned int *seed;               /* backoff jitter */
	const char *url_log;              /* endpoint without credentials */
	const char *what;                 /* "spans" | "points", for logs */
	const char *json_rejected_key;    /* "rejectedSpans" | "rejectedDataPoints" */
	/* false: give up after cfg->retry_max_elapsed_ms (spans pile up behind
	 * the batch); true: retry until accepted, refused or shut down (metrics
	 * aggregate meanwhile, so waiting costs no memory) */
	bool until_shutdown;
	/* counters (any may be NULL), incremented under *mu */
	uint64_t *requests_ok, *requests_failed, *retries, *partial_rejected;
};

enum otlp_send_result {
	OTLP_SEND_OK,          /* accepted (2xx), maybe partially */
	OTLP_SEND_REJECTED,    /* a non-retryable answer */
	OTLP_SEND_TOO_LARGE,   /* 413: the caller may split and resend */
	OTLP_SEND_GAVE_UP,     /* retry_max_elapsed_ms passed */
	OTLP_SEND_SHUTDOWN,    /* the shutdown deadline passed */
};

struct otlp_grpc;

/* The transport that posts over http (http/protobuf, http/json) or, when
 * grpc is not NULL, calls over grpc. */
struct export_transport otlp_sender__transport(struct otlp_http *http, struct otlp_grpc *grpc);

/* Sends body (n items, for logs) until one of the results above. */
enum otlp_send_result otlp_sender__send(const struct otlp_sender *s, const void *body,
					size_t len, size_t n);

/*
 * Reads an export response body (protobuf, or JSON when json) for its
 * partial_success. *rejected gets the count (0 if absent) and msg the
 * message. Returns 0 or -EBADMSG.
 */
int otlp_sender__parse_partial(const void *body, size_t len, bool json, const char *json_key,
			       int64_t *rejected, char *msg, size_t msgsz);

#endif
