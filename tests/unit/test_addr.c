// SPDX-License-Identifier: MIT
/* addr__ntop (user/common/addr.h) prints what inet_ntop prints, and
 * fails where it fails, for every buffer length. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/addr.h"

Test(addr, ipv4_text_and_short_buffers_match_inet_ntop)
{
	static const uint8_t addrs[][4] = {
		{ 127, 0, 0, 1 }, { 0, 0, 0, 0 }, { 255, 255, 255, 255 }, { 10, 9, 99, 100 },
		{ 192, 168, 1, 20 }, { 1, 10, 100, 200 },
	};

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		for (size_t len = 0; len <= INET_ADDRSTRLEN; len++) {
			char want[INET_ADDRSTRLEN] = "", got[INET_ADDRSTRLEN] = "";
			const char *w = inet_ntop(AF_INET, addrs[i], want, (socklen_t)len);
			const char *g = addr__ntop(AF_INET, addrs[i], got, len);

			cr_assert_eq(!w, !g, "address %zu, length %zu: %s vs %s", i, len,
				     w ? "text" : "NULL", g ? "text" : "NULL");
			if (w)
				cr_assert_str_eq(got, want);
		}
	}
}

Test(addr, ipv6_goes_to_inet_ntop)
{
	uint8_t a[16] = { 0 };
	char got[INET6_ADDRSTRLEN];

	a[15] = 1;
	cr_assert_str_eq(addr__ntop(AF_INET6, a, got, sizeof(got)), "::1");
	cr_assert_null(addr__ntop(AF_INET6, a, got, 2));
}
