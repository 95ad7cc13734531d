/* SPDX-License-Identifier: MIT */
/*
 * One HTTP/1.x request/response pair as the HTTP stage hands it to the
 * gen_ai and tool stages. Everything here is owned by the HTTP stage and
 * valid only during the on_exchange callback.
 */
#ifndef AR_PROTO_HTTP_TYPES_H
#define AR_PROTO_HTTP_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn_meta;

/* A header as seen on the wire (name case preserved, value trimmed).
 * Not NUL-terminated. */
struct header_view {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct http_message {
	struct header_view *headers;
	size_t n_headers;
	/* Body after de-chunking and Content-Encoding decoding, capped at the
	 * configured body cap. body is NUL-terminated (body[body_len] == 0) so
	 * JSON parsers can take it directly. */
	const uint8_t *body;
	size_t body_len;
	bool body_truncated;  /* over the cap, or decoding stopped early */
	bool decode_failed;   /* Content-Encoding could not be decoded */
	bool body_evicted;    /* dropped for the buffer budget (body_buf.h) */
	const char *content_type; /* lowercased media type without params, or "" */
	uint64_t ts_first;    /* monotonic ns of the first byte of the message */
	uint64_t ts_first_body; /* first body byte, 0 if no body */
	uint64_t ts_last;     /* last byte */
	uint32_t tid;         /* thread that wrote/read the first byte */
	uint8_t ver_major, ver_minor; /* HTTP version of the start line; 0.0 unknown */
};

struct http_exchange {
	const struct conn_meta *conn;
	/* request */
	const char *method;   /* "GET", "POST", ... NUL-terminated */
	const char *target;   /* request-target as sent, NUL-terminated */
	const char *host;     /* Host header value or "" */
	struct http_message req;
	/* response: status 0 if the connection ended before a response */
	int status;
	struct http_message resp;
	bool resp_complete;   /* the response ended at its framing boundary */
	bool gap;             /* a capture gap hit this exchange */
	bool inbound;         /* the process read the request: it served this one */
	uint32_t req_index;   /* 0-based order of the request on its connection */
};

/* Case-insensitive lookup of the idx-th header called name; NULL if absent. */
const struct header_view *http_message__header(const struct http_message *m,
						 const char *name, size_t idx);
/* true for the RFC 9110 methods and PATCH; the HTTP conventions report
 * any other method as _OTHER. */
bool http_method__known(const char *method);
/* How many headers called name (case-insensitive). */
size_t http_message__header_count(const struct http_message *m, const char *name);

#endif
