/* SPDX-License-Identifier: MIT */
/*
 * The metric store: one series per (instrument, traced process, attribute
 * set), each an explicit-bucket histogram or a monotonic sum. Recording
 * happens on the parsing thread and collection on the metrics exporter's
 * thread, so every call takes the store's mutex.
 *
 * Bounds: at most max_series series. A recording for a new series past the
 * cap goes to the instrument's overflow series (attribute
 * otel.metric.overflow=true, no process), as the metrics SDK spec says, and
 * is counted; memory never grows past the cap.
 */
#ifndef AR_METRICS_STORE_H
#define AR_METRICS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/span.h"

enum minst_kind { MINST_HISTOGRAM, MINST_SUM, MINST_GAUGE };

/* A static description of one instrument. */
struct minst {
	const char *name;
	const char *unit;
	const char *desc;
	enum minst_kind kind;
	const double *bounds;   /* histogram boundaries, strictly increasing */
	size_t n_bounds;
};

/* One exported point: a copy, owned by its batch. */
struct mpoint {
	const struct minst *inst;
	struct span_process proc;
	struct attr_list attrs;
	uint64_t start_ns, time_ns;
	/* histogram */
	uint64_t count;
	double sum, min, max;
	uint64_t *buckets;      /* n_bounds + 1 */
	/* sum and gauge */
	int64_t value;
};

struct mbatch {
	struct mpoint *v;
	size_t n;
};

struct mstore_stats {
	uint64_t series;
	uint64_t overflowed;    /* recordings folded into an overflow series */
	uint64_t nomem;         /* recordings lost to -ENOMEM */
};

struct mstore;

/* delta: collect() reports what changed since the last collection and
 * restarts the interval; otherwise points are cumulative since start. */
struct mstore *mstore__new(size_t max_series, bool delta, uint64_t start_ns);
void mstore__free(struct mstore *st);

/* Adds v to a histogram series. proc NULL: the daemon itself. */
void mstore__record(struct mstore *st, const struct minst *inst, const struct span_process *proc,
		    const struct attr_list *attrs, double v);

/* Adds n to a sum series. */
void mstore__add(struct mstore *st, const struct minst *inst, const struct span_process *proc,
		 const struct attr_list *attrs, int64_t n);

/* Sets an observed value: the running total of a sum (exported as a
 * delta from the previous collection when delta is on) or a gauge. */
void mstore__observe(struct mstore *st, const struct minst *inst, const struct attr_list *attrs,
		     int64_t value);

/*
 * Copies the points to export at now_ns into *out (release it with
 * mbatch__release()): every series when cumulative, the series that
 * changed when delta (which are then reset). Returns 0 or -ENOMEM (out
 * empty, the store unchanged).
 */
int mstore__collect(struct mstore *st, uint64_t now_ns, struct mbatch *out);
void mbatch__release(struct mbatch *b);

void mstore__stats(struct mstore *st, struct mstore_stats *out);

/* The identity self-metrics are reported under: this daemon. */
void mstore__self_proc(struct span_process *p);

#endif
