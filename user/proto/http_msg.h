/* SPDX-License-Identifier: MIT */
/*
 * One HTTP message while it is being parsed: owned copies of the start line
 * and headers (llhttp hands them over in pieces that may straddle feeds),
 * the decoded body, and the derived fields of struct http_message. Internal
 * to the HTTP stage; buffers are reused across messages of a connection.
 */
#ifndef AR_PROTO_HTTP_MSG_H
#define AR_PROTO_HTTP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/decode.h"
#include "proto/http_types.h"

#define HTTP_MSG_NONE UINT32_MAX

struct hdr_ref {
	uint32_t name_off, name_len;
	uint32_t val_off, val_len;
};

struct http_msg {
	struct body_buf raw;  /* target, header names/values, derived strings */
	struct hdr_ref *hdrs;
	uint32_t n_hdrs, cap_hdrs;
	/* hdrs as pointers into raw, built by http_msg__view and reused
	 * while no header changes (any change sets n_views to 0) and raw
	 * keeps its allocation (raw only moves when its size changes, and
	 * reset zeroes n_views) */
	struct header_view *views;
	uint32_t n_views, cap_views;
	size_t views_raw_size;
	size_t hdr_bytes;     /* wire bytes counted against the header cap */
	size_t hdr_cap;
	struct body_buf body;
	struct decode *dec;
	uint32_t target_off, host_off, ctype_off;
	/* first Host and Content-Type header, HTTP_MSG_NONE if none; told
	 * apart once, when a name is complete */
	uint32_t host_idx, ctype_idx;
	bool has_ce;          /* a Content-Encoding header was seen */
	int status;           /* response: status code */
	uint8_t method;       /* request: llhttp_method_t */
	uint8_t ver_major, ver_minor; /* HTTP version of the start line */
	bool field_open;      /* a header name is being received */
	bool headers_done;
	bool raw_body;        /* coding unknown: body kept as received */
	bool decode_failed;
	uint8_t decode_stop;  /* enum decode_stop: a decode limit hit (counted) */
	bool cut;             /* ended before its framing boundary */
	uint64_t ts_first, ts_first_body, ts_last;
	uint32_t tid;
};

/* Sets the caps; the message starts empty. */
void http_msg__init(struct http_msg *m, size_t hdr_cap, size_t body_cap);
/* Empties m for the next message, keeping buffers no bigger than keep. */
void http_msg__reset(struct http_msg *m, size_t keep);
void http_msg__free(struct http_msg *m);
/* Frees an exchange x (an HTTP/1 slot, an HTTP/2 stream: one allocation
 * holding both messages): its request, its response, then x. NULL is a
 * no-op. */
void http_msg__free_exchange(void *x, struct http_msg *req, struct http_msg *resp);

/* Start-line and header pieces. Each returns 0, -E2BIG when the header
 * block passes its cap, or -ENOMEM; m is then unusable until reset. A
 * name ends at http_msg__field_done, or else at the first value piece or
 * http_msg__value_done (so llhttp need not report it). */
int http_msg__url(struct http_msg *m, const char *at, size_t len);
int http_msg__url_done(struct http_msg *m);
int http_msg__field(struct http_msg *m, const char *at, size_t len);
int http_msg__field_done(struct http_msg *m);
int http_msg__value(struct http_msg *m, const char *at, size_t len);
int http_msg__value_done(struct http_msg *m);

/* Derives host, content type and the body decoder. Returns 0 or -ENOMEM.
 * An unknown or corrupt coding bumps *decode_errors and keeps going. */
int http_msg__headers_done(struct http_msg *m, uint64_t *decode_errors);
/* Body bytes after de-chunking. Failures are recorded in m, not returned. */
void http_msg__body(struct http_msg *m, const char *at, size_t len, uint64_t *decode_errors);
/* End of the body: checks that the coding ended cleanly. */
void http_msg__finish(struct http_msg *m, uint64_t *decode_errors);

/* NUL-terminated string stored at off, or "" for HTTP_MSG_NONE. */
const char *http_msg__str(const struct http_msg *m, uint32_t off);
/* Fills out from m. out->headers points into m, valid until m changes;
 * on -ENOMEM for them out shows no headers. */
void http_msg__view(struct http_msg *m, struct http_message *out);

#endif
