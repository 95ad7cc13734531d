/* SPDX-License-Identifier: MIT */
/*
 * Incremental text/event-stream (Server-Sent Events) parser, per the WHATWG
 * HTML "event stream interpretation" rules: fields data/event/id, comments,
 * CRLF/LF/CR line ends, one optional space after the colon, dispatch on a
 * blank line. Bytes may arrive in arbitrary splits; a whole body is just one
 * feed. Memory is bounded by max_line and max_data.
 */
#ifndef AR_PROTO_SSE_H
#define AR_PROTO_SSE_H

#include <stddef.h>
#include <stdint.h>

struct sse;

/* One dispatched event. Pointers are valid only during the callback.
 * event is "message" when the stream gave no event: field. data has the
 * data: lines joined with '\n' and is NUL-terminated at data[data_len]. */
struct sse_event {
	const char *event;
	size_t event_len;
	const char *data;
	size_t data_len;
	const char *id; /* last event ID seen so far, "" if none */
	size_t id_len;
};

/* Return 0 to continue; a negative value stops the feed and is returned. */
typedef int (*sse_event_fn)(void *ctx, const struct sse_event *ev);

struct sse_stats {
	uint64_t events;          /* dispatched */
	uint64_t comments;        /* ':' lines (keep-alives) */
	uint64_t dropped_lines;   /* longer than max_line */
	uint64_t dropped_events;  /* data over max_data, or a dropped data line */
	uint64_t unterminated;    /* finish() found a partial line or event */
};

/* max_line caps one line, max_data one event's joined data; 0 picks the
 * defaults (64 KiB / 1 MiB). Returns NULL on -ENOMEM. */
struct sse *sse__new(size_t max_line, size_t max_data, sse_event_fn fn, void *ctx);
void sse__free(struct sse *p);

/* Feeds bytes. Returns 0, or the callback's negative value (the rest of
 * buf is then not consumed). Over-long lines are counted drops, not errors. */
int sse__feed(struct sse *p, const char *buf, size_t len);

/* End of stream: a trailing partial line or an event without its blank
 * line is discarded (as the spec says) and counted as unterminated.
 * Returns 1 if something was discarded, else 0. The parser is reset. */
int sse__finish(struct sse *p);

void sse__stats(const struct sse *p, struct sse_stats *out);

#endif
