/* SPDX-License-Identifier: MIT */
/*
 * A fixed-window rate limit: at most max events per window. Discovery
 * uses one per process and one for the daemon, so that a process mapping
 * files named libssl* in a loop cannot make the reader rescan
 * /proc/PID/maps without end. Pure; not thread-safe.
 */
#ifndef AR_DISCOVER_RATE_H
#define AR_DISCOVER_RATE_H

#include <stdbool.h>
#include <stdint.h>

struct rate {
	uint64_t window_start; /* monotonic ns */
	uint32_t used;         /* events allowed in this window */
};

/* true (and counted) if one more event fits in the window at now. */
bool rate__allow(struct rate *r, uint64_t now, uint32_t max, uint64_t window_ns);

#endif
