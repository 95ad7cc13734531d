// SPDX-License-Identifier: MIT
#include <stdatomic.h>

#include "common/budget.h"

static _Atomic uint64_t used, peak, refused, refused_bytes, evicted, evicted_bytes;
static _Atomic uint64_t max_bytes = BUDGET_DEFAULT_BYTES;

void budget__set(size_t max)
{
	atomic_store(&max_bytes, max);
}

bool budget__take(size_t n)
{
	uint64_t max = atomic_load(&max_bytes), cur = atomic_load(&used), p;

	do {
		if (max && cur + n > max) {
			atomic_fetch_add(&refused, 1);
			atomic_fetch_add(&refused_bytes, n);
			return false;
		}
	} while (!atomic_compare_exchange_weak(&used, &cur, cur + n));
	p = atomic_load(&peak);
	while (cur + n > p && !atomic_compare_exchange_weak(&peak, &p, cur + n))
		;
	return true;
}

void budget__give(size_t n)
{
	atomic_fetch_sub(&used, n);
}

void budget__count_evicted(size_t n)
{
	atomic_fetch_add(&evicted, 1);
	atomic_fetch_add(&evicted_bytes, n);
}

void budget__stats(struct budget_stats *out)
{
	out->used = atomic_load(&used);
	out->peak = atomic_load(&peak);
	out->max = atomic_load(&max_bytes);
	out->refused = atomic_load(&refused);
	out->refused_bytes = atomic_load(&refused_bytes);
	out->evicted = atomic_load(&evicted);
	out->evicted_bytes = atomic_load(&evicted_bytes);
}
