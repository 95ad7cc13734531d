// SPDX-License-Identifier: MIT
#include "discover/rate.h"

bool rate__allow(struct rate *r, uint64_t now, uint32_t max, uint64_t window_ns)
{
	if (now - r->window_start >= window_ns || now < r->window_start) {
		r->window_start = now;
		r->used = 0;
	}
	if (r->used >= max)
		return false;
	r->used++;
	return true;
}
