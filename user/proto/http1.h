/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x state of one connection: a request parser on the direction that
 * carries requests and a response parser on the other (llhttp), a FIFO of
 * pending requests (keep-alive, pipelining, 1xx, HEAD/204/304, close-
 * delimited bodies), body decoding, and recovery after gaps and parse
 * errors by scanning for the next start line. Each finished (or abandoned)
 * request/response pair is handed to the exchange callback.
 */
#ifndef AR_PROTO_HTTP1_H
#define AR_PROTO_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#include "conn/stream.h"
#include "proto/decode.h"
#include "proto/http_types.h"

#define HTTP_DEFAULT_MAX_HEADER_BYTES (64u * 1024)
#define HTTP_DEFAULT_MAX_BODY_BYTES (4u * 1024 * 1024)
/* Requests awaiting their response, per connection. */
#define HTTP1_MAX_PENDING 32

/* Points in an exchange's life reported before the exchange ends. */
enum http_milestone {
	HTTP_REQ_HEADERS = 1, /* the request's header block is in (no body, no response) */
	HTTP_RESP_HEADERS = 2, /* a final response's header block is in (no body) */
};

/* x holds what is known so far and is valid only during the call. */
typedef void (*http_milestone_fn)(void *ctx, const struct http_exchange *x,
				  enum http_milestone what);

struct http_cfg {
	size_t max_header_bytes; /* request line + header block; 0 = default */
	size_t max_body_bytes;   /* decoded body kept per message; 0 = default */
	/* Optional; called with the exchange callback's ctx. Lets trace
	 * context be decided while a request is still being served. */
	http_milestone_fn on_milestone;
};

/* Counters shared by every connection of one tracker. */
struct http_stats {
	uint64_t exchanges;          /* handed to the callback */
	uint64_t requests;           /* requests parsed to their end */
	uint64_t responses;          /* final responses parsed to their end */
	uint64_t resyncs;            /* a direction went back to scanning */
	uint64_t parse_errors;       /* llhttp rejected a message */
	uint64_t header_overflows;   /* header block over max_header_bytes: dropped */
	uint64_t body_truncated;     /* emitted messages whose body is incomplete */
	uint64_t decode_errors;      /* Content-Encoding unknown or corrupt */
	uint64_t decode_stops[DECODE_STOP__COUNT]; /* decode limits hit, by reason */
	uint64_t unpaired_responses; /* responses with no request to pair with */
	uint64_t pipeline_overflows; /* a request arrived with the queue full */
	uint64_t non_http_bytes;     /* bytes skipped while not parsing HTTP */
	/* HTTP/2 (proto/http2.c) */
	uint64_t h2_conns;           /* connections that spoke HTTP/2 */
	uint64_t h2_streams_reset;   /* streams ended by RST_STREAM or GOAWAY */
	uint64_t h2_streams_dropped; /* over HTTP2_MAX_STREAMS, or no memory */
	uint64_t h2_hpack_errors;    /* header blocks nghttp2 rejected */
	uint64_t h2_dirs_lost;       /* directions given up after a gap or error */
	uint64_t h2_bad_frames;      /* malformed or oversized frames */
};

/* x and everything it points to are valid only during the call. */
typedef void (*http_exchange_fn)(void *ctx, const struct http_exchange *x);

struct http1;

/* Fills in defaults for zero fields of cfg. */
void http_cfg__defaults(struct http_cfg *cfg);

/* State for connection c. cfg and stats must outlive it. The request
 * direction comes from c->role for plain sockets and is sniffed from the
 * first start line otherwise. Returns NULL on -ENOMEM. */
struct http1 *http1__new(const struct http_cfg *cfg, struct http_stats *stats,
			 http_exchange_fn fn, void *ctx, const struct conn_meta *c);
/* Frees without emitting; call http1__close first to flush. */
void http1__free(struct http1 *h);

/* In-order bytes of direction dir. Bad input is counted, never fatal. */
void http1__feed(struct http1 *h, const struct conn_meta *c, int dir,
		 const uint8_t *data, size_t len, uint64_t ts, uint32_t tid);
/* missing bytes were lost in dir: the message they hit is emitted with
 * gap=true and the direction resynchronises. */
void http1__gap(struct http1 *h, const struct conn_meta *c, int dir, uint64_t missing);
/* Connection ended: completes close-delimited responses and emits every
 * pending request (status 0 when no response was seen). */
void http1__close(struct http1 *h, const struct conn_meta *c);

#endif
