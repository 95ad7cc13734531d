/* SPDX-License-Identifier: MIT */
/*
 * The console exporter: one readable line per span, children indented
 * under their parent within a trace. The default when no collector is
 * configured.
 */
#ifndef AR_EXPORT_CONSOLE_H
#define AR_EXPORT_CONSOLE_H

#include <stdbool.h>
#include <stdio.h>

#include "trace/span.h"

struct console;

/* Writes to f (not owned); color adds ANSI colours for a terminal.
 * Returns NULL on -ENOMEM. */
struct console *console__new(FILE *f, bool color);
void console__free(struct console *c);

/*
 * Prints spans[0..n) (not consumed), a header line before the first batch.
 * Within the batch spans are ordered as trees by start time; a span whose
 * parent was printed recently is indented one level below it. Returns 0
 * or -EIO if the stream failed.
 */
int console__write(struct console *c, struct span *const *spans, size_t n);

/* Formats one span line (no newline) at the given depth into buf; used by
 * console__write() and the tests. */
void console__format(const struct span *s, int depth, bool color, char *buf, size_t sz);
/* Formats one link line ("-> link <span id> tool_call <id>"), printed
 * under its span. */
void console__format_link(const struct span_link *l, char *buf, size_t sz);

#endif
