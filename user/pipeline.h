/* SPDX-License-Identifier: MIT */
/*
 * The userspace pipeline, shared by live mode and `analyze`: every record
 * (kernel or discovery) enters pipeline__handle(), is optionally written to
 * a capture file, and flows conn/ -> proto/ -> genai/ -> trace/ -> export/.
 */
#ifndef AR_PIPELINE_H
#define AR_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "span_path.h"

struct capture_writer;
struct cli_opts;
struct pipeline;

/* Builds the stages o asks for. mono_to_real_ns converts record timestamps
 * to unix time. Returns 0 and *out, or -errno. */
int pipeline__new(const struct cli_opts *o, uint64_t mono_to_real_ns,
		  struct capture_writer *writer, struct pipeline **out);

/* Feeds one record. Malformed records are counted, never fatal. */
void pipeline__handle(struct pipeline *p, const void *rec, size_t len);

/* --inject-traceparent: the loaded programs whose per-thread context the
 * span stage writes (NULL: off). */
struct inject;
void pipeline__set_inject(struct pipeline *p, struct inject *in);
/* Bounded capture: only targets' exchanges make spans (span_path.h). */
void pipeline__set_targets(struct pipeline *p, span_path_target_fn fn, void *ctx);

/* Periodic work: idle-connection expiry. now is monotonic ns. */
void pipeline__tick(struct pipeline *p, uint64_t now);

/* Hands the rendered stats lines (kernel and pipeline) to the metrics
 * stage, which exports them as self-metrics. */
void pipeline__observe_stats(struct pipeline *p, const char *stats);

/* Prints the userspace counters. */
void pipeline__print_stats(const struct pipeline *p, FILE *f);

/* Ends every connection (flushing partial exchanges), flushes the exporter
 * within deadline_ms and frees. Returns 0 or the first error. */
int pipeline__finish(struct pipeline *p, int deadline_ms);

#endif
