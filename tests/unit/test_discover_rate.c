// SPDX-License-Identifier: MIT
/* Discovery's rescan limit: a process mapping libssl* in a loop gets a few
 * rescans per window, not one per mmap. */
#include <criterion/criterion.h>

#include "discover/rate.h"

#define SEC 1000000000ull

Test(discover_rate, window_caps_and_resets)
{
	struct rate r = { 0 };
	int ok = 0;

	for (int i = 0; i < 1000; i++)
		ok += rate__allow(&r, 5 * SEC + (uint64_t)i * 1000, 4, SEC);
	cr_assert_eq(ok, 4, "a flood in one window gets max");
	cr_assert(rate__allow(&r, 6 * SEC + 1000, 4, SEC), "the next window starts afresh");
	cr_assert(rate__allow(&r, 1, 4, SEC), "a clock going back resets too");
}
