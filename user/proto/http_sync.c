// SPDX-License-Identifier: MIT
/* Start-line recogniser for HTTP/1.x resynchronisation. */
#include <stdbool.h>
#include <string.h>

#include "proto/http_sync.h"

/* The methods LLM clients and servers actually send; an exotic method only
 * costs us a resync on that one message. */
static const char *const methods[] = {
	"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE",
};

#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

/* Matches literal lit at p[0..n). Returns FOUND (all matched), PARTIAL
 * (p ran out while matching) or NONE. */
static int match_lit(const uint8_t *p, size_t n, const char *lit, size_t litlen)
{
	size_t k = n < litlen ? n : litlen;

	if (memcmp(p, lit, k) != 0)
		return HTTP_SYNC_NONE;
	return k == litlen ? HTTP_SYNC_FOUND : HTTP_SYNC_PARTIAL;
}

/* "HTTP/1." DIGIT then a byte that is in end (e.g. "\r\n" or " "). */
static int match_version(const uint8_t *p, size_t n, const char *end)
{
	int r = match_lit(p, n, "HTTP/1.", 7);

	if (r != HTTP_SYNC_FOUND)
		return r;
	if (n < 8)
		return HTTP_SYNC_PARTIAL;
	if (p[7] != '0' && p[7] != '1')
		return HTTP_SYNC_NONE;
	if (n < 9)
		return HTTP_SYNC_PARTIAL;
	return strchr(end, p[8]) && p[8] ? HTTP_SYNC_FOUND : HTTP_SYNC_NONE;
}

/* n is already clamped to HTTP_SYNC_LINE_MAX; clamped says whether more
 * bytes exist beyond it (then running out means NONE, not PARTIAL). */
static int check_response(const uint8_t *p, size_t n, bool clamped)
{
	int r = match_version(p, n, " ");

	if (r != HTTP_SYNC_FOUND)
		return r;
	for (size_t i = 9; i < 12; i++) {
		if (i >= n)
			return clamped ? HTTP_SYNC_NONE : HTTP_SYNC_PARTIAL;
		if (p[i] < '0' || p[i] > '9')
			return HTTP_SYNC_NONE;
	}
	if (n < 13)
		return clamped ? HTTP_SYNC_NONE : HTTP_SYNC_PARTIAL;
	return p[12] == ' ' || p[12] == '\r' || p[12] == '\n' ? HTTP_SYNC_FOUND : HTTP_SYNC_NONE;
}

static int check_request(const uint8_t *p, size_t n, bool clamped)
{
	int best = HTTP_SYNC_NONE;

	for (size_t m = 0; m < NMETHODS; m++) {
		size_t ml = strlen(methods[m]), i;
		int r = match_lit(p, n, methods[m], ml);

		if (r == HTTP_SYNC_PARTIAL)
			best = HTTP_SYNC_PARTIAL;
		if (r != HTTP_SYNC_FOUND)
			continue;
		if (n <= ml) {
			best = HTTP_SYNC_PARTIAL;
			continue;
		}
		if (p[ml] != ' ')
			continue;
		/* request-target: visible bytes (and obs-text), at least one */
		for (i = ml + 1; i < n && p[i] > ' ' && p[i] != 0x7f; i++)
			;
		if (i == n) {
			best = clamped ? HTTP_SYNC_NONE : HTTP_SYNC_PARTIAL;
			continue;
		}
		if (i == ml + 1 || p[i] != ' ')
			continue;
		r = match_version(p + i + 1, n - i - 1, "\r\n");
		if (r == HTTP_SYNC_PARTIAL && clamped)
			r = HTTP_SYNC_NONE;
		if (r == HTTP_SYNC_FOUND)
			return r;
		if (r == HTTP_SYNC_PARTIAL)
			best = r;
	}
	return best;
}

enum http_sync_result http_sync__find(const uint8_t *buf, size_t len, unsigned want,
				      size_t *pos, unsigned *kind)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];
		size_t n = len - i;
		bool clamped = false;
		int r;

		if (c < 'C' || c > 'T' || !strchr("CDGHOPT", c))
			continue;
		if (n >= HTTP_SYNC_LINE_MAX) {
			n = HTTP_SYNC_LINE_MAX - 1;
			clamped = true;
		}
		if ((want & HTTP_SYNC_RESPONSE) && c == 'H') {
			r = check_response(buf + i, n, clamped);
			if (r != HTTP_SYNC_NONE) {
				*pos = i;
				*kind = HTTP_SYNC_RESPONSE;
				return r;
			}
		}
		if (want & HTTP_SYNC_REQUEST) {
			r = check_request(buf + i, n, clamped);
			if (r != HTTP_SYNC_NONE) {
				*pos = i;
				*kind = HTTP_SYNC_REQUEST;
				return r;
			}
		}
	}
	return HTTP_SYNC_NONE;
}
