// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/grpc_wire.h"

#define RETRY_INFO_TYPE "type.googleapis.com/google.rpc.RetryInfo"
#define DETAILS_MAX 4096 /* decoded bytes looked at */

const char *grpc_code__name(int code)
{
	static const char *const names[] = {
		"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
		"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
		"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
		"UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
	};

	return code >= 0 && code <= GRPC_UNAUTHENTICATED ? names[code] : "?";
}

void grpc_wire__prefix(uint8_t out[GRPC_PREFIX_LEN], bool compressed, uint32_t len)
{
	out[0] = compressed;
	out[1] = len >> 24;
	out[2] = len >> 16;
	out[3] = len >> 8;
	out[4] = len;
}

int grpc_wire__unframe(const uint8_t *buf, size_t n, const uint8_t **msg, size_t *len,
		       bool *compressed)
{
	uint32_t l;

	if (n < GRPC_PREFIX_LEN)
		return -EAGAIN;
	if (buf[0] > 1)
		return -EBADMSG;
	l = (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 8 | buf[4];
	if (n - GRPC_PREFIX_LEN < l)
		return -EAGAIN;
	*compressed = buf[0];
	*msg = buf + GRPC_PREFIX_LEN;
	*len = l;
	return 0;
}

/* Base64, standard or URL alphabet, padding optional (gRPC omits it). */
static int b64_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i], v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else if (c == '=' || isspace(c))
			continue;
		else
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -E2BIG;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*out_len = o;
	return 0;
}

/* One protobuf field: *field, *wire and the value (varint in *v, or
 * length-delimited bytes in *p and *plen). Returns bytes used, 0 on error. */
static size_t pb_field(const uint8_t *b, size_t n, uint32_t *field, int *wire, uint64_t *v,
		       const uint8_t **p, size_t *plen)
{
	size_t i = 0;
	uint64_t key = 0, x = 0;
	int shift;

	for (shift = 0; i < n && shift < 64; shift += 7) {
		key |= (uint64_t)(b[i] & 0x7f) << shift;
		if (!(b[i++] & 0x80))
			break;
	}
	if (!i || b[i - 1] & 0x80)
		return 0;
	*field = key >> 3;
	*wire = key & 7;
	switch (*wire) {
	case 0:
	case 2:
		for (shift = 0; i < n && shift < 64; shift += 7) {
			x |= (uint64_t)(b[i] & 0x7f) << shift;
			if (!(b[i++] & 0x80))
				break;
		}
		if (b[i - 1] & 0x80)
			return 0;
		if (*wire == 0) {
			*v = x;
			return i;
		}
		if (x > n - i)
			return 0;
		*p = b + i;
		*plen = x;
		return i + x;
	case 1:
		return n - i >= 8 ? i + 8 : 0;
	case 5:
		return n - i >= 4 ? i + 4 : 0;
	}
	return 0;
}

/* RetryInfo { Duration retry_delay = 1; } Duration { int64 seconds = 1;
 * int32 nanos = 2; } */
static long retry_info_ms(const uint8_t *b, size_t n)
{
	const uint8_t *p, *dp;
	size_t plen, dlen, used;
	uint32_t f;
	uint64_t v;
	int w;

	for (; n && (used = pb_field(b, n, &f, &w, &v, &p, &plen)); b += used, n -= used) {
		int64_t sec = 0, nanos = 0;

		if (f != 1 || w != 2)
			continue;
		for (dp = p, dlen = plen; dlen && (used = pb_field(dp, dlen, &f, &w, &v, &p, &plen));
		     dp += used, dlen -= used) {
			if (f == 1 && w == 0)
				sec = (int64_t)v;
			else if (f == 2 && w == 0)
				nanos = (int32_t)v;
		}
		if (sec < 0 || nanos < 0 || sec > 86400)
			return -1;
		return (long)(sec * 1000 + nanos / 1000000);
	}
	return -1;
}

long grpc_wire__retry_delay_ms(const char *b64, size_t n)
{
	uint8_t *buf = malloc(DETAILS_MAX);
	const uint8_t *b, *p, *ap, *tp = NULL, *vp = NULL;
	size_t len, plen, alen, tlen = 0, vlen = 0, used;
	long ms = -1;
	uint32_t f;
	uint64_t v;
	int w;

	if (!buf)
		return -1;
	if (b64_decode(b64, n, buf, DETAILS_MAX, &len))
		goto out;
	/* Status { int32 code = 1; string message = 2; repeated Any details = 3; } */
	for (b = buf; len && (used = pb_field(b, len, &f, &w, &v, &p, &plen));
	     b += used, len -= used) {
		if (f != 3 || w != 2)
			continue;
		/* Any { string type_url = 1; bytes value = 2; } */
		tp = vp = NULL;
		for (ap = p, alen = plen; alen && (used = pb_field(ap, alen, &f, &w, &v, &p, &plen));
		     ap += used, alen -= used) {
			if (f == 1 && w == 2)
				tp = p, tlen = plen;
			else if (f == 2 && w == 2)
				vp = p, vlen = plen;
		}
		if (tp && vp && tlen == strlen(RETRY_INFO_TYPE) &&
		    !memcmp(tp, RETRY_INFO_TYPE, tlen)) {
			ms = retry_info_ms(vp, vlen);
			break;
		}
	}
out:
	free(buf);
	return ms;
}

void grpc_wire__message(const char *v, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		unsigned int c = (unsigned char)v[i];

		if (c == '%' && i + 2 < n && isxdigit((unsigned char)v[i + 1]) &&
		    isxdigit((unsigned char)v[i + 2])) {
			char hex[3] = { v[i + 1], v[i + 2], 0 };

			c = (unsigned int)strtoul(hex, NULL, 16);
			i += 2;
		}
		out[o++] = c < 0x20 || c == 0x7f ? '.' : (char)c;
	}
	out[o] = 0;
}

long grpc_wire__as_http(int code, bool has_retry_info)
{
	switch (code) {
	case GRPC_OK:
		return 200;
	case GRPC_CANCELLED:
	case GRPC_DEADLINE_EXCEEDED:
	case GRPC_ABORTED:
	case GRPC_OUT_OF_RANGE:
	case GRPC_UNAVAILABLE:
	case GRPC_DATA_LOSS:
		return 503;
	case GRPC_RESOURCE_EXHAUSTED:
		return has_retry_info ? 429 : 400;
	default:
		return 400;
	}
}
