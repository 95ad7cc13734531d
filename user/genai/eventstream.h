/* SPDX-License-Identifier: MIT */
/*
 * Incremental decoder for application/vnd.amazon.eventstream, the binary
 * framing of AWS streaming responses (Bedrock ConverseStream). A message is
 *
 *   total_len u32 BE | headers_len u32 BE | prelude CRC32 (of the 8 bytes)
 *   headers | payload | message CRC32 (of everything before it)
 *
 * and a header is name_len u8, name, type u8, value: 0/1 bool (no bytes),
 * 2 byte, 3 i16, 4 i32, 5 i64, 6 bytes and 7 string (u16 BE length +
 * bytes), 8 timestamp (i64), 9 uuid (16 bytes). Both CRCs are verified.
 * Bytes may arrive in arbitrary splits. Memory is bounded by max_message:
 * a frame that claims more is skipped unbuffered and counted. A bad prelude
 * (wrong CRC or impossible lengths) is resynchronised one byte at a time.
 */
#ifndef AR_GENAI_EVENTSTREAM_H
#define AR_GENAI_EVENTSTREAM_H

#include <stddef.h>
#include <stdint.h>

#define EVENTSTREAM_PRELUDE 12
#define EVENTSTREAM_MIN_MESSAGE 16
#define EVENTSTREAM_MAX_MESSAGE (16u << 20) /* the format's own limit */

/* One decoded message. String headers not present are NULL/0. Pointers
 * are valid only during the callback; none is NUL-terminated. */
struct eventstream_msg {
	const char *event_type;      /* ":event-type" */
	size_t event_type_len;
	const char *message_type;    /* ":message-type": event, exception, error */
	size_t message_type_len;
	const char *exception_type;  /* ":exception-type" */
	size_t exception_type_len;
	const char *error_code;      /* ":error-code" */
	size_t error_code_len;
	const uint8_t *payload;
	size_t payload_len;
	uint32_t n_headers;          /* all headers, any type */
};

/* Return 0 to continue; a negative value stops the feed and is returned. */
typedef int (*eventstream_fn)(void *ctx, const struct eventstream_msg *m);

struct eventstream_stats {
	uint64_t messages;      /* delivered */
	uint64_t bad_preludes;  /* resynchronisations after a bad prelude */
	uint64_t crc_errors;    /* message CRC mismatches (message dropped) */
	uint64_t bad_headers;   /* header block malformed (message dropped) */
	uint64_t oversize;      /* frames over max_message (skipped) */
	uint64_t unterminated;  /* finish() found a partial frame */
};

/* max_message 0 picks EVENTSTREAM_MAX_MESSAGE; larger values are capped
 * there. Returns NULL on -ENOMEM. */
struct eventstream *eventstream__new(size_t max_message, eventstream_fn fn, void *ctx);
void eventstream__free(struct eventstream *p);

/* Feeds bytes. Returns 0, -ENOMEM (the current frame is dropped), or the
 * callback's negative value. Malformed frames are counted, not errors. */
int eventstream__feed(struct eventstream *p, const void *buf, size_t len);

/* End of stream: a partial frame is discarded and counted. Returns 1 if
 * something was discarded, else 0. The decoder is reset. */
int eventstream__finish(struct eventstream *p);

void eventstream__stats(const struct eventstream *p, struct eventstream_stats *out);

/* Sum of the error counters: what a caller adds to its own drop count. */
uint64_t eventstream__errors(const struct eventstream_stats *st);

#endif
