// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <string.h>

#include "discover/first_calls.h"

/* "GET ", "POST ", "OPTIONS ": an upper-case token and a space. */
static int http1_request(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && i < 16 && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	if (i == n)
		return -1;
	return i >= 3 && p[i] == ' ';
}

/* An HTTP/2 SETTINGS frame on stream 0: its payload is 6-byte settings. */
static bool h2_settings(const uint8_t *p, size_t n)
{
	uint32_t len, sid;

	if (n < 9 || p[3] != 4 || (p[4] & ~1u))
		return false;
	len = (uint32_t)p[0] << 16 | p[1] << 8 | p[2];
	sid = ((uint32_t)p[5] << 24 | p[6] << 16 | p[7] << 8 | p[8]) & 0x7fffffff;
	return sid == 0 && len % 6 == 0 && len <= 16384;
}

int first_calls__plausible(const uint8_t *p, size_t n)
{
	static const char preface[] = "PRI * HTTP/2.0";
	static const char status[] = "HTTP/1.";

	if (n >= sizeof(preface) - 1 && !memcmp(p, preface, sizeof(preface) - 1))
		return 1;
	if (n >= sizeof(status) - 1 && !memcmp(p, status, sizeof(status) - 1))
		return 1;
	if (h2_settings(p, n))
		return 1;
	if (n < 9)
		return -1;
	return http1_request(p, n) == 1;
}
