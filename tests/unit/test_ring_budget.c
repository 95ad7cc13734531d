// SPDX-License-Identifier: MIT
/* The ring drain's bound (capture/ring.h): under a producer that never
 * pauses, one poll still hands control back to the main loop after a
 * bounded batch, so its tick, health beat and SIGTERM check run. The
 * drain here stands in for libbpf's: it delivers records until the
 * consumer asks it to stop, from a source that never runs dry. */
#include <criterion/criterion.h>

#include "capture/ring.h"

/* Far past any sane bound: a drain reaching it is taken as endless. */
#define ENDLESS (16u * RING_POLL_MAX_RECORDS)

/* Delivers records of len bytes until the budget is spent; returns how
 * many were delivered, or ENDLESS when it never stopped. */
static size_t drain_endless(struct ring_budget *b, size_t len)
{
	for (size_t n = 1; n <= ENDLESS; n++)
		if (ring_budget__charge(b, len))
			return n;
	return ENDLESS;
}

Test(ring_budget, small_records_stop_at_record_cap)
{
	struct ring_budget b = { 0 };
	size_t n = drain_endless(&b, 64);

	cr_assert_neq(n, ENDLESS, "a drain of an endless ring must end");
	cr_assert_eq(n, RING_POLL_MAX_RECORDS, "stopped after %zu records", n);
	cr_assert_eq(b.records, n);
	cr_assert_eq(b.bytes, n * 64);
}

Test(ring_budget, large_records_stop_at_byte_cap)
{
	struct ring_budget b = { 0 };
	size_t len = 64 << 10;
	size_t n = drain_endless(&b, len);

	cr_assert_neq(n, ENDLESS, "a drain of an endless ring must end");
	cr_assert_eq(n, RING_POLL_MAX_BYTES / len, "stopped after %zu records", n);
	cr_assert_geq(b.bytes, RING_POLL_MAX_BYTES);
	cr_assert_lt(b.bytes - len, RING_POLL_MAX_BYTES, "one record past the cap at most");
}

Test(ring_budget, one_huge_record_spends_it)
{
	struct ring_budget b = { 0 };

	cr_assert(ring_budget__charge(&b, RING_POLL_MAX_BYTES));
}

Test(ring_budget, each_poll_starts_afresh)
{
	struct ring_budget b = { 0 };

	for (int poll = 0; poll < 3; poll++) {
		b = (struct ring_budget){ 0 };
		cr_assert_eq(drain_endless(&b, 16), RING_POLL_MAX_RECORDS, "poll %d", poll);
	}
	b = (struct ring_budget){ 0 };
	cr_assert_not(ring_budget__charge(&b, 16), "a quiet ring is drained in full");
}
