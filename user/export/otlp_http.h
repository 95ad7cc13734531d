/* SPDX-License-Identifier: MIT */
/*
 * The OTLP/HTTP transport: POSTs an already encoded (and possibly gzipped)
 * body to the traces endpoint with libcurl, reusing one connection.
 * Used by the exporter thread only; not thread-safe.
 */
#ifndef AR_EXPORT_OTLP_HTTP_H
#define AR_EXPORT_OTLP_HTTP_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "export/config.h"

#define HTTP_RESPONSE_BODY_MAX (64 * 1024)

struct http_response {
	long status;          /* 0: no response (connect failure, timeout, abort) */
	long retry_after_ms;  /* parsed Retry-After, -1 if none */
	char *body;           /* NUL-terminated, at most HTTP_RESPONSE_BODY_MAX */
	size_t body_len;
	char error[256];      /* transport error text when status is 0 */
	int grpc_status;      /* gRPC transport: the failed call's status; else 0 */
};

void http_response__release(struct http_response *r);

struct otlp_http;

/*
 * Creates a transport for cfg's endpoint, protocol, compression and
 * headers. If abort_at_ns is not NULL, a request in flight is abandoned
 * once CLOCK_MONOTONIC passes the value it holds (0 = never). Returns NULL
 * on -ENOMEM or if libcurl cannot be initialised.
 */
struct otlp_http *otlp_http__new(const struct export_config *cfg,
				 const _Atomic uint64_t *abort_at_ns);
void otlp_http__free(struct otlp_http *h);

/*
 * Sends body[0..len) and waits at most timeout_ms. Fills *res (release it
 * with http_response__release()). Returns 0 when an HTTP status was
 * received, -EIO with res->status 0 on a transport failure, or -ENOMEM.
 */
int otlp_http__post(struct otlp_http *h, const void *body, size_t len, int timeout_ms,
		    struct http_response *res);

/* gzip-compresses in[0..n) into a malloc'd *out. Returns 0, -ENOMEM or
 * -EIO (zlib failure); *out is NULL on failure. */
int otlp_http__gzip(const void *in, size_t n, uint8_t **out, size_t *out_len);

/* Appends "name: value" to *list. Returns 0 or -ENOMEM (list unchanged). */
int otlp_http__append_header(struct curl_slist **list, const char *name, const char *value);

/* CURLOPT_XFERINFOFUNCTION with CURLOPT_XFERINFODATA pointing at a
 * const _Atomic uint64_t (or NULL): aborts the transfer once
 * CLOCK_MONOTONIC passes the value it holds (0 = never). */
int otlp_http__abort_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
			      curl_off_t un);

/* Writes url without userinfo and query (they may hold credentials) into
 * buf, for log messages. */
void otlp_http__redact_url(const char *url, char *buf, size_t sz);

#endif
