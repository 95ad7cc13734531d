/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz harnesses: cuts an input into fields at the two-byte
 * separator "\x00|", and builds an http_exchange from fields (method,
 * target, host, request headers as "name: value" lines, request body,
 * status, response content type, response headers, response body).
 * Fields are copied NUL-terminated so parsers get what the pipeline gives.
 */
#ifndef AR_FUZZ_EXCHANGE_H
#define AR_FUZZ_EXCHANGE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conn/stream.h"
#include "proto/http_types.h"

#define FZ_MAX_FIELDS 12
#define FZ_MAX_HEADERS 16

struct fz_field {
	char *p;
	size_t n;
};

struct fz {
	struct fz_field f[FZ_MAX_FIELDS];
	size_t nf;
	struct header_view req_h[FZ_MAX_HEADERS], resp_h[FZ_MAX_HEADERS];
	struct conn_meta conn;
	struct http_exchange x;
};

/* Splits data into at most FZ_MAX_FIELDS fields (the last takes the rest). */
static inline void fz_split(struct fz *z, const uint8_t *data, size_t size)
{
	size_t start = 0;

	memset(z, 0, sizeof(*z));
	for (size_t i = 0; i <= size; i++) {
		bool end = i == size;

		if (!end && !(i + 1 < size && data[i] == 0 && data[i + 1] == '|'))
			continue;
		if (!end && z->nf == FZ_MAX_FIELDS - 1)
			continue;
		z->f[z->nf].n = i - start;
		z->f[z->nf].p = malloc(i - start + 1);
		if (!z->f[z->nf].p)
			abort();
		memcpy(z->f[z->nf].p, data + start, i - start);
		z->f[z->nf].p[i - start] = 0;
		z->nf++;
		start = i + 2;
		i++;
		if (end)
			break;
	}
}

static inline const char *fz_str(const struct fz *z, size_t i)
{
	return i < z->nf ? z->f[i].p : "";
}

static inline size_t fz_len(const struct fz *z, size_t i)
{
	return i < z->nf ? z->f[i].n : 0;
}

/* "name: value" lines of field i into h; returns how many. */
static inline size_t fz_headers(struct fz *z, size_t i, struct header_view *h)
{
	char *p = i < z->nf ? z->f[i].p : NULL, *end = p ? p + z->f[i].n : NULL;
	size_t n = 0;

	while (p && p < end && n < FZ_MAX_HEADERS) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *colon;
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		colon = memchr(p, ':', len);
		if (colon) {
			h[n].name = p;
			h[n].name_len = (size_t)(colon - p);
			h[n].value = colon + 1;
			h[n].value_len = len - h[n].name_len - 1;
			while (h[n].value_len && h[n].value[0] == ' ')
				h[n].value++, h[n].value_len--;
			n++;
		}
		p += len + 1;
	}
	return n;
}

/* Fields: 0 flags, 1 method, 2 target, 3 host, 4 request headers,
 * 5 request body, 6 status, 7 response content type, 8 response headers,
 * 9 response body. flags bit 0: TLS, bit 1: server role, bit 2: response
 * complete, bit 3: gap. */
static inline struct http_exchange *fz_exchange(struct fz *z)
{
	uint8_t fl = fz_len(z, 0) ? (uint8_t)z->f[0].p[0] : 0;

	z->conn.conn_id = 1;
	z->conn.tgid = 1;
	z->conn.fd = 3;
	z->conn.is_tls = fl & 1;
	z->conn.role = (fl & 2) ? AR_ROLE_SERVER : AR_ROLE_CLIENT;
	z->x.conn = &z->conn;
	z->x.method = fz_str(z, 1);
	z->x.target = fz_str(z, 2);
	z->x.host = fz_str(z, 3);
	z->x.req.headers = z->req_h;
	z->x.req.n_headers = fz_headers(z, 4, z->req_h);
	z->x.req.body = (const uint8_t *)fz_str(z, 5);
	z->x.req.body_len = fz_len(z, 5);
	z->x.req.content_type = "application/json";
	z->x.status = atoi(fz_str(z, 6));
	z->x.resp.content_type = fz_str(z, 7);
	z->x.resp.headers = z->resp_h;
	z->x.resp.n_headers = fz_headers(z, 8, z->resp_h);
	z->x.resp.body = (const uint8_t *)fz_str(z, 9);
	z->x.resp.body_len = fz_len(z, 9);
	z->x.resp_complete = fl & 4;
	z->x.gap = fl & 8;
	z->x.req.ts_first = 1000;
	z->x.resp.ts_first = 2000;
	z->x.resp.ts_last = 3000;
	return &z->x;
}

static inline void fz_free(struct fz *z)
{
	for (size_t i = 0; i < z->nf; i++)
		free(z->f[i].p);
}

#endif
