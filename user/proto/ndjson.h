/* SPDX-License-Identifier: MIT */
/*
 * Incremental NDJSON (newline-delimited JSON, e.g. Ollama streams) line
 * splitter. Lines end in LF (a trailing CR is stripped); blank lines are
 * skipped; a final line without LF is delivered by finish(). Only splits:
 * the caller parses each line. Memory is bounded by max_line.
 */
#ifndef AR_PROTO_NDJSON_H
#define AR_PROTO_NDJSON_H

#include <stddef.h>
#include <stdint.h>

struct ndjson;

/* line is not NUL-terminated (json_loadb takes a length) and is valid
 * only during the call.
 * Return 0 to continue; a negative value stops the feed and is returned. */
typedef int (*ndjson_line_fn)(void *ctx, const char *line, size_t len);

struct ndjson_stats {
	uint64_t lines;         /* delivered */
	uint64_t dropped_lines; /* longer than max_line */
	uint64_t unterminated;  /* finish() delivered a line without LF */
};

/* max_line 0 picks 1 MiB. Returns NULL on -ENOMEM. */
struct ndjson *ndjson__new(size_t max_line, ndjson_line_fn fn, void *ctx);
void ndjson__free(struct ndjson *p);

/* Feeds bytes. Returns 0, -ENOMEM, or the callback's negative value. */
int ndjson__feed(struct ndjson *p, const char *buf, size_t len);

/* End of stream: delivers a pending unterminated line (counted), then
 * resets. Returns 0 or the callback's negative value. */
int ndjson__finish(struct ndjson *p);

void ndjson__stats(const struct ndjson *p, struct ndjson_stats *out);

#endif
