// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "discover/sni.h"

#define TLS_HANDSHAKE 0x16
#define HS_CLIENT_HELLO 0x01
#define EXT_SERVER_NAME 0x0000
#define NAME_HOST 0x00

/* A bounds-checked reader over buf; a short read sets short_. */
struct rd {
	const uint8_t *p;
	size_t n;
	int short_;
};

static uint32_t take(struct rd *r, size_t k)
{
	uint32_t v = 0;

	if (r->short_ || r->n < k) {
		r->short_ = 1;
		return 0;
	}
	for (size_t i = 0; i < k; i++)
		v = v << 8 | r->p[i];
	r->p += k;
	r->n -= k;
	return v;
}

static void skip(struct rd *r, size_t k)
{
	if (r->short_ || r->n < k) {
		r->short_ = 1;
		return;
	}
	r->p += k;
	r->n -= k;
}

static int copy_name(const uint8_t *p, size_t n, char *host, size_t cap)
{
	if (!n || n >= cap)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return -EINVAL;
	memcpy(host, p, n);
	host[n] = 0;
	return 0;
}

int sni__parse(const uint8_t *buf, size_t len, char *host, size_t cap)
{
	struct rd r = { buf, len, 0 };
	uint32_t ext_len;

	if (len < 6)
		return -EAGAIN;
	if (take(&r, 1) != TLS_HANDSHAKE || take(&r, 1) != 0x03)
		return -EINVAL;
	skip(&r, 3);             /* minor version, record length */
	if (take(&r, 1) != HS_CLIENT_HELLO)
		return r.short_ ? -EAGAIN : -EINVAL;
	skip(&r, 3 + 2 + 32);    /* handshake length, client_version, random */
	skip(&r, take(&r, 1));   /* session_id */
	skip(&r, take(&r, 2));   /* cipher_suites */
	skip(&r, take(&r, 1));   /* compression_methods */
	ext_len = take(&r, 2);
	if (r.short_)
		return -EAGAIN;
	if (!ext_len)
		return -ENOENT;
	while (ext_len >= 4) {
		uint32_t type = take(&r, 2), n = take(&r, 2);

		if (r.short_)
			return -EAGAIN;
		if (n + 4 > ext_len)
			return -EINVAL;
		ext_len -= n + 4;
		if (type == EXT_SERVER_NAME) {
			struct rd e = { r.p, n < r.n ? n : r.n, 0 };
			uint32_t list = take(&e, 2);

			while (list >= 3 && !e.short_) {
				uint32_t kind = take(&e, 1), m = take(&e, 2);

				if (e.short_ || e.n < m)
					return n > r.n ? -EAGAIN : -EINVAL;
				if (kind == NAME_HOST)
					return copy_name(e.p, m, host, cap);
				skip(&e, m);
				list -= list < 3 + m ? list : 3 + m;
			}
			return e.short_ && n > r.n ? -EAGAIN : -EINVAL;
		}
		skip(&r, n);
	}
	return r.short_ ? -EAGAIN : -ENOENT;
}
