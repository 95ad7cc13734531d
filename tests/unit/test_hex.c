// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>

#include "common/hex.h"

static void same_as_printf(uint64_t v)
{
	char got[17], want[17];

	hex__u64(got, v);
	snprintf(want, sizeof(want), "%016" PRIx64, v);
	cr_assert_str_eq(got, want, "%016" PRIx64, v);
}

Test(hex, every_digit_in_every_place)
{
	same_as_printf(0);
	same_as_printf(UINT64_MAX);
	for (int pos = 0; pos < 16; pos++)
		for (uint64_t d = 0; d < 16; d++)
			same_as_printf(d << (4 * pos));
}

Test(hex, random_values)
{
	uint64_t v = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 100000; i++) {
		v ^= v << 13;
		v ^= v >> 7;
		v ^= v << 17;
		same_as_printf(v);
	}
}
