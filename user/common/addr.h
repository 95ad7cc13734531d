/* SPDX-License-Identifier: MIT */
/* Address text on per-call paths: glibc's inet_ntop formats an IPv4
 * address with sprintf, ~1.7k instructions a call in the daemon-cost
 * profile, and a span can need three. */
#ifndef AR_COMMON_ADDR_H
#define AR_COMMON_ADDR_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* inet_ntop(af, src, dst, len), the same text and the same failure (NULL
 * when dst is too small or af unknown), with IPv4 done by hand. */
static inline const char *addr__ntop(int af, const void *src, char *dst, size_t len)
{
	const uint8_t *b = src;
	char tmp[INET_ADDRSTRLEN], *p = tmp;
	size_t n;

	if (af != AF_INET)
		return inet_ntop(af, src, dst, (socklen_t)len);
	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (i)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	n = (size_t)(p - tmp);
	if (n >= len)
		return NULL;
	for (size_t i = 0; i < n; i++)
		dst[i] = tmp[i];
	dst[n] = '\0';
	return dst;
}

#endif
