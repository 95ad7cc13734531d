/* SPDX-License-Identifier: MIT */
/*
 * HTTP/2 state of one connection (RFC 9113): frames per direction, HPACK
 * with nghttp2's inflater (one dynamic table per direction), streams paired
 * by id, many at once. Each finished stream becomes the same struct
 * http_exchange HTTP/1.1 produces, so every provider and tool parser works
 * unchanged; RST_STREAM and GOAWAY end a stream as an error (status 0 or
 * resp_complete false). A gap breaks framing and the HPACK table of its
 * direction: that direction is declared lost (counted), its unfinished
 * streams are emitted with gap=true, and its later bytes are skipped.
 */
#ifndef AR_PROTO_HTTP2_H
#define AR_PROTO_HTTP2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn/stream.h"
#include "proto/http1.h"

/* Streams open at once per connection; more are counted and skipped. */
#define HTTP2_MAX_STREAMS 128
/* Frames bigger than this are skipped and their stream marked truncated. */
#define HTTP2_MAX_FRAME (1u << 20)

#define HTTP2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define HTTP2_PREFACE_LEN 24

struct http2;

/* State for connection c; req_dir is the enum ar_dir that carries
 * requests (the one that sent the preface). cfg and stats must outlive it.
 * Returns NULL on -ENOMEM. */
struct http2 *http2__new(const struct http_cfg *cfg, struct http_stats *stats,
			 http_exchange_fn fn, void *ctx, const struct conn_meta *c, int req_dir);
/* Frees without emitting; call http2__close first to flush. */
void http2__free(struct http2 *h);

/* In-order bytes of direction dir (the request direction starts with the
 * preface). Bad input is counted, never fatal. */
void http2__feed(struct http2 *h, const struct conn_meta *c, int dir, const uint8_t *data,
		 size_t len, uint64_t ts, uint32_t tid);
/* missing bytes were lost in dir: the direction is declared lost. */
void http2__gap(struct http2 *h, const struct conn_meta *c, int dir, uint64_t missing);
/* Connection ended: every open stream is emitted (incomplete). */
void http2__close(struct http2 *h, const struct conn_meta *c);

/* 1 when data (the first bytes of a direction) starts with the client
 * preface, 0 when it cannot, -1 when len is too short to tell. */
int http2__is_preface(const uint8_t *data, size_t len);

#endif
