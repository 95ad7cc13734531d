/* SPDX-License-Identifier: MIT */
/*
 * Retry policy of the OTLP/HTTP exporter, pure so it can be unit-tested:
 * which responses are retried, how long to back off, and Retry-After.
 */
#ifndef AR_EXPORT_RETRY_H
#define AR_EXPORT_RETRY_H

#include <time.h>

enum retry_verdict {
	RETRY_DONE,  /* 2xx: exported */
	RETRY_AGAIN, /* 429, 502, 503, 504, or no response at all (status 0) */
	RETRY_DROP,  /* any other status: the collector will never accept it */
};

enum retry_verdict retry__classify(long http_status);

/*
 * Parses a Retry-After header value, delta-seconds ("120") or an
 * IMF-fixdate HTTP-date, relative to now. Returns the delay in ms (0 for
 * a date in the past), or -1 if v is NULL or unparseable. Capped at one
 * hour so a hostile header cannot park the exporter.
 */
long retry__parse_after(const char *v, time_t now);

/*
 * Exponential backoff with jitter: for the attempt-th retry (0-based) the
 * delay is d = min(max_ms, initial_ms * 2^attempt), drawn in [d/2, d]
 * with rnd in [0, 1).
 */
long retry__backoff_ms(int attempt, int initial_ms, int max_ms, double rnd);

#endif
