/* SPDX-License-Identifier: MIT */
/*
 * Finds where an HTTP/1.x message starts in an arbitrary byte run: a
 * request line (METHOD SP target SP HTTP/1.x EOL) or a status line
 * (HTTP/1.x SP 3DIGIT (SP|EOL)). Used to pick the request direction of a
 * connection and to resynchronise a direction after a gap or parse error.
 * Pure function, no state: callers keep the PARTIAL tail themselves.
 */
#ifndef AR_PROTO_HTTP_SYNC_H
#define AR_PROTO_HTTP_SYNC_H

#include <stddef.h>
#include <stdint.h>

/* Lines longer than this are not recognised as message starts. A PARTIAL
 * match always leaves fewer than this many bytes from its start. */
#define HTTP_SYNC_LINE_MAX 8192

enum http_sync_kind {
	HTTP_SYNC_REQUEST = 1,  /* request line */
	HTTP_SYNC_RESPONSE = 2, /* status line */
	HTTP_SYNC_EITHER = 3,
};

enum http_sync_result {
	HTTP_SYNC_NONE = 0,    /* no start in buf: all of it can be discarded */
	HTTP_SYNC_PARTIAL = 1, /* buf ends inside a possible start at *pos */
	HTTP_SYNC_FOUND = 2,   /* a complete start line begins at *pos */
};

/* Scans buf for the first start line of a kind in want. On FOUND and
 * PARTIAL, *pos is its offset and *kind what it is (for PARTIAL, the
 * first kind still possible). Never fails. */
enum http_sync_result http_sync__find(const uint8_t *buf, size_t len, unsigned want,
				      size_t *pos, unsigned *kind);

#endif
