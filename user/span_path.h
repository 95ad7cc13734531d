/* SPDX-License-Identifier: MIT */
/*
 * The span half of the pipeline: HTTP exchanges -> gen_ai span -> process
 * identity -> trace context -> exporter. Owned by the pipeline; runs on the
 * parsing thread except for the exporter's own thread.
 */
#ifndef AR_SPAN_PATH_H
#define AR_SPAN_PATH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <agentrace/events.h>
#include <agentrace/inject.h>

#include "conn/stream.h"

struct cli_opts;
struct span_path;

/* Returns 0 and *out, or -errno (bad exporter configuration included). */
int span_path__new(const struct cli_opts *o, uint64_t mono_to_real_ns, struct span_path **out);

/* The stream sink that feeds HTTP parsing. */
struct stream_sink span_path__sink(struct span_path *sp);

/* Remembers a process's identity for its later spans. */
void span_path__proc_info(struct span_path *sp, const struct ar_proc_info *rec);
/* The AR_EV_PROC_RUNTIME record that follows it: owner and runtime. */
void span_path__proc_runtime(struct span_path *sp, const struct ar_proc_runtime *rec);
/* An AR_EV_INJECT record (--inject-traceparent). */
void span_path__inject(struct span_path *sp, const struct ar_inject_event *rec);
/* Hands the kernel each served request's context (NULL: off). */
struct inject;
void span_path__set_inject(struct span_path *sp, struct inject *in);
/* Bounded capture: exchanges of processes fn does not call targets (now),
 * on connections it does not say go to one, make no span, counted as
 * untargeted (fn NULL: every exchange does). */
typedef bool (*span_path_target_fn)(void *ctx, uint32_t tgid, uint64_t conn_id);
void span_path__set_targets(struct span_path *sp, span_path_target_fn fn, void *ctx);

/* Periodic work: SERVER spans whose wait for their caller is over,
 * sampling decisions that came due, agent turns that went quiet. now is monotonic ns. */
void span_path__tick(struct span_path *sp, uint64_t now);

/* The rendered stats lines, for self-metrics. */
void span_path__observe_stats(struct span_path *sp, const char *stats);

void span_path__print_stats(const struct span_path *sp, FILE *f);

/* Flushes the exporter within deadline_ms and frees. Call after the
 * connection table is gone (its on_close calls may still emit spans). */
int span_path__finish(struct span_path *sp, int deadline_ms);

#endif
