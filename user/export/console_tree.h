/* SPDX-License-Identifier: MIT */
/*
 * Console trees: the console exporter holds each trace's spans and prints
 * the trace as one tree (console__write) once its root has ended and no
 * span of it arrived for a settle time, or at the latest max_wait after
 * its first span. Bounded: at most CONSOLE_TREE_MAX_SPANS held and
 * CONSOLE_TREE_MAX_TRACES traces; past either bound the oldest trace is
 * printed early. Used by the exporter thread only; not thread-safe.
 */
#ifndef AR_EXPORT_CONSOLE_TREE_H
#define AR_EXPORT_CONSOLE_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "export/console.h"
#include "trace/span.h"

#define CONSOLE_TREE_MAX_SPANS 4096
#define CONSOLE_TREE_MAX_TRACES 256
#define CONSOLE_TREE_SETTLE_NS (300ull * 1000 * 1000)
#define CONSOLE_TREE_MAX_WAIT_NS (2000ull * 1000 * 1000)

struct console_tree;

/* Prints through c (not owned). NULL on -ENOMEM. */
struct console_tree *console_tree__new(struct console *c);
/* Prints everything still held, then frees. */
void console_tree__free(struct console_tree *t);

/* Takes ownership of s, arrived (ended) at monotonic now. On -ENOMEM the
 * span is printed at once instead. Returns 0 or -EIO from printing. */
int console_tree__add(struct console_tree *t, struct span *s, uint64_t now);
/* Prints the traces that are ready at now (all with now UINT64_MAX).
 * Returns 0 or -EIO. */
int console_tree__flush(struct console_tree *t, uint64_t now);
/* When the next held trace becomes ready, or UINT64_MAX if none held. */
uint64_t console_tree__next(const struct console_tree *t);

#endif
