/* SPDX-License-Identifier: MIT */
/*
 * What happens to a finished span between span building and the exporter,
 * in this order: tool contracts (drift flags), metrics (every span, before
 * sampling), then tail sampling (whole traces kept or dropped) into the
 * exporter. Owned by span_path; runs on the parsing thread.
 */
#ifndef AR_KEEP_H
#define AR_KEEP_H

#include <stdint.h>
#include <stdio.h>

#include "export/config.h"
#include "export/exporter.h"
#include "trace/span.h"

struct cli_opts;
struct keep;

/* Builds the stages for o; ec is the traces exporter's configuration,
 * e the exporter kept spans go to (borrowed). Returns 0 and *out, or
 * -errno after a warn() naming the bad option or file. */
int keep__new(const struct cli_opts *o, const struct export_config *ec, struct exporter *e,
	      struct keep **out);

/* Takes s. Returns 0, or a negative errno when s was lost on the way to
 * the exporter (s freed). A span held for sampling returns 0. */
int keep__span(struct keep *k, struct span *s);

/* Periodic work: sampling decisions that came due. now is monotonic ns. */
void keep__tick(struct keep *k, uint64_t now);

/* Self-metrics from the rendered stats lines. */
void keep__observe_stats(struct keep *k, const char *stats);

void keep__print_stats(const struct keep *k, FILE *f);

/* Decides every held trace into the exporter and starts the last metrics
 * export (due within deadline_ms), without waiting. Call before the
 * exporter's shutdown. k may be NULL. */
void keep__finish(struct keep *k, int deadline_ms);

/* Waits for the last metrics export and frees. k may be NULL. */
void keep__free(struct keep *k);

#endif
