/* SPDX-License-Identifier: MIT */
/*
 * Internals of the exporter shared by exporter.c (queue, thread, console
 * and file backends) and otlp_send.c (the retrying OTLP backend). Not a
 * public header.
 */
#ifndef AR_EXPORT_EXPORTER_INT_H
#define AR_EXPORT_EXPORTER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "common/mono_cond.h"
#include "export/console.h"
#include "export/console_tree.h"
#include "export/exporter.h"

#define NS_PER_MS 1000000ull

/*
 * Locking: one mutex guards the queue, the flags and the stats; the
 * condvar wakes the thread for a full batch, the first span of a batch and
 * shutdown, and interrupts its backoff sleeps.
 */
struct exporter {
	struct export_config cfg;
	struct export_transport tr;
	struct otlp_http *http;  /* owned when tr is the real transport */
	struct otlp_grpc *grpc;  /* same, for OTEL_EXPORTER_OTLP_PROTOCOL=grpc */
	struct console *console;
	struct console_tree *tree; /* console: spans held until their trace is whole */
	FILE *file;              /* file backend output */
	bool own_file;

	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_cond_t room; /* broadcast when the thread takes spans out, and at shutdown */

	struct span **ring;      /* bounded queue, cfg.max_queue slots */
	struct span **batch;     /* the batch in flight, cfg.max_batch slots */
	size_t head, count;
	size_t queued_bytes;     /* span__bytes of the ring's spans */
	uint64_t first_ns;       /* when the oldest queued span arrived */
	size_t inflight;
	bool stopping;
	uint64_t deadline_ns;    /* shutdown deadline (monotonic) */
	_Atomic uint64_t abort_at_ns; /* read by the HTTP progress callback */

	struct export_stats st;
	unsigned int seed;       /* backoff jitter */
	char url_log[256];       /* endpoint without credentials, for logs */
};

static inline uint64_t exporter__mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Waits on e->cv (e->mu held) until the monotonic time at_ns or a signal. */
static inline void exporter__wait_until(struct exporter *e, uint64_t at_ns)
{
	mono_cond__wait_until(&e->cv, &e->mu, at_ns);
}

/*
 * Sends one batch over OTLP/HTTP from the exporter thread, retrying
 * retryable failures with backoff until it is accepted, dropped by policy,
 * or the shutdown deadline. Counts the outcome in e->st; frees no span.
 */
void otlp_send__batch(struct exporter *e, struct span **batch, size_t n);

#endif
