// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* strptime, timegm */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export/retry.h"

#define RETRY_AFTER_CAP_MS 3600000L

enum retry_verdict retry__classify(long st)
{
	if (st >= 200 && st < 300)
		return RETRY_DONE;
	if (st == 0 || st == 429 || st == 502 || st == 503 || st == 504)
		return RETRY_AGAIN;
	return RETRY_DROP;
}

long retry__parse_after(const char *v, time_t now)
{
	struct tm tm;
	const char *end;
	time_t t;

	if (!v)
		return -1;
	while (isspace((unsigned char)*v))
		v++;
	if (isdigit((unsigned char)*v)) {
		char *e;
		long s;

		errno = 0;
		s = strtol(v, &e, 10);
		while (isspace((unsigned char)*e))
			e++;
		if (*e)
			return -1;
		if (errno || s > RETRY_AFTER_CAP_MS / 1000)
			return RETRY_AFTER_CAP_MS;
		return s * 1000;
	}
	/* IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (always GMT). */
	memset(&tm, 0, sizeof(tm));
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	if (t <= now)
		return 0;
	if (t - now > RETRY_AFTER_CAP_MS / 1000)
		return RETRY_AFTER_CAP_MS;
	return (long)(t - now) * 1000;
}

long retry__backoff_ms(int attempt, int initial_ms, int max_ms, double rnd)
{
	long d = initial_ms > 0 ? initial_ms : 1;

	for (int i = 0; i < attempt && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	if (rnd < 0)
		rnd = 0;
	if (rnd >= 1)
		rnd = 0.999999;
	return d / 2 + (long)((double)(d - d / 2) * rnd);
}
